//! Applying what other nodes sent to this node's hub, in the order it arrived: events and
//! whispers are delivered here, presence changes go to the mirrors (in version order),
//! questions are answered, subscription counts kept, and signed-in users' connections closed
//! when asked.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use sidecast_core::{Hub, Origin, Publication, RosterChange, Stamp, Whisper};
use tokio::sync::mpsc;

use super::MESSAGE_OVERHEAD;
use super::sequence::Sequences;
use crate::Shared;
use crate::envelope::{self, Body, Change, Envelope};
use crate::survey;

/// Applies what the reader queued, in order.
pub(crate) async fn apply(
    shared: Arc<Shared>,
    hub: Arc<Hub>,
    mut queue: mpsc::UnboundedReceiver<Vec<u8>>,
) {
    let mut sequences = Sequences::default();
    while let Some(bytes) = queue.recv().await {
        shared
            .counters
            .queued_bytes
            .fetch_sub(bytes.len() + MESSAGE_OVERHEAD, Ordering::Relaxed);
        let envelope = match Envelope::decode(&bytes) {
            Ok(envelope) => envelope,
            Err(reason) => {
                skipped(&shared, &reason);
                continue;
            }
        };
        if envelope.node == shared.id || !sequences.is_new(&shared.counters, &envelope) {
            continue;
        }
        if matches!(envelope.body, Body::Bye {}) {
            sequences.forget(&envelope.node);
        }
        if let Err(reason) = dispatch(&shared, &hub, envelope) {
            skipped(&shared, &reason);
        } else {
            shared.counters.applied.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Counts a message that could not be applied, and says why once in a while.
fn skipped(shared: &Shared, reason: &str) {
    let total = shared.counters.skipped.fetch_add(1, Ordering::Relaxed) + 1;
    if let Some(held_back) = shared.counters.skipped_log.check() {
        tracing::warn!(%reason, skipped_since_start = total, like_this_since_last_line = held_back, "a message on the cluster's bus was skipped");
    }
}

fn dispatch(shared: &Arc<Shared>, hub: &Arc<Hub>, envelope: Envelope) -> Result<(), String> {
    match envelope.body {
        Body::Publish {
            channels,
            event,
            data,
            except,
        } => {
            let publication = Publication {
                channels: channels
                    .iter()
                    .map(|name| envelope::channel(name))
                    .collect::<Result<_, _>>()?,
                event: envelope::event(&event)?,
                payload: envelope::payload(data),
                except: except.as_deref().map(envelope::socket).transpose()?,
                origin: Origin::OtherNode,
            };
            hub.publish(&publication);
        }
        Body::Whisper {
            channel,
            event,
            data,
            sender,
            ..
        } => {
            let whisper = Whisper {
                channel: envelope::channel(&channel)?,
                event: envelope::event(&event)?,
                payload: envelope::payload(data),
            };
            let sender = sender.map(|wire| wire.into_member()).transpose()?;
            hub.relay_whisper(&whisper, sender.as_ref());
        }
        Body::Presence {
            channel,
            epoch,
            ver,
            change,
        } => {
            let channel = envelope::channel(&channel)?;
            let change = match change {
                Change::Joined { member } => RosterChange::Joined(member.into_member()?),
                Change::Left { user } => RosterChange::Left { user },
            };
            let stamp = Stamp {
                epoch,
                version: ver,
            };
            shared.presence.apply(hub, &channel, stamp, change);
        }
        Body::Survey { id, question } => {
            let answer = survey::answer(hub, &question);
            shared
                .outbox
                .send_to(&shared.keys, &envelope.node, Body::Reply { id, answer });
        }
        Body::Reply { id, answer } => shared.surveys.answered(id, &envelope.node, answer),
        Body::Bye {} => {
            tracing::info!(node = %envelope.node, "a node stopped");
            shared.surveys.gone(&envelope.node);
            hub.forget_subscription_counts(&envelope.node);
        }
        Body::Counts {
            counts,
            whole,
            ask_whole,
        } => {
            let counts = counts
                .into_iter()
                .map(|(name, count)| Ok((envelope::channel(&name)?, count)))
                .collect::<Result<_, String>>()?;
            hub.apply_subscription_counts(&envelope.node, counts, whole, ask_whole);
        }
        Body::Terminate { user } => {
            let closed = hub.terminate_user(&user, Origin::OtherNode);
            tracing::info!(node = %envelope.node, %user, closed, "a user's connections were terminated at another node's request");
        }
    }
    Ok(())
}
