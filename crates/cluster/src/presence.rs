//! Presence across the cluster: this node's joins and leaves recorded in Redis, in the order
//! they happened, and the changes they make told to every node.
//!
//! One worker applies them one after another, so Redis sees a socket's leave before its next
//! join. The journal is this node's own truth — which of its sockets are present where —
//! written at once, whether Redis answers or not. When Redis could not be reached, or forgot
//! this node (it restarted, or took the node for dead), the worker reconciles: it makes
//! Redis hold exactly the journal, and tells the others only what really changed.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use sidecast_core::{Applied, ChannelName, Hub, Member, RosterChange, RosterSnapshot, SocketId};
use tokio::sync::{mpsc, oneshot};

use crate::envelope::{Body, Change, MemberWire};
use crate::link::Link;
use crate::outbox::Outbox;
use crate::store::{Left, Store};

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
        /// Whether it was this node's last socket in the channel.
        last_here: bool,
    },
    /// Read these channels' rosters and bring this node's mirrors up to them; `replace` even
    /// if they are not newer (after the bus was reconnected, versions may have restarted).
    Resync {
        channels: Vec<ChannelName>,
        replace: bool,
    },
    /// Make Redis hold exactly this node's journal.
    Reconcile,
}

/// Which sockets of this node are present where, as the members they joined as.
#[derive(Default)]
pub(crate) struct Journal {
    channels: HashMap<ChannelName, HashMap<SocketId, Member>>,
}

impl Journal {
    pub(crate) fn join(&mut self, channel: &ChannelName, socket: &SocketId, member: &Member) {
        self.channels
            .entry(channel.clone())
            .or_default()
            .insert(socket.clone(), member.clone());
    }

    /// Removes a socket; returns the member it was and whether the channel has no socket of
    /// this node left.
    pub(crate) fn leave(
        &mut self,
        channel: &ChannelName,
        socket: &SocketId,
    ) -> (Option<Member>, bool) {
        let Some(sockets) = self.channels.get_mut(channel) else {
            return (None, true);
        };
        let member = sockets.remove(socket);
        let last = sockets.is_empty();
        if last {
            self.channels.remove(channel);
        }
        (member, last)
    }

    fn entries(&self) -> HashMap<ChannelName, Vec<(String, Member)>> {
        self.channels
            .iter()
            .map(|(channel, sockets)| {
                let entries = sockets
                    .iter()
                    .map(|(socket, member)| (socket.to_string(), member.clone()))
                    .collect();
                (channel.clone(), entries)
            })
            .collect()
    }
}

pub(crate) struct Presence {
    node: String,
    store: Arc<Store>,
    link: Arc<Link>,
    outbox: Arc<Outbox>,
    pub(crate) journal: Mutex<Journal>,
    pub(crate) ops: mpsc::UnboundedSender<Op>,
    /// Something was not recorded in Redis: reconcile once it can be reached.
    diverged: AtomicBool,
    gap_wait: Duration,
    /// Channels waiting for a missing change, so each is read once.
    gaps: Mutex<HashSet<ChannelName>>,
}

impl Presence {
    pub(crate) fn new(
        node: String,
        store: Arc<Store>,
        link: Arc<Link>,
        outbox: Arc<Outbox>,
        gap_wait: Duration,
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
        });
        (presence, receiver)
    }

    pub(crate) fn journal(&self) -> std::sync::MutexGuard<'_, Journal> {
        self.journal.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Asks for a reconciliation (Redis forgot this node, or was unreachable).
    pub(crate) fn diverge(&self) {
        self.diverged.store(true, Ordering::Relaxed);
        let _ = self.ops.send(Op::Reconcile);
    }

    /// Applies `ops` until the node stops.
    pub(crate) async fn run(self: Arc<Self>, mut ops: mpsc::UnboundedReceiver<Op>, hub: Arc<Hub>) {
        while let Some(op) = ops.recv().await {
            if self.diverged.load(Ordering::Relaxed) && !matches!(op, Op::Reconcile) {
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
                    last_here,
                } => self.leave(&hub, channel, &socket, member, last_here).await,
                Op::Resync { channels, replace } => {
                    for channel in channels {
                        self.resync(&hub, &channel, replace).await;
                    }
                }
                Op::Reconcile => self.reconcile(&hub).await,
            }
        }
    }

    async fn join(
        &self,
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
                if joined.first {
                    let change = RosterChange::Joined(member);
                    self.announce(&channel, joined.snapshot.version, &change);
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
        last_here: bool,
    ) {
        match self
            .store
            .leave(&self.link, &channel, socket.as_str(), last_here)
            .await
        {
            Ok(Left::Last { version, user }) => {
                let change = RosterChange::Left { user };
                self.announce(&channel, version, &change);
                self.apply(hub, &channel, version, change);
            }
            Ok(Left::StillPresent | Left::Unknown) => {}
            Err(error) => {
                tracing::debug!(%channel, %error, "presence leave not recorded in Redis; repaired when it is back");
                self.diverged.store(true, Ordering::Relaxed);
                if let Some(member) = member {
                    hub.leave_unconfirmed(&channel, member.key());
                }
            }
        }
    }

    async fn resync(&self, hub: &Hub, channel: &ChannelName, replace: bool) {
        match self.store.snapshot(&self.link, channel).await {
            Ok(snapshot) if replace => hub.replace_roster(channel, snapshot),
            Ok(snapshot) => hub.sync_roster(channel, snapshot),
            Err(error) => tracing::debug!(%channel, %error, "cannot read a presence roster"),
        }
    }

    /// Makes Redis hold exactly the journal: this node's entries that are not in it are
    /// removed, missing ones added; only real changes of membership are announced.
    async fn reconcile(&self, hub: &Arc<Hub>) {
        let wanted = self.journal().entries();
        let recorded = match self.store.node_channels(&self.link, &self.node).await {
            Ok(channels) => channels,
            Err(error) => {
                tracing::debug!(%error, "presence not reconciled yet: Redis is unreachable");
                return;
            }
        };
        let channels: HashSet<ChannelName> = wanted.keys().cloned().chain(recorded).collect();
        let mut changed = 0;
        for channel in &channels {
            let entries = wanted.get(channel).map_or(&[][..], Vec::as_slice);
            match self
                .store
                .reconcile(&self.link, &self.node, channel, entries)
                .await
            {
                Ok((snapshot, changes)) => {
                    changed += changes.len();
                    for (version, change) in &changes {
                        self.announce(channel, *version, change);
                    }
                    hub.sync_roster(channel, snapshot);
                }
                Err(error) => {
                    tracing::debug!(%channel, %error, "presence not reconciled yet");
                    return;
                }
            }
        }
        let present: Vec<ChannelName> = wanted.into_keys().collect();
        if let Err(error) = self.store.set_node_channels(&self.link, &present).await {
            tracing::debug!(%error, "presence index not rewritten yet");
            return;
        }
        self.diverged.store(false, Ordering::Relaxed);
        tracing::info!(
            channels = channels.len(),
            changes = changed,
            "presence in Redis reconciled with this node's sockets"
        );
    }

    /// Removes a dead node's members; returns how many users left.
    pub(crate) async fn sweep(
        self: &Arc<Self>,
        hub: &Arc<Hub>,
        dead: &str,
    ) -> Result<usize, String> {
        let channels = self
            .store
            .node_channels(&self.link, dead)
            .await
            .map_err(|e| e.to_string())?;
        let mut left = 0;
        for channel in &channels {
            let (_, changes) = self
                .store
                .reconcile(&self.link, dead, channel, &[])
                .await
                .map_err(|e| e.to_string())?;
            for (version, change) in changes {
                self.announce(channel, version, &change);
                self.apply(hub, channel, version, change);
                left += 1;
            }
        }
        self.store
            .forget(&self.link, dead)
            .await
            .map_err(|e| e.to_string())?;
        Ok(left)
    }

    /// Tells the other nodes of change number `version`.
    fn announce(&self, channel: &ChannelName, version: u64, change: &RosterChange) {
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
                ver: version,
                change,
            },
        );
    }

    /// Applies change number `version` to this node's mirror; when an earlier change is
    /// missing, reads the roster if it has not come after a short wait.
    pub(crate) fn apply(
        self: &Arc<Self>,
        hub: &Arc<Hub>,
        channel: &ChannelName,
        version: u64,
        change: RosterChange,
    ) {
        if hub.apply_presence(channel, version, change) != Applied::Behind
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
                let _ = presence.ops.send(Op::Resync {
                    channels: vec![channel],
                    replace: false,
                });
            }
        });
    }

    fn gaps(&self) -> std::sync::MutexGuard<'_, HashSet<ChannelName>> {
        self.gaps.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
