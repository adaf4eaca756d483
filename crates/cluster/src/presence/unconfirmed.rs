//! Leaves Redis did not confirm: it was unreachable, or its answer was lost. The next
//! reconciliation makes Redis hold this node's truth; a leave it then finds made already
//! (its answer was lost) or cannot find at all (Redis lost its data) is told by this node if
//! the cluster no longer has the user, or the channel, anywhere: without this, an app that
//! marks users offline would keep them online for ever.

use std::collections::{HashMap, HashSet};

use sidecast_core::ChannelName;

use crate::store::Tracked;

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
}
