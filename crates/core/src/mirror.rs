//! A node's copy of a presence channel's roster when the truth lives in the cluster.
//!
//! The cluster numbers every membership change of a channel with a version, within an epoch
//! that is new whenever the roster is created anew (the store restarted empty, or forgot an
//! emptied roster): versions only compare within one epoch. Changes reach a node over a bus,
//! possibly out of order (two nodes announce changes made a moment apart) and possibly not at
//! all (a bus connection was lost). The mirror applies them strictly in version order, holds
//! early ones until the missing ones arrive, and is brought up to date by a snapshot of the
//! roster when one is at least as recent (a local join returns one; a node that waited too
//! long for a missing change reads one); a snapshot of another epoch replaces it. Every node
//! applying the same changes in the same order is what makes every client see one order of
//! joins and leaves.

use std::collections::BTreeMap;

use indexmap::IndexMap;

use crate::cluster::{RosterChange, RosterSnapshot, Stamp};
use crate::presence::Member;

/// Changes held while an earlier one is missing. Past this, further early changes are
/// dropped: the snapshot that resolves the gap includes them.
const MAX_EARLY_CHANGES: usize = 1024;

#[derive(Debug, Default)]
pub(crate) struct Mirror {
    /// The epoch and version the members are at; `None` until the first snapshot.
    stamp: Option<Stamp>,
    /// Changed while the cluster could not be reached: the next snapshot of the same version
    /// applies too.
    diverged: bool,
    /// A change of another epoch arrived: the roster was created anew, a snapshot is needed.
    stale: bool,
    users: IndexMap<String, Member>,
    /// Changes waiting for an earlier one, by stamp.
    early: BTreeMap<Stamp, RosterChange>,
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

    pub(crate) fn len(&self) -> usize {
        self.users.len()
    }

    /// Whether a snapshot should be read: none was applied yet, a change is missing, or the
    /// roster was created anew.
    pub(crate) fn is_behind(&self) -> bool {
        self.stamp.is_none() || self.stale || !self.early.is_empty()
    }

    pub(crate) fn stamp(&self) -> Option<Stamp> {
        self.stamp
    }

    /// Applies change `stamp`, and any held changes that follow it.
    pub(crate) fn apply(&mut self, stamp: Stamp, change: RosterChange) -> Effects {
        match self.stamp {
            Some(current) if current.epoch != stamp.epoch => {
                // Kept in case the snapshot that resolves it is of this epoch and older.
                self.stale = true;
                if self.early.len() < MAX_EARLY_CHANGES {
                    self.early.insert(stamp, change);
                }
                return Effects::new();
            }
            Some(current) if stamp.version <= current.version => return Effects::new(),
            Some(current) if stamp.version == current.version + 1 => {}
            _ => {
                if self.early.len() < MAX_EARLY_CHANGES {
                    self.early.insert(stamp, change);
                }
                return Effects::new();
            }
        }
        let mut effects = self.change(change);
        self.stamp = Some(stamp);
        effects.extend(self.apply_held());
        effects
    }

    /// Takes `snapshot` as the roster if it is more recent than what the mirror has — or as
    /// recent, if the mirror diverged — or of another epoch; then the held changes that
    /// follow it. An older snapshot changes nothing (the mirror stays behind if it was).
    pub(crate) fn sync(&mut self, snapshot: RosterSnapshot) -> Effects {
        let taken = match self.stamp {
            None => true,
            Some(current) if current.epoch != snapshot.stamp.epoch => true,
            Some(current) => {
                snapshot.stamp.version > current.version
                    || (self.diverged && snapshot.stamp.version == current.version)
            }
        };
        if !taken {
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
        let stamp = snapshot.stamp;
        self.stamp = Some(stamp);
        self.diverged = false;
        self.stale = false;
        self.early
            .retain(|held, _| held.epoch == stamp.epoch && held.version > stamp.version);
        effects.extend(self.apply_held());
        effects
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
        while let Some(current) = self.stamp {
            let next = Stamp {
                epoch: current.epoch,
                version: current.version + 1,
            };
            let Some(change) = self.early.remove(&next) else {
                break;
            };
            effects.extend(self.change(change));
            self.stamp = Some(next);
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
mod tests;
