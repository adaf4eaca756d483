//! Which nodes have sockets in a channel, kept in Redis only for lifecycle events: the hub
//! says when this node's first socket comes to a channel and when its last one goes
//! (`Cluster::occupancy`), and the scripts add the nodes up (`store/occupancy.rs`).

use sidecast_core::{ChannelName, Hub};

use super::Presence;

impl Presence {
    /// This node's first socket came to `channel`, or its last one went.
    pub(super) async fn occupancy(&self, channel: &ChannelName, occupied: bool) {
        let Some(grace) = self.grace() else {
            return;
        };
        if occupied {
            match self.store.occupy(&self.link, channel).await {
                Ok(arrival) => self.tell_occupied(channel, arrival),
                Err(error) => self.missed_occupancy(channel, &error),
            }
            return;
        }
        match self
            .store
            .vacate(&self.link, &self.node, channel, grace)
            .await
        {
            Ok(vacated) => {
                self.tell_vacated(channel, vacated);
                if let Err(error) = self
                    .store
                    .unindex_occupied(&self.link, &self.node, channel)
                    .await
                {
                    self.missed_occupancy(channel, &error);
                }
            }
            Err(error) => self.missed_occupancy(channel, &error),
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
            Err(error) => self.missed_occupancy(channel, &error),
        }
    }

    fn missed_occupancy(&self, channel: &ChannelName, error: &dyn std::fmt::Display) {
        tracing::debug!(%channel, %error, "channel occupancy not recorded in Redis; repaired when it is back");
        self.diverged
            .store(true, std::sync::atomic::Ordering::Relaxed);
    }

    /// After Redis was unreachable, before the rosters are reconciled (a channel is occupied
    /// before its members are added): Redis is told of the channels this node has sockets in
    /// now, those the hub told the cluster of, and of its counts there.
    pub(super) async fn reoccupy(&self, hub: &Hub) -> Result<(), String> {
        if self.grace().is_none() {
            return Ok(());
        }
        for channel in hub.occupied_here() {
            let arrival = self
                .store
                .occupy(&self.link, &channel)
                .await
                .map_err(|e| e.to_string())?;
            self.tell_occupied(&channel, arrival);
            if self.tells_counts() {
                let here = hub.subscription_count(&channel);
                self.recount(&self.node, &channel, here).await?;
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

    /// …and after them, of the channels it has left meanwhile.
    pub(super) async fn revacate(&self, hub: &Hub) -> Result<(), String> {
        if self.grace().is_none() {
            return Ok(());
        }
        let here = hub.occupied_here();
        let recorded = self
            .store
            .node_occupied(&self.link, &self.node)
            .await
            .map_err(|e| e.to_string())?;
        for channel in recorded.iter().filter(|channel| !here.contains(channel)) {
            self.vacate_for(&self.node, channel).await?;
        }
        Ok(())
    }

    /// A dead node's channels: vacated where it was the last node. Done whether this node
    /// tells lifecycle events or not, so that the dead node is never left counted.
    pub(super) async fn sweep_occupancy(&self, node: &str) -> Result<(), String> {
        let channels = self
            .store
            .node_occupied(&self.link, node)
            .await
            .map_err(|e| e.to_string())?;
        for channel in &channels {
            self.vacate_for(node, channel).await?;
        }
        Ok(())
    }

    /// `node` has no socket left in `channel`: its count is taken out, then the channel is
    /// vacated if it was the last node.
    async fn vacate_for(&self, node: &str, channel: &ChannelName) -> Result<(), String> {
        self.recount(node, channel, 0).await?;
        let grace = self.grace().unwrap_or_default();
        let vacated = self
            .store
            .vacate(&self.link, node, channel, grace)
            .await
            .map_err(|e| e.to_string())?;
        self.tell_vacated(channel, vacated);
        self.store
            .unindex_occupied(&self.link, node, channel)
            .await
            .map_err(|e| e.to_string())
    }
}
