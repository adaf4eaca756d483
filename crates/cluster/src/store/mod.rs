//! What the cluster keeps in Redis, changed atomically by scripts (`scripts/*.lua`) and
//! called with typed arguments and answers: presence rosters (`rosters`), the registry of
//! nodes (`nodes`), and the lifecycle's decisions (`occupancy`).

mod nodes;
mod occupancy;
mod rosters;

use redis::Script;

pub(crate) use occupancy::{Tracked, Vacated};
pub(crate) use rosters::{Decided, Left, Reconciled};

use crate::keys::Keys;

/// How long the epoch and version of an emptied roster are kept, in seconds: long enough
/// that a channel emptied and filled again within a day keeps counting up.
const EMPTY_ROSTER_KEPT_SECONDS: u64 = 86_400;

/// What the app is told of a first arrival (a user's first socket, a channel's first node),
/// by lifecycle events: the scripts decide, with the grace period's markers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Arrival {
    /// Nothing: a return within the grace period of the leave (or vacating), cancelled.
    Back,
    /// Added (occupied).
    New,
    /// Removed (vacated), then added (occupied): the leave's grace period was over, but the
    /// node that held it had not told it yet, and now will not.
    AfterLeave,
    /// Not a first arrival: nothing.
    None,
}

impl Arrival {
    /// As the scripts say it: 0, 1, 2 for a first arrival.
    fn of(first: bool, code: i64) -> Self {
        match (first, code) {
            (false, _) => Arrival::None,
            (true, 0) => Arrival::Back,
            (true, 2) => Arrival::AfterLeave,
            (true, _) => Arrival::New,
        }
    }
}

pub(crate) struct Store {
    keys: Keys,
    node: String,
    join: Script,
    leave: Script,
    snapshot: Script,
    reconcile: Script,
    heartbeat: Script,
    dead: Script,
    claim: Script,
    occupy: Script,
    vacate: Script,
    confirm: Script,
    count: Script,
    unconfirmed: Script,
}

impl Store {
    pub(crate) fn new(keys: Keys, node: String) -> Self {
        Store {
            keys,
            node,
            join: Script::new(include_str!("../scripts/join.lua")),
            leave: Script::new(include_str!("../scripts/leave.lua")),
            snapshot: Script::new(include_str!("../scripts/snapshot.lua")),
            reconcile: Script::new(include_str!("../scripts/reconcile.lua")),
            heartbeat: Script::new(include_str!("../scripts/heartbeat.lua")),
            dead: Script::new(include_str!("../scripts/dead.lua")),
            claim: Script::new(include_str!("../scripts/claim.lua")),
            occupy: Script::new(include_str!("../scripts/occupy.lua")),
            vacate: Script::new(concat!(
                include_str!("../scripts/marker.lua"),
                include_str!("../scripts/vacate.lua")
            )),
            confirm: Script::new(include_str!("../scripts/confirm.lua")),
            count: Script::new(include_str!("../scripts/count.lua")),
            unconfirmed: Script::new(concat!(
                include_str!("../scripts/marker.lua"),
                include_str!("../scripts/unconfirmed.lua")
            )),
        }
    }

    pub(crate) fn keys(&self) -> &Keys {
        &self.keys
    }
}

#[cfg(test)]
pub(crate) mod tests;
