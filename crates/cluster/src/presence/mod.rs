//! Presence across the cluster: this node's joins and leaves recorded in Redis, in the order
//! they happened, and the changes they make told to every node.
//!
//! One worker applies them one after another, so Redis sees a socket's leave before its next
//! join. The journal (`journal`) is this node's own truth — which of its sockets are present
//! where — written at once, whether Redis answers or not. When Redis could not be reached, or
//! forgot this node (it restarted, or took the node for dead), the worker reconciles
//! (`repair`): it makes Redis hold exactly the journal, and tells the others only what really
//! changed. With lifecycle events on, it also tells the app's observer of the transitions
//! Redis decides for the whole cluster (`told`), channels' occupancy included.

mod journal;
mod occupancy;
mod repair;
mod told;
mod unconfirmed;

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use sidecast_core::{
    Applied, ChannelName, Hub, Member, RosterChange, RosterSnapshot, SocketId, Stamp,
};
use tokio::sync::{mpsc, oneshot};

pub(crate) use journal::Journal;
pub use told::Telling;
use unconfirmed::{Swept, Unconfirmed};

use crate::envelope::{Body, Change, MemberWire};
use crate::link::Link;
use crate::outbox::Outbox;
use crate::store::{Left, Store, Tracked};

/// Work for the presence worker, in the order it must happen.
pub(crate) enum Op {
    Join {
        channel: ChannelName,
        socket: SocketId,
        member: Member,
        reply: oneshot::Sender<Option<RosterSnapshot>>,
    },
    Leave {
        channel: ChannelName,
        socket: SocketId,
        /// The member it was present as; `None` if the journal did not know it.
        member: Option<Member>,
    },
    /// This node's first socket came to a channel (first connection of a signed-in user), or
    /// its last one went (lifecycle events).
    Occupancy { tracked: Tracked, occupied: bool },
    /// This node's subscriptions to a channel are `here` now (subscription_count).
    Count { channel: ChannelName, here: usize },
    /// Read these channels' rosters and bring this node's mirrors up to them.
    Resync(Vec<ChannelName>),
    /// Make Redis hold exactly this node's journal.
    Reconcile,
    /// Remove this node's members and stop: the node is stopping.
    Goodbye(oneshot::Sender<()>),
}

pub(crate) struct Presence {
    node: String,
    store: Arc<Store>,
    link: Arc<Link>,
    outbox: Arc<Outbox>,
    journal: Mutex<Journal>,
    pub(crate) ops: mpsc::UnboundedSender<Op>,
    /// Something was not recorded in Redis: reconcile once it can be reached.
    diverged: AtomicBool,
    gap_wait: Duration,
    /// Channels waiting for a missing change, so each is read once.
    gaps: Mutex<HashSet<ChannelName>>,
    /// Who is told of lifecycle transitions, when anyone is.
    telling: Option<Telling>,
    held: told::Held,
    /// Leaves Redis did not confirm, checked by the next reconciliation (lifecycle events).
    unconfirmed: Mutex<Unconfirmed>,
}

impl Presence {
    pub(crate) fn new(
        node: String,
        store: Arc<Store>,
        link: Arc<Link>,
        outbox: Arc<Outbox>,
        gap_wait: Duration,
        telling: Option<Telling>,
    ) -> (Arc<Self>, mpsc::UnboundedReceiver<Op>) {
        let (ops, receiver) = mpsc::unbounded_channel();
        let presence = Arc::new(Presence {
            node,
            store,
            link,
            outbox,
            journal: Mutex::new(Journal::default()),
            ops,
            diverged: AtomicBool::new(false),
            gap_wait,
            gaps: Mutex::new(HashSet::new()),
            telling,
            held: told::Held::default(),
            unconfirmed: Mutex::new(Unconfirmed::default()),
        });
        (presence, receiver)
    }

    pub(crate) fn journal(&self) -> MutexGuard<'_, Journal> {
        self.journal.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn unconfirmed(&self) -> MutexGuard<'_, Unconfirmed> {
        self.unconfirmed
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Waits (at most `within`) for the leaves held in their grace period to be told or
    /// cancelled: the node is stopping, after its goodbye.
    pub(crate) async fn settle(&self, within: Duration) {
        self.held.settle(within).await;
    }

    /// Whether lifecycle transitions are told (the hub's occupancy is then recorded).
    pub(crate) fn is_telling(&self) -> bool {
        self.telling.is_some()
    }

    /// Asks for a reconciliation (Redis forgot this node, or was unreachable).
    pub(crate) fn diverge(&self) {
        self.diverged.store(true, Ordering::Relaxed);
        let _ = self.ops.send(Op::Reconcile);
    }

    /// Whether a reconciliation is still due.
    pub(crate) fn is_diverged(&self) -> bool {
        self.diverged.load(Ordering::Relaxed)
    }

    /// Applies `ops` until the node says goodbye.
    pub(crate) async fn run(self: Arc<Self>, mut ops: mpsc::UnboundedReceiver<Op>, hub: Arc<Hub>) {
        while let Some(op) = ops.recv().await {
            if self.is_diverged() && !matches!(op, Op::Reconcile | Op::Goodbye(_)) {
                self.reconcile(&hub).await;
            }
            match op {
                Op::Join {
                    channel,
                    socket,
                    member,
                    reply,
                } => self.join(&hub, channel, &socket, member, reply).await,
                Op::Leave {
                    channel,
                    socket,
                    member,
                } => self.leave(&hub, channel, &socket, member).await,
                Op::Occupancy { tracked, occupied } => self.occupancy(&tracked, occupied).await,
                Op::Count { channel, here } => self.count(&channel, here).await,
                Op::Resync(channels) => {
                    for channel in channels {
                        self.resync(&hub, &channel).await;
                    }
                }
                Op::Reconcile if self.is_diverged() => self.reconcile(&hub).await,
                Op::Reconcile => {}
                Op::Goodbye(done) => {
                    self.goodbye(&hub).await;
                    // Every leave of this node is held by now; a dead node's swept later is
                    // told at once.
                    self.held.close();
                    let _ = done.send(());
                    return;
                }
            }
        }
    }

    async fn join(
        self: &Arc<Self>,
        hub: &Arc<Hub>,
        channel: ChannelName,
        socket: &SocketId,
        member: Member,
        reply: oneshot::Sender<Option<RosterSnapshot>>,
    ) {
        match self
            .store
            .join(&self.link, &channel, socket.as_str(), &member)
            .await
        {
            Ok(joined) => {
                self.tell_arrival(&channel, &member, joined.arrival);
                if joined.first {
                    let change = RosterChange::Joined(member);
                    self.announce(&channel, joined.snapshot.stamp, &change);
                }
                // The hub stopped waiting (it joined the socket with what it knew): bring its
                // mirror up to what Redis now holds.
                if let Err(Some(snapshot)) = reply.send(Some(joined.snapshot)) {
                    hub.sync_roster(&channel, snapshot);
                }
            }
            Err(error) => {
                tracing::debug!(%channel, %error, "presence join not recorded in Redis; repaired when it is back");
                self.diverged.store(true, Ordering::Relaxed);
                let _ = reply.send(None);
            }
        }
    }

    async fn leave(
        self: &Arc<Self>,
        hub: &Arc<Hub>,
        channel: ChannelName,
        socket: &SocketId,
        member: Option<Member>,
    ) {
        let left = self
            .store
            .leave(&self.link, &channel, socket.as_str(), self.grace())
            .await;
        match left {
            Ok(Left::Last { stamp, user, gone }) => {
                self.tell_left(&channel, &user, gone);
                let change = RosterChange::Left { user };
                self.announce(&channel, stamp, &change);
                self.apply(hub, &channel, stamp, change);
            }
            Ok(Left::StillPresent | Left::Unknown) => {}
            Err(error) => {
                tracing::debug!(%channel, %error, "presence leave not recorded in Redis; repaired when it is back");
                self.diverged.store(true, Ordering::Relaxed);
                if let Some(member) = member {
                    hub.leave_unconfirmed(&channel, member.key());
                    if self.is_telling() {
                        self.unconfirmed().leave(&channel, member.key());
                    }
                }
                return;
            }
        }
        // Whether this node still has a socket there is asked now, not when the leave was
        // queued: a join queued meanwhile keeps the channel in the index.
        if !self.journal().is_in(&channel)
            && let Err(error) = self.store.unindex_channel(&self.link, &channel).await
        {
            tracing::debug!(%channel, %error, "presence index not updated in Redis; repaired when it is back");
            self.diverged.store(true, Ordering::Relaxed);
        }
    }

    async fn resync(&self, hub: &Hub, channel: &ChannelName) {
        match self.store.snapshot(&self.link, channel).await {
            Ok(snapshot) => hub.sync_roster(channel, snapshot),
            Err(error) => tracing::debug!(%channel, %error, "cannot read a presence roster"),
        }
    }

    /// Tells the other nodes of change `stamp`.
    fn announce(&self, channel: &ChannelName, stamp: Stamp, change: &RosterChange) {
        let change = match change {
            RosterChange::Joined(member) => Change::Joined {
                member: MemberWire::of(member),
            },
            RosterChange::Left { user } => Change::Left { user: user.clone() },
        };
        self.outbox.broadcast(
            self.store.keys(),
            Body::Presence {
                channel: channel.to_string(),
                epoch: stamp.epoch,
                ver: stamp.version,
                change,
            },
        );
    }

    /// Applies change `stamp` to this node's mirror; when an earlier change is missing (or
    /// the roster was created anew), reads the roster if that is not resolved after a short
    /// wait.
    pub(crate) fn apply(
        self: &Arc<Self>,
        hub: &Arc<Hub>,
        channel: &ChannelName,
        stamp: Stamp,
        change: RosterChange,
    ) {
        if hub.apply_presence(channel, stamp, change) != Applied::Behind
            || !self.gaps().insert(channel.clone())
        {
            return;
        }
        let (presence, hub, channel) = (self.clone(), hub.clone(), channel.clone());
        tokio::spawn(async move {
            tokio::time::sleep(presence.gap_wait).await;
            presence.gaps().remove(&channel);
            if hub.roster_behind(&channel) {
                tracing::debug!(%channel, wait = ?presence.gap_wait, "a presence change is missing; reading the roster");
                let _ = presence.ops.send(Op::Resync(vec![channel]));
            }
        });
    }

    fn gaps(&self) -> MutexGuard<'_, HashSet<ChannelName>> {
        self.gaps.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests;
