//! What the cluster keeps in Redis, changed atomically by scripts (`scripts/*.lua`) and
//! called with typed arguments and answers: presence rosters (`rosters`), the registry of
//! nodes (`nodes`), and the lifecycle's decisions (`occupancy`).

mod nodes;
mod occupancy;
mod rosters;

use redis::Script;

pub(crate) use occupancy::Vacated;
pub(crate) use rosters::Left;

use crate::keys::Keys;

/// How long the epoch and version of an emptied roster are kept, in seconds: long enough
/// that a channel emptied and filled again within a day keeps counting up.
const EMPTY_ROSTER_KEPT_SECONDS: u64 = 86_400;

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
            vacate: Script::new(include_str!("../scripts/vacate.lua")),
            confirm: Script::new(include_str!("../scripts/confirm.lua")),
        }
    }

    pub(crate) fn keys(&self) -> &Keys {
        &self.keys
    }
}

#[cfg(test)]
mod tests;
