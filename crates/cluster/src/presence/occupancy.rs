//! Which nodes have sockets in a channel, or connections of a signed-in user, kept in Redis
//! only for lifecycle events: the hub says when this node's first socket comes to a channel
//! and when its last one goes (`Cluster::occupancy`), and likewise for a user's connections
//! (`Cluster::signed_in`); the scripts add the nodes up (`store/occupancy.rs`).

use sidecast_core::{ChannelName, Hub};

use super::Presence;
use crate::store::{Tracked, Vacated};

impl Presence {
    /// This node's first socket came to a channel (first connection of a user), or its last
    /// one went.
    pub(super) async fn occupancy(&self, tracked: &Tracked, occupied: bool) {
        let Some(grace) = self.grace() else {
            return;
        };
        if occupied {
            match self.store.occupy(&self.link, tracked).await {
                Ok(arrival) => {
                    self.unconfirmed().recorded(tracked);
                    self.tell_occupied(tracked, arrival);
                }
                Err(error) => self.missed_occupancy(tracked, &error),
            }
            return;
        }
        match self
            .store
            .vacate(&self.link, &self.node, tracked, (grace, false))
            .await
        {
            Ok(vacated) => {
                // Nothing there: an earlier vacate whose answer was lost may have made it.
                if vacated != Vacated::Absent {
                    self.unconfirmed().recorded(tracked);
                }
                self.tell_vacated(tracked, vacated);
                if let Err(error) = self
                    .store
                    .unindex_occupied(&self.link, &self.node, tracked)
                    .await
                {
                    self.missed_occupancy(tracked, &error);
                }
            }
            Err(error) => {
                self.unconfirmed().vacate(tracked);
                self.missed_occupancy(tracked, &error);
            }
        }
    }

    /// This node's subscriptions to `channel` are `here` now: the channel's count across the
    /// cluster is told.
    pub(super) async fn count(&self, channel: &ChannelName, here: usize) {
        match self
            .store
            .count(&self.link, &self.node, channel, here)
            .await
        {
            Ok(total) => self.tell_count(channel, total),
            Err(error) => self.missed_occupancy(&Tracked::Channel(channel.clone()), &error),
        }
    }

    fn missed_occupancy(&self, tracked: &Tracked, error: &dyn std::fmt::Display) {
        tracing::debug!(?tracked, %error, "occupancy not recorded in Redis; repaired when it is back");
        self.diverged
            .store(true, std::sync::atomic::Ordering::Relaxed);
    }

    /// What this node has now, as the hub told the cluster: the channels it has sockets in,
    /// and the users signed in, when their events are told.
    fn occupied_here(&self, hub: &Hub) -> Vec<Tracked> {
        let channels = hub.occupied_here().into_iter().map(Tracked::Channel);
        let users = match self.tells_users() {
            true => hub.signed_in_here(),
            false => Vec::new(),
        };
        channels
            .chain(users.into_iter().map(Tracked::User))
            .collect()
    }

    /// After Redis was unreachable, before the rosters are reconciled (a channel is occupied
    /// before its members are added): Redis is told of what this node has now, and of its
    /// counts in its channels.
    pub(super) async fn reoccupy(&self, hub: &Hub) -> Result<(), String> {
        if self.grace().is_none() {
            return Ok(());
        }
        for tracked in self.occupied_here(hub) {
            let arrival = self
                .store
                .occupy(&self.link, &tracked)
                .await
                .map_err(|e| e.to_string())?;
            self.tell_occupied(&tracked, arrival);
            if let Tracked::Channel(channel) = &tracked
                && self.tells_counts()
            {
                let here = hub.subscription_count(channel);
                self.recount(&self.node, channel, here).await?;
            }
        }
        Ok(())
    }

    /// Records `node`'s count in `channel` and tells the channel's, when counts are told.
    async fn recount(&self, node: &str, channel: &ChannelName, here: usize) -> Result<(), String> {
        let total = self
            .store
            .count(&self.link, node, channel, here)
            .await
            .map_err(|e| e.to_string())?;
        if self.tells_counts() {
            self.tell_count(channel, total);
        }
        Ok(())
    }

    /// …and after them, of what it no longer has: what Redis has in its index, and what
    /// Redis did not confirm the vacating of (which Redis may have lost with its data).
    pub(super) async fn revacate(&self, hub: &Hub) -> Result<(), String> {
        if self.grace().is_none() {
            return Ok(());
        }
        let here = self.occupied_here(hub);
        let mut recorded = self
            .store
            .node_occupied(&self.link, &self.node)
            .await
            .map_err(|e| e.to_string())?;
        let unconfirmed: Vec<Tracked> = self.unconfirmed().vacated().cloned().collect();
        for tracked in unconfirmed {
            if !recorded.contains(&tracked) {
                recorded.push(tracked);
            }
        }
        for tracked in recorded {
            if here.contains(&tracked) {
                self.unconfirmed().recorded(&tracked);
                continue;
            }
            let unconfirmed = self.unconfirmed().is_vacated(&tracked);
            self.vacate_for(&self.node, &tracked, unconfirmed).await?;
        }
        Ok(())
    }

    /// A dead node's channels and users: vacated (disconnected) where it was the last node.
    /// Done whether this node tells lifecycle events or not, so that the dead node is never
    /// left counted.
    pub(super) async fn sweep_occupancy(&self, node: &str) -> Result<(), String> {
        let recorded = self
            .store
            .node_occupied(&self.link, node)
            .await
            .map_err(|e| e.to_string())?;
        for tracked in &recorded {
            self.vacate_for(node, tracked, false).await?;
        }
        Ok(())
    }

    /// `node` has no socket left in a channel (connection of a user): its count is taken out,
    /// then the channel is vacated if it was the last node (or, `unconfirmed`, if no node has
    /// it).
    async fn vacate_for(
        &self,
        node: &str,
        tracked: &Tracked,
        unconfirmed: bool,
    ) -> Result<(), String> {
        if let Tracked::Channel(channel) = tracked {
            self.recount(node, channel, 0).await?;
        }
        let grace = self.grace().unwrap_or_default();
        let vacated = self
            .store
            .vacate(&self.link, node, tracked, (grace, unconfirmed))
            .await
            .map_err(|e| e.to_string())?;
        if node == self.node {
            // Decided now: a failure to unindex must not make it decided again.
            self.unconfirmed().recorded(tracked);
        }
        self.tell_vacated(tracked, vacated);
        self.store
            .unindex_occupied(&self.link, node, tracked)
            .await
            .map_err(|e| e.to_string())
    }
}
