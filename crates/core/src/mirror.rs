//! A node's copy of a presence channel's roster when the truth lives in the cluster.
//!
//! The cluster numbers every membership change of a channel with a version. Changes reach a
//! node over a bus, possibly out of order (two nodes announce changes made a moment apart)
//! and possibly not at all (a bus connection was lost). The mirror applies them strictly in
//! version order, holds early ones until the missing ones arrive, and is brought up to date
//! by a snapshot of the roster whenever one is newer (a local join returns one; a node that
//! waited too long for a missing change reads one). Every node applying the same changes in
//! the same order is what makes every client see one order of joins and leaves.

use std::collections::BTreeMap;

use indexmap::IndexMap;

use crate::cluster::{RosterChange, RosterSnapshot};
use crate::presence::Member;

/// Changes held while an earlier one is missing. Past this, further early changes are
/// dropped: the snapshot that resolves the gap includes them.
const MAX_EARLY_CHANGES: usize = 1024;

#[derive(Debug, Default)]
pub(crate) struct Mirror {
    /// The version the members are at; `None` until the first snapshot.
    version: Option<u64>,
    /// Changed while the cluster could not be reached: the next snapshot applies even if it
    /// is not newer.
    diverged: bool,
    users: IndexMap<String, Member>,
    early: BTreeMap<u64, RosterChange>,
}

/// What a change or snapshot did to the members, in order, for the local subscribers to be
/// told.
pub(crate) type Effects = Vec<Effect>;

#[derive(Debug)]
pub(crate) enum Effect {
    Joined(Member),
    Left(Member),
}

impl Mirror {
    /// One entry per user.
    pub(crate) fn members(&self) -> Vec<&Member> {
        self.users.values().collect()
    }

    pub(crate) fn member(&self, user: &str) -> Option<&Member> {
        self.users.get(user)
    }

    /// Whether a change is missing or no snapshot was applied yet: a snapshot should be read.
    pub(crate) fn is_behind(&self) -> bool {
        self.version.is_none() || !self.early.is_empty()
    }

    pub(crate) fn version(&self) -> Option<u64> {
        self.version
    }

    /// Applies change number `version`, and any held changes that follow it.
    pub(crate) fn apply(&mut self, version: u64, change: RosterChange) -> Effects {
        match self.version {
            Some(current) if version <= current => return Effects::new(),
            Some(current) if version == current + 1 => {}
            _ => {
                if self.early.len() < MAX_EARLY_CHANGES {
                    self.early.insert(version, change);
                }
                return Effects::new();
            }
        }
        let mut effects = self.change(change);
        self.version = Some(version);
        effects.extend(self.apply_held());
        effects
    }

    /// Takes `snapshot` as the roster if it is newer than what the mirror has (or the mirror
    /// diverged), then the held changes that follow it.
    pub(crate) fn sync(&mut self, snapshot: RosterSnapshot) -> Effects {
        let newer = self
            .version
            .is_none_or(|current| snapshot.version > current);
        if !newer && !self.diverged {
            return Effects::new();
        }
        let mut effects = Effects::new();
        let mut fresh: IndexMap<String, Member> = snapshot
            .members
            .into_iter()
            .map(|member| (member.key().to_owned(), member))
            .collect();
        // Those who stay keep their place; newcomers follow in the snapshot's order.
        let mut users = IndexMap::with_capacity(fresh.len());
        for (user, member) in self.users.drain(..) {
            match fresh.shift_remove(&user) {
                Some(current) => {
                    users.insert(user, current);
                }
                None => effects.push(Effect::Left(member)),
            }
        }
        for (user, member) in fresh {
            effects.push(Effect::Joined(member.clone()));
            users.insert(user, member);
        }
        self.users = users;
        self.version = Some(snapshot.version.max(self.version.unwrap_or(0)));
        self.diverged = false;
        let current = self.version.unwrap_or(0);
        self.early.retain(|version, _| *version > current);
        effects.extend(self.apply_held());
        effects
    }

    /// Takes `snapshot` as the roster whatever its version, forgetting held changes: the
    /// store's versions may have started again (it restarted empty).
    pub(crate) fn replace(&mut self, snapshot: RosterSnapshot) -> Effects {
        self.version = None;
        self.early.clear();
        self.sync(snapshot)
    }

    /// A local join the cluster could not confirm: the member is shown here until it can.
    pub(crate) fn join_unconfirmed(&mut self, member: Member) -> Effects {
        self.diverged = true;
        self.change(RosterChange::Joined(member))
    }

    /// A local leave the cluster could not confirm, of a user with no socket left here.
    pub(crate) fn leave_unconfirmed(&mut self, user: &str) -> Effects {
        self.diverged = true;
        self.change(RosterChange::Left {
            user: user.to_owned(),
        })
    }

    fn apply_held(&mut self) -> Effects {
        let mut effects = Effects::new();
        while let Some(current) = self.version
            && let Some(change) = self.early.remove(&(current + 1))
        {
            effects.extend(self.change(change));
            self.version = Some(current + 1);
        }
        effects
    }

    fn change(&mut self, change: RosterChange) -> Effects {
        match change {
            RosterChange::Joined(member) if !self.users.contains_key(member.key()) => {
                self.users.insert(member.key().to_owned(), member.clone());
                vec![Effect::Joined(member)]
            }
            RosterChange::Left { user } => match self.users.shift_remove(&user) {
                Some(member) => vec![Effect::Left(member)],
                None => Effects::new(),
            },
            RosterChange::Joined(_) => Effects::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::value::RawValue;

    use super::*;

    fn member(id: u64) -> Member {
        Member::new(id.into(), RawValue::from_string("{}".into()).unwrap()).unwrap()
    }

    fn snapshot(version: u64, ids: &[u64]) -> RosterSnapshot {
        RosterSnapshot {
            version,
            members: ids.iter().map(|id| member(*id)).collect(),
        }
    }

    /// `+id` for a join, `-id` for a leave.
    fn told(effects: &Effects) -> Vec<String> {
        effects
            .iter()
            .map(|effect| match effect {
                Effect::Joined(m) => format!("+{}", m.key()),
                Effect::Left(m) => format!("-{}", m.key()),
            })
            .collect()
    }

    fn roster(mirror: &Mirror) -> Vec<String> {
        mirror
            .members()
            .iter()
            .map(|m| m.key().to_owned())
            .collect()
    }

    #[test]
    fn changes_apply_in_version_order_whatever_order_they_arrive_in() {
        let mut mirror = Mirror::default();
        mirror.sync(snapshot(3, &[1]));
        assert!(!mirror.is_behind());

        let early = mirror.apply(5, RosterChange::Left { user: "2".into() });
        assert!(early.is_empty());
        assert!(mirror.is_behind(), "change 4 is missing");

        let both = mirror.apply(4, RosterChange::Joined(member(2)));
        assert_eq!(told(&both), vec!["+2", "-2"]);
        assert_eq!(mirror.version(), Some(5));
        assert_eq!(roster(&mirror), vec!["1"]);
        assert!(!mirror.is_behind());

        let stale = mirror.apply(4, RosterChange::Joined(member(9)));
        assert!(stale.is_empty(), "a change already applied is ignored");
    }

    #[test]
    fn a_newer_snapshot_closes_a_gap_and_reports_the_difference() {
        let mut mirror = Mirror::default();
        mirror.sync(snapshot(1, &[1, 2]));
        mirror.apply(4, RosterChange::Joined(member(4)));
        mirror.apply(3, RosterChange::Joined(member(3)));

        let effects = mirror.sync(snapshot(3, &[1, 3, 5]));
        assert_eq!(told(&effects), vec!["-2", "+3", "+5", "+4"]);
        assert_eq!(roster(&mirror), vec!["1", "3", "5", "4"]);
        assert_eq!(mirror.version(), Some(4));

        let older = mirror.sync(snapshot(2, &[]));
        assert!(older.is_empty(), "an older snapshot changes nothing");
    }

    #[test]
    fn changes_before_the_first_snapshot_wait_for_it() {
        let mut mirror = Mirror::default();
        assert!(mirror.is_behind());
        mirror.apply(8, RosterChange::Joined(member(8)));
        mirror.apply(7, RosterChange::Joined(member(7)));
        let effects = mirror.sync(snapshot(7, &[1, 7]));
        assert_eq!(roster(&mirror), vec!["1", "7", "8"]);
        assert_eq!(told(&effects), vec!["+1", "+7", "+8"]);
    }

    #[test]
    fn what_changed_without_the_cluster_is_repaired_by_the_next_snapshot() {
        let mut mirror = Mirror::default();
        mirror.sync(snapshot(2, &[1]));
        mirror.join_unconfirmed(member(2));
        mirror.leave_unconfirmed("1");
        assert_eq!(roster(&mirror), vec!["2"]);

        let repaired = mirror.sync(snapshot(2, &[1, 2]));
        assert_eq!(told(&repaired), vec!["+1"]);
        assert_eq!(roster(&mirror), vec!["2", "1"]);
        let again = mirror.sync(snapshot(2, &[]));
        assert!(again.is_empty(), "repaired: same version is not newer");
    }

    #[test]
    fn a_replaced_roster_may_go_back_in_versions() {
        let mut mirror = Mirror::default();
        mirror.sync(snapshot(40, &[1, 2]));
        mirror.apply(42, RosterChange::Joined(member(3)));
        let effects = mirror.replace(snapshot(2, &[2, 4]));
        assert_eq!(told(&effects), vec!["-1", "+4"]);
        assert_eq!(mirror.version(), Some(2));
        assert!(
            !mirror.is_behind(),
            "held changes of the old numbering are gone"
        );
    }
}
