//! What the other nodes of a cluster send in about presence: numbered roster changes and
//! snapshots, applied to the channels' mirrors and told to this node's subscribers. Events
//! and whispers from other nodes come in through `publish` and `relay_whisper`.

use super::{Hub, Presence};
use crate::cluster::{RosterChange, RosterSnapshot};
use crate::names::ChannelName;

/// What applying a roster change did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    /// The channel has no presence subscriber on this node: nothing to do.
    NotWatched,
    /// Applied, or already included in what this node has.
    UpToDate,
    /// An earlier change is missing: held until it arrives, or until a snapshot is read.
    Behind,
}

impl Hub {
    /// Applies change number `version` of a presence channel's roster, telling this node's
    /// subscribers who joined or left, in version order.
    pub fn apply_presence(
        &self,
        channel: &ChannelName,
        version: u64,
        change: RosterChange,
    ) -> Applied {
        let mut registry = self.write();
        let Some(entry) = registry.channels.get_mut(channel) else {
            return Applied::NotWatched;
        };
        let Some(Presence::Mirror(mirror)) = &mut entry.presence else {
            return Applied::NotWatched;
        };
        let effects = mirror.apply(version, change);
        let behind = mirror.is_behind();
        self.tell_effects(channel, entry, &effects);
        if behind {
            Applied::Behind
        } else {
            Applied::UpToDate
        }
    }

    /// Brings a presence channel's mirror up to `snapshot` if that is newer, telling this
    /// node's subscribers the difference.
    pub fn sync_roster(&self, channel: &ChannelName, snapshot: RosterSnapshot) {
        let mut registry = self.write();
        let Some(entry) = registry.channels.get_mut(channel) else {
            return;
        };
        if let Some(Presence::Mirror(mirror)) = &mut entry.presence {
            let effects = mirror.sync(snapshot);
            self.tell_effects(channel, entry, &effects);
        }
    }

    /// A leave the cluster could not record: if `user` has no socket left in the channel on
    /// this node, this node's subscribers are told the user left, until the cluster can be
    /// asked again.
    pub fn leave_unconfirmed(&self, channel: &ChannelName, user: &str) {
        let mut registry = self.write();
        let Some(entry) = registry.channels.get_mut(channel) else {
            return;
        };
        let still_here = entry
            .subscribers
            .values()
            .any(|subscription| subscription.user.as_deref() == Some(user));
        if still_here {
            return;
        }
        if let Some(Presence::Mirror(mirror)) = &mut entry.presence {
            let effects = mirror.leave_unconfirmed(user);
            self.tell_effects(channel, entry, &effects);
        }
    }

    /// The presence channels this node mirrors, each with whether it needs a snapshot (a
    /// change is missing, or none was applied yet).
    pub fn mirrored_channels(&self) -> Vec<(ChannelName, bool)> {
        self.read()
            .channels
            .iter()
            .filter_map(|(name, entry)| match &entry.presence {
                Some(Presence::Mirror(mirror)) => Some((name.clone(), mirror.is_behind())),
                _ => None,
            })
            .collect()
    }

    /// The version of a mirrored presence channel's roster, if this node mirrors it.
    pub fn roster_version(&self, channel: &ChannelName) -> Option<u64> {
        match &self.read().channels.get(channel)?.presence {
            Some(Presence::Mirror(mirror)) => mirror.version(),
            _ => None,
        }
    }
}
