//! Subscribing: the access a channel's kind requires, then the join — decided here on a
//! single node, recorded by the cluster first for presence channels of a cluster.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use thiserror::Error;

use super::{Channel, Hub, Presence, Registry, Subscription};
use crate::auth::Access;
use crate::cluster::Cluster;
use crate::lifecycle::Transition;
use crate::mirror::{Effect, Effects, Mirror};
use crate::names::{ChannelKind, ChannelName, SocketId};
use crate::presence::{Member, Roster};
use crate::subscriber::Subscriber;

/// The outcome of a successful subscription.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subscribed {
    Joined,
    /// The connection was already subscribed; clients resend `subscribe` after a reconnect.
    /// It is told again that it is subscribed, with the member list in a presence channel.
    AlreadyMember,
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SubscribeError {
    #[error("connection {0} is not connected")]
    UnknownConnection(SocketId),
    #[error("{channel} is a {kind:?} channel; joining it needs authorization by the Laravel app")]
    NeedsAuthorization {
        channel: ChannelName,
        kind: ChannelKind,
    },
    #[error("{channel} is a {kind:?} channel, but the subscription was granted {granted} access")]
    WrongAccess {
        channel: ChannelName,
        kind: ChannelKind,
        granted: &'static str,
    },
    #[error("the connection is already in {limit} channels, the most one connection may join")]
    TooManyChannels { limit: usize },
}

/// Channels one connection may be in at once. Echo apps subscribe to a handful; the bound keeps
/// one client from growing the registry without end.
pub const MAX_CHANNELS_PER_CONNECTION: usize = 1000;

/// Refuses a new channel to a connection that is in as many as it may be.
fn check_room(joined: &HashSet<ChannelName>, channel: &ChannelName) -> Result<(), SubscribeError> {
    if joined.len() >= MAX_CHANNELS_PER_CONNECTION && !joined.contains(channel) {
        return Err(SubscribeError::TooManyChannels {
            limit: MAX_CHANNELS_PER_CONNECTION,
        });
    }
    Ok(())
}

impl Hub {
    /// Adds a connection to a channel with the access its kind requires: [`Access::Public`]
    /// for public channels, what the app granted for private and presence ones. The socket is
    /// told it is subscribed ([`Notice::Subscribed`]); joining a presence channel also gives
    /// it the member list and, if its user was not present yet, tells the others.
    ///
    /// Completes at once except for presence channels in a cluster, where it waits for the
    /// cluster to record the join (a bounded time).
    pub async fn subscribe(
        &self,
        id: &SocketId,
        channel: ChannelName,
        access: Access,
    ) -> Result<Subscribed, SubscribeError> {
        let granted = check_access(&channel, access)?;
        match (&self.cluster, granted.member) {
            (Some(cluster), Some(member)) => self.join_cluster(cluster, id, channel, member).await,
            (_, member) => self.join_here(id, channel, member, granted.named),
        }
    }

    /// Subscribes on this node's own authority: any channel of a single node, and public and
    /// private channels in a cluster.
    fn join_here(
        &self,
        id: &SocketId,
        channel: ChannelName,
        member: Option<Member>,
        named: Option<String>,
    ) -> Result<Subscribed, SubscribeError> {
        let mut registry = self.write();
        let Registry {
            channels,
            connections,
            ..
        } = &mut *registry;
        let connection = connections
            .get_mut(id)
            .ok_or_else(|| SubscribeError::UnknownConnection(id.clone()))?;
        check_room(&connection.channels, &channel)?;
        let subscriber = connection.subscriber.clone();
        let entry = channels.entry(channel.clone()).or_default();
        if !connection.channels.insert(channel.clone()) {
            self.tell_subscribed(&*subscriber, &channel, entry);
            return Ok(Subscribed::AlreadyMember);
        }
        self.occupy(entry, &channel);
        let user = member.as_ref().map(|m| m.key().to_owned());
        if let Some(member) = member {
            let presence = entry
                .presence
                .get_or_insert_with(|| Presence::Local(Roster::default()));
            if let Presence::Local(roster) = presence
                && let Some(joined) = roster.join(id.clone(), member)
            {
                self.tell(|| Transition::MemberAdded {
                    channel: channel.clone(),
                    user_id: joined.user_id_text(),
                });
                let effects = vec![Effect::Joined(joined.clone())];
                self.tell_effects(&channel, entry, &effects);
            }
        }
        self.admit(entry, &channel, id, subscriber, (user, named));
        Ok(Subscribed::Joined)
    }

    /// Joins a presence channel whose roster the cluster keeps: the cluster records the join
    /// first (without the lock held), then the socket joins here with the roster it returned.
    async fn join_cluster(
        &self,
        cluster: &Arc<dyn Cluster>,
        id: &SocketId,
        channel: ChannelName,
        member: Member,
    ) -> Result<Subscribed, SubscribeError> {
        {
            let mut registry = self.write();
            let Registry {
                channels,
                connections,
                ..
            } = &mut *registry;
            let connection = connections
                .get(id)
                .ok_or_else(|| SubscribeError::UnknownConnection(id.clone()))?;
            check_room(&connection.channels, &channel)?;
            let entry = channels.entry(channel.clone()).or_default();
            if connection.channels.contains(&channel) {
                self.tell_subscribed(&*connection.subscriber, &channel, entry);
                return Ok(Subscribed::AlreadyMember);
            }
            entry.joining += 1;
            entry
                .presence
                .get_or_insert_with(|| Presence::Mirror(Mirror::default()));
            // Before the join is recorded, so that the channel is occupied before its member
            // is added, as on a single node.
            self.occupy(entry, &channel);
        }

        let mut pending = PendingJoin {
            hub: self,
            cluster,
            id,
            channel: &channel,
            armed: true,
        };
        let snapshot = cluster.join(&channel, id, &member).await;
        pending.armed = false;

        let mut registry = self.write();
        let Registry {
            channels,
            connections,
            ..
        } = &mut *registry;
        // The entry was kept for this join (`joining`), so this finds it.
        let entry = channels.entry(channel.clone()).or_default();
        entry.joining = entry.joining.saturating_sub(1);
        let Some(connection) = connections.get_mut(id) else {
            // Gone while the cluster recorded the join: take it back.
            cluster.leave(&channel, id);
            self.forget_if_unused(channels, &channel);
            return Err(SubscribeError::UnknownConnection(id.clone()));
        };
        let subscriber = connection.subscriber.clone();
        if !connection.channels.insert(channel.clone()) {
            self.tell_subscribed(&*subscriber, &channel, entry);
            return Ok(Subscribed::AlreadyMember);
        }
        self.occupy(entry, &channel);
        let effects = match &mut entry.presence {
            Some(Presence::Mirror(mirror)) => match snapshot {
                Some(snapshot) => mirror.sync(snapshot),
                None => {
                    tracing::warn!(%channel, "the cluster did not confirm a presence join in time; shown on this node until it can");
                    mirror.join_unconfirmed(member.clone())
                }
            },
            _ => Effects::new(),
        };
        self.tell_effects(&channel, entry, &effects);
        self.admit(
            entry,
            &channel,
            id,
            subscriber,
            (Some(member.key().to_owned()), None),
        );
        Ok(Subscribed::Joined)
    }

    /// Tells the observer the channel is occupied, if this join is its first subscriber: before
    /// the join's member is added, as the channel holds the member. In a cluster the cluster
    /// decides, told once of this node's first socket there.
    fn occupy(&self, entry: &mut Channel, channel: &ChannelName) {
        match &self.cluster {
            Some(cluster) if !entry.occupancy_told => {
                entry.occupancy_told = true;
                cluster.occupancy(channel, true);
            }
            Some(_) => {}
            None if entry.subscribers.is_empty() => self.tell(|| Transition::ChannelOccupied {
                channel: channel.clone(),
            }),
            None => {}
        }
    }

    /// Adds a subscription to `channel` and tells the socket: the last step of a join, once
    /// the others have been told of its user.
    /// `user` is the presence member's key and `named` the user a private channel's
    /// authorization named.
    fn admit(
        &self,
        entry: &mut Channel,
        channel: &ChannelName,
        id: &SocketId,
        subscriber: Arc<dyn Subscriber>,
        (user, named): (Option<String>, Option<String>),
    ) {
        self.tell_subscribed(&*subscriber, channel, entry);
        entry.untold_subscribers.store(true, Ordering::Relaxed);
        self.count_changed(channel, entry.subscribers.len() + 1);
        entry.subscribers.insert(
            id.clone(),
            Subscription {
                subscriber,
                user,
                named,
                count_told: AtomicBool::new(false),
            },
        );
    }
}

/// A join waiting for the cluster's answer. If its future is dropped before the answer (a
/// front end gave up waiting), the join is taken back: the channel stops being kept for it,
/// and the cluster is told the socket left.
struct PendingJoin<'a> {
    hub: &'a Hub,
    cluster: &'a Arc<dyn Cluster>,
    id: &'a SocketId,
    channel: &'a ChannelName,
    armed: bool,
}

impl Drop for PendingJoin<'_> {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        let mut registry = self.hub.write();
        if let Some(entry) = registry.channels.get_mut(self.channel) {
            entry.joining = entry.joining.saturating_sub(1);
        }
        self.cluster.leave(self.channel, self.id);
        self.hub
            .forget_if_unused(&mut registry.channels, self.channel);
    }
}

/// Who a subscription's access names: the presence member, or a private channel's user.
struct Granted {
    member: Option<Member>,
    named: Option<String>,
}

/// Checks that `access` is what `channel`'s kind requires.
fn check_access(channel: &ChannelName, access: Access) -> Result<Granted, SubscribeError> {
    let kind = channel.kind();
    let named = |named| Granted {
        member: None,
        named,
    };
    let granted = match (kind, access) {
        (ChannelKind::Public, Access::Public) | (ChannelKind::Private, Access::Private) => {
            return Ok(named(None));
        }
        (ChannelKind::Private, Access::PrivateAs(user)) => return Ok(named(Some(user))),
        (ChannelKind::Presence, Access::Presence(member)) => {
            return Ok(Granted {
                member: Some(member),
                named: None,
            });
        }
        (ChannelKind::Private | ChannelKind::Presence, Access::Public) => {
            return Err(SubscribeError::NeedsAuthorization {
                channel: channel.clone(),
                kind,
            });
        }
        (_, Access::Private | Access::PrivateAs(_)) => "private",
        (_, Access::Presence(_)) => "presence",
    };
    Err(SubscribeError::WrongAccess {
        channel: channel.clone(),
        kind,
        granted,
    })
}
