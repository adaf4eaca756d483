//! This node, as the hub sees the cluster: what the hub hands over is queued for the writer
//! (events, whispers) or the presence worker (joins, leaves, occupancy), never waited for
//! under the hub's lock.

use std::sync::Arc;
use std::time::Duration;

use sidecast_core::{
    ChannelName, Cluster, CountReport, Joining, Member, Publication, RosterSnapshot, SocketId,
    Whisper,
};
use tokio::sync::oneshot;

use crate::envelope::{Body, MemberWire};
use crate::keys::Keys;
use crate::outbox::Outbox;
use crate::presence::{Op, Presence};
use crate::store::Tracked;

pub(crate) struct Node {
    pub(crate) keys: Keys,
    pub(crate) outbox: Arc<Outbox>,
    pub(crate) presence: Arc<Presence>,
    pub(crate) join_timeout: Duration,
}

impl Cluster for Node {
    fn publish(&self, publication: &Publication) {
        self.outbox.broadcast(
            &self.keys,
            Body::Publish {
                channels: publication
                    .channels
                    .iter()
                    .map(ToString::to_string)
                    .collect(),
                event: publication.event.to_string(),
                data: publication.payload.as_raw().to_owned(),
                except: publication.except.as_ref().map(ToString::to_string),
            },
        );
    }

    fn whisper(&self, whisper: &Whisper, from: &SocketId, sender: Option<&Member>) {
        self.outbox.broadcast(
            &self.keys,
            Body::Whisper {
                channel: whisper.channel.to_string(),
                event: whisper.event.to_string(),
                data: whisper.payload.as_raw().to_owned(),
                from: from.to_string(),
                sender: sender.map(MemberWire::of),
            },
        );
    }

    fn join(&self, channel: &ChannelName, socket: &SocketId, member: &Member) -> Joining {
        self.presence.journal().join(channel, socket, member);
        let (reply, answer) = oneshot::channel();
        let queued = self.presence.ops.send(Op::Join {
            channel: channel.clone(),
            socket: socket.clone(),
            member: member.clone(),
            reply,
        });
        let timeout = self.join_timeout;
        Box::pin(async move {
            queued.ok()?;
            let answer: Option<RosterSnapshot> =
                tokio::time::timeout(timeout, answer).await.ok()?.ok()?;
            answer
        })
    }

    fn leave(&self, channel: &ChannelName, socket: &SocketId) {
        let member = self.presence.journal().leave(channel, socket);
        let _ = self.presence.ops.send(Op::Leave {
            channel: channel.clone(),
            socket: socket.clone(),
            member,
        });
    }

    fn terminate_user(&self, user: &str) {
        self.outbox.broadcast(
            &self.keys,
            Body::Terminate {
                user: user.to_owned(),
            },
        );
    }

    fn occupancy(&self, channel: &ChannelName, occupied: bool) {
        // Recorded in Redis only for lifecycle events: nothing else needs it.
        if self.presence.is_telling() {
            let _ = self.presence.ops.send(Op::Occupancy {
                tracked: Tracked::Channel(channel.clone()),
                occupied,
            });
        }
    }

    fn signed_in(&self, user: &str, here: bool) {
        if self.presence.tells_users() {
            let _ = self.presence.ops.send(Op::Occupancy {
                tracked: Tracked::User(user.to_owned()),
                occupied: here,
            });
        }
    }

    fn counted(&self, channel: &ChannelName, here: usize) {
        if self.presence.tells_counts() {
            let _ = self.presence.ops.send(Op::Count {
                channel: channel.clone(),
                here,
            });
        }
    }

    fn subscription_counts(&self, report: CountReport<'_>) {
        let mut chunks = report.counts.chunks(COUNTS_PER_MESSAGE);
        // A whole report of no channel is still sent: it clears what the others kept.
        let first = chunks.next().unwrap_or_default();
        for (index, chunk) in std::iter::once(first).chain(chunks).enumerate() {
            self.outbox.broadcast(
                &self.keys,
                Body::Counts {
                    counts: chunk
                        .iter()
                        .map(|(channel, count)| (channel.to_string(), *count))
                        .collect(),
                    whole: report.whole && index == 0,
                    ask_whole: report.ask_whole && index == 0,
                },
            );
        }
    }
}

/// Channels one counts message names at most: with names of up to 200 bytes, a message stays
/// far below the bus's message limit.
const COUNTS_PER_MESSAGE: usize = 2_000;
