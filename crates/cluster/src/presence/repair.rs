//! Making Redis hold the truth about a node's members: this node's after Redis was
//! unreachable or forgot it (reconciliation), a dead node's (the sweep: it has none), and this
//! node's when it stops (the goodbye: it has none any more).

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use sidecast_core::{ChannelName, Hub, RosterChange};

use super::{Presence, Swept};
use crate::link::LinkError;
use crate::store::{Reconciled, Vacated};

impl Presence {
    /// Makes Redis hold exactly the journal: this node's entries that are not in it are
    /// removed, missing ones added; only real changes of membership are announced.
    pub(super) async fn reconcile(self: &Arc<Self>, hub: &Arc<Hub>) {
        let wanted = self.journal().entries();
        let recorded = match self.store.node_channels(&self.link, &self.node).await {
            Ok(channels) => channels,
            Err(error) => {
                tracing::debug!(%error, "presence not reconciled yet: Redis is unreachable");
                return;
            }
        };
        if let Err(error) = self.forget_swept().await {
            tracing::debug!(%error, "presence not reconciled yet");
            return;
        }
        let present: Vec<ChannelName> = wanted.keys().cloned().collect();
        let unconfirmed: Vec<ChannelName> = self.unconfirmed().channels().cloned().collect();
        // The index first: a node dying halfway leaves the index ahead of the rosters.
        let mut index: Vec<ChannelName> = present
            .iter()
            .chain(&recorded)
            .chain(&unconfirmed)
            .cloned()
            .collect();
        index.sort();
        index.dedup();
        if let Err(error) = self.store.set_node_channels(&self.link, &index).await {
            tracing::debug!(%error, "presence index not rewritten yet");
            return;
        }
        let channels: HashSet<ChannelName> = index.into_iter().collect();
        if let Err(error) = self.reoccupy(hub).await {
            tracing::debug!(%error, "channel occupancy not reconciled yet");
            return;
        }
        let mut changed = 0;
        for channel in &channels {
            let entries = wanted.get(channel).map_or(&[][..], Vec::as_slice);
            match self
                .store
                .reconcile(&self.link, &self.node, channel, entries, self.grace())
                .await
            {
                Ok((snapshot, changes)) => {
                    changed += changes.len();
                    for reconciled in &changes {
                        self.tell_reconciled(channel, reconciled);
                        self.announce(channel, reconciled.stamp, &reconciled.change);
                    }
                    if let Err(error) = self.tell_unconfirmed_leaves(channel, &changes).await {
                        tracing::debug!(%channel, %error, "presence not reconciled yet");
                        return;
                    }
                    hub.sync_roster(channel, snapshot);
                }
                Err(error) => {
                    tracing::debug!(%channel, %error, "presence not reconciled yet");
                    return;
                }
            }
        }
        if let Err(error) = self.store.set_node_channels(&self.link, &present).await {
            tracing::debug!(%error, "presence index not rewritten yet");
            return;
        }
        if let Err(error) = self.revacate(hub).await {
            tracing::debug!(%error, "channel occupancy not reconciled yet");
            return;
        }
        self.diverged.store(false, Ordering::Relaxed);
        if changed > 0 {
            tracing::info!(
                channels = channels.len(),
                changes = changed,
                "presence in Redis reconciled with this node's sockets"
            );
        } else {
            tracing::debug!(
                channels = channels.len(),
                "presence in Redis matched this node's sockets"
            );
        }
    }

    /// The leaves from `channel` Redis did not confirm, once it is reconciled: those the
    /// reconciliation did not make (they were made already, their answer lost, or lost with
    /// Redis' data) are told if the user is nowhere in the cluster, after the grace period.
    async fn tell_unconfirmed_leaves(
        &self,
        channel: &ChannelName,
        changes: &[Reconciled],
    ) -> Result<(), LinkError> {
        let grace = self.grace().unwrap_or_default();
        let users = self.unconfirmed().take_leaves(channel);
        let mut users = users.into_iter();
        while let Some(user) = users.next() {
            let made = changes.iter().any(|reconciled| {
                matches!(&reconciled.change, RosterChange::Left { user: left } if *left == user)
            });
            if made {
                continue;
            }
            match self
                .store
                .leave_unconfirmed(&self.link, channel, &user, grace)
                .await
            {
                Ok(Vacated::Absent | Vacated::No) => {}
                Ok(Vacated::Now) => self.tell_left(channel, &user, None),
                Ok(Vacated::Later(marker)) => self.tell_left(channel, &user, Some(marker)),
                Err(error) => {
                    // Checked again at the next reconciliation.
                    let mut unconfirmed = self.unconfirmed();
                    for user in std::iter::once(user).chain(users) {
                        unconfirmed.leave(channel, &user);
                    }
                    return Err(error);
                }
            }
        }
        Ok(())
    }

    /// A node cut off from Redis long enough to be swept as dead had its leaves decided by
    /// the node that swept it: those Redis did not confirm are not decided again.
    async fn forget_swept(&self) -> Result<(), LinkError> {
        if !self.is_telling() {
            return Ok(());
        }
        let decided = self.store.take_swept(&self.link).await?;
        if decided.is_empty() {
            return Ok(());
        }
        tracing::info!(
            decided = decided.len(),
            "this node was taken for dead and swept: the sweeping node decided its leaves"
        );
        let mut unconfirmed = self.unconfirmed();
        for decided in decided.iter().filter_map(|text| Swept::decode(text)) {
            unconfirmed.swept(&decided);
        }
        Ok(())
    }

    /// Removes a node's members (a dead one, or this one saying goodbye); returns how many
    /// users left.
    pub(crate) async fn sweep(
        self: &Arc<Self>,
        hub: &Arc<Hub>,
        node: &str,
    ) -> Result<usize, String> {
        let channels = self
            .store
            .node_channels(&self.link, node)
            .await
            .map_err(|e| e.to_string())?;
        if node != self.node && self.is_telling() {
            self.record_sweep(node, &channels).await?;
        }
        let mut left = 0;
        for channel in &channels {
            let (_, changes) = self
                .store
                .reconcile(&self.link, node, channel, &[], self.grace())
                .await
                .map_err(|e| e.to_string())?;
            for reconciled in changes {
                self.tell_reconciled(channel, &reconciled);
                self.announce(channel, reconciled.stamp, &reconciled.change);
                self.apply(hub, channel, reconciled.stamp, reconciled.change);
                left += 1;
            }
        }
        self.sweep_occupancy(node).await?;
        self.store
            .forget(&self.link, node)
            .await
            .map_err(|e| e.to_string())?;
        Ok(left)
    }

    /// Keeps for dead `node`, before anything is decided for it, what its sweep decides: its
    /// sockets in `channels`' rosters, and the channels and users Redis has it in (not by its
    /// index, which an answer lost leaves behind). Kept whole first, so that a sweep stopped
    /// halfway and done again later keeps it all; what the sweep does not get to stays the
    /// node's in Redis, for it to decide when it comes back.
    async fn record_sweep(&self, node: &str, channels: &[ChannelName]) -> Result<(), String> {
        let mut decided = Vec::new();
        for channel in channels {
            let users = self
                .store
                .node_users_in(&self.link, node, channel)
                .await
                .map_err(|e| e.to_string())?;
            decided.extend(users.into_iter().map(|user| Swept::Leave {
                channel: channel.to_string(),
                user,
            }));
        }
        let occupied = self
            .store
            .node_occupied(&self.link, node)
            .await
            .map_err(|e| e.to_string())?;
        for tracked in occupied {
            let there = self.store.occupied_by(&self.link, node, &tracked).await;
            if there.map_err(|e| e.to_string())? {
                decided.push(Swept::of(&tracked));
            }
        }
        let decided: Vec<String> = decided.iter().map(Swept::encode).collect();
        self.store
            .record_sweep(&self.link, node, &decided)
            .await
            .map_err(|e| e.to_string())
    }

    /// This node stops: every op queued before has been applied; its members are removed.
    pub(super) async fn goodbye(self: &Arc<Self>, hub: &Arc<Hub>) {
        match self.sweep(hub, &self.node.clone()).await {
            Ok(left) => tracing::info!(
                users_left = left,
                "this node's presence members were removed"
            ),
            Err(error) => {
                tracing::warn!(%error, "cannot remove this node's presence members; the other nodes will once it is missed")
            }
        }
    }
}
