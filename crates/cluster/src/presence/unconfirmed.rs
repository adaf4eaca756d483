//! Leaves Redis did not confirm: it was unreachable, or its answer was lost. The next
//! reconciliation makes Redis hold this node's truth; a leave it then finds made already
//! (its answer was lost) or cannot find at all (Redis lost its data) is decided by this node:
//! held for the grace period, and told if the cluster has not got the user, or the channel,
//! back by then. Without this, an app that marks users offline would keep them online for
//! ever. A node cut off from Redis long enough
//! to be swept as dead finds what the sweep decided for it (`Swept`), and decides only the
//! rest.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};
use sidecast_core::ChannelName;

use crate::store::Tracked;

/// What another node's sweep of this one decided for it, as kept in Redis
/// (`Store::record_sweep`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Swept {
    /// The node's sockets of `user` (a member key) in `channel` were removed.
    Leave { channel: String, user: String },
    /// The node's sockets in the channel were taken out of its occupancy.
    Channel(String),
    /// The node's connections of the user were taken out of its occupancy.
    User(String),
}

impl Swept {
    pub(crate) fn of(tracked: &Tracked) -> Self {
        match tracked {
            Tracked::Channel(channel) => Swept::Channel(channel.to_string()),
            Tracked::User(user) => Swept::User(user.clone()),
        }
    }

    pub(crate) fn encode(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// `None` for what this version does not write.
    pub(crate) fn decode(text: &str) -> Option<Self> {
        serde_json::from_str(text).ok()
    }
}

#[derive(Default)]
pub(crate) struct Unconfirmed {
    /// Channel → the members (by key) whose leave from it was not recorded.
    leaves: HashMap<ChannelName, HashSet<String>>,
    /// Channels vacated, users disconnected, on this node, not recorded.
    vacated: HashSet<Tracked>,
}

impl Unconfirmed {
    pub(crate) fn leave(&mut self, channel: &ChannelName, user: &str) {
        self.leaves
            .entry(channel.clone())
            .or_default()
            .insert(user.to_owned());
    }

    /// The channels with leaves to check, for the reconciliation to visit.
    pub(crate) fn channels(&self) -> impl Iterator<Item = &ChannelName> {
        self.leaves.keys()
    }

    /// The leaves from `channel` to check now that it is reconciled; forgotten here.
    pub(crate) fn take_leaves(&mut self, channel: &ChannelName) -> HashSet<String> {
        self.leaves.remove(channel).unwrap_or_default()
    }

    pub(crate) fn vacate(&mut self, tracked: &Tracked) {
        self.vacated.insert(tracked.clone());
    }

    /// Redis recorded a later change of it by this node: nothing left to check.
    pub(crate) fn recorded(&mut self, tracked: &Tracked) {
        self.vacated.remove(tracked);
    }

    pub(crate) fn is_vacated(&self, tracked: &Tracked) -> bool {
        self.vacated.contains(tracked)
    }

    pub(crate) fn vacated(&self) -> impl Iterator<Item = &Tracked> {
        self.vacated.iter()
    }

    /// Forgets what a sweep of this node decided already.
    pub(crate) fn swept(&mut self, decided: &Swept) {
        match decided {
            Swept::Leave { channel, user } => {
                if let Ok(channel) = ChannelName::new(channel)
                    && let Some(users) = self.leaves.get_mut(&channel)
                {
                    users.remove(user);
                    if users.is_empty() {
                        self.leaves.remove(&channel);
                    }
                }
            }
            Swept::Channel(channel) => {
                if let Ok(channel) = ChannelName::new(channel) {
                    self.vacated.remove(&Tracked::Channel(channel));
                }
            }
            Swept::User(user) => {
                self.vacated.remove(&Tracked::User(user.clone()));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_a_sweep_decided_is_forgotten_and_nothing_else() {
        let room = ChannelName::new("presence-room").unwrap();
        let mut unconfirmed = Unconfirmed::default();
        unconfirmed.leave(&room, "1");
        unconfirmed.leave(&room, "2");
        unconfirmed.vacate(&Tracked::Channel(room.clone()));
        unconfirmed.vacate(&Tracked::User("7".to_owned()));
        for decided in [
            Swept::Leave {
                channel: room.to_string(),
                user: "1".to_owned(),
            },
            Swept::User("7".to_owned()),
        ] {
            let kept = Swept::decode(&decided.encode()).expect("read back as written");
            unconfirmed.swept(&kept);
        }
        assert_eq!(Swept::decode("{\"leave\":{}}"), None);
        assert_eq!(
            unconfirmed.take_leaves(&room),
            HashSet::from(["2".to_owned()])
        );
        assert!(unconfirmed.is_vacated(&Tracked::Channel(room)));
        assert!(!unconfirmed.is_vacated(&Tracked::User("7".to_owned())));
    }
}
