//! What the other nodes of a cluster send in about presence: numbered roster changes and
//! snapshots, applied to the channels' mirrors and told to this node's subscribers. Events
//! and whispers from other nodes come in through `publish` and `relay_whisper`.

use super::{Hub, Presence};
use crate::cluster::{RosterChange, RosterSnapshot, Stamp};
use crate::mirror::{Effects, Mirror};
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
    /// Applies change `stamp` of a presence channel's roster, telling this node's subscribers
    /// who joined or left, in version order.
    pub fn apply_presence(
        &self,
        channel: &ChannelName,
        stamp: Stamp,
        change: RosterChange,
    ) -> Applied {
        self.change_mirror(channel, |mirror| {
            let effects = mirror.apply(stamp, change);
            let applied = if mirror.is_behind() {
                Applied::Behind
            } else {
                Applied::UpToDate
            };
            (effects, applied)
        })
        .unwrap_or(Applied::NotWatched)
    }

    /// Brings a presence channel's mirror up to `snapshot` if that is more recent (or of a
    /// roster created anew), telling this node's subscribers the difference.
    pub fn sync_roster(&self, channel: &ChannelName, snapshot: RosterSnapshot) {
        self.change_mirror(channel, |mirror| (mirror.sync(snapshot), ()));
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
        if let (false, Some(Presence::Mirror(mirror))) = (still_here, &mut entry.presence) {
            let effects = mirror.leave_unconfirmed(user);
            self.tell_effects(channel, entry, &effects);
        }
    }

    /// Changes the mirror of `channel` under the write lock and tells its subscribers what
    /// that did; `None` if this node does not mirror the channel.
    fn change_mirror<T>(
        &self,
        channel: &ChannelName,
        change: impl FnOnce(&mut Mirror) -> (Effects, T),
    ) -> Option<T> {
        let mut registry = self.write();
        let entry = registry.channels.get_mut(channel)?;
        let Some(Presence::Mirror(mirror)) = &mut entry.presence else {
            return None;
        };
        let (effects, outcome) = change(mirror);
        self.tell_effects(channel, entry, &effects);
        Some(outcome)
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

    /// Whether a mirrored presence channel is missing a change (or has no snapshot yet).
    pub fn roster_behind(&self, channel: &ChannelName) -> bool {
        matches!(
            self.read().channels.get(channel).and_then(|entry| entry.presence.as_ref()),
            Some(Presence::Mirror(mirror)) if mirror.is_behind()
        )
    }

    /// The stamp of a mirrored presence channel's roster, if this node mirrors it and has
    /// applied a snapshot.
    pub fn roster_stamp(&self, channel: &ChannelName) -> Option<Stamp> {
        match &self.read().channels.get(channel)?.presence {
            Some(Presence::Mirror(mirror)) => mirror.stamp(),
            _ => None,
        }
    }
}
