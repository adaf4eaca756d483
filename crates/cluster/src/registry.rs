//! Which nodes are alive: this node's heartbeat, and the removal of dead nodes' members.
//!
//! A node beats every `heartbeat` (by Redis' clock), and is dead once it has not for
//! `dead_after`. Every `sweep_every` each node looks for dead ones; one of them (a script
//! checks the node is still dead and takes a lock) removes a dead node's presence members and
//! tells everyone they left. So a node that vanished without a goodbye has its users leave
//! everyone's lists within `dead_after + sweep_every`. After Redis was unreachable (or a new
//! connection was made) every heartbeat may have stopped at once: a node sweeps only once it
//! has been connected for a whole `dead_after`, or it would take every other node for dead.
//!
//! The heartbeat and the sweep are separate tasks, so a long sweep never delays this node's
//! own heartbeat.

use std::sync::{Arc, Mutex, PoisonError};

use sidecast_core::{ChannelName, Hub};
use tokio::time::Instant;

use crate::Shared;
use crate::presence::Op;

/// How often a node makes Redis hold exactly its journal even when nothing seemed wrong.
const SELF_CHECK_EVERY: std::time::Duration = std::time::Duration::from_secs(300);

/// What the heartbeats have learnt, for the sweep.
struct Liveness {
    /// This node has registered once.
    registered: bool,
    /// The last heartbeat reached Redis.
    reachable: bool,
    /// No sweeping before this: every node's heartbeat must have had time to come back.
    sweep_from: Instant,
}

/// The liveness both tasks see.
type Watch = Arc<Mutex<Liveness>>;

/// Runs the heartbeat and the sweep until the node stops.
pub(crate) async fn run(shared: Arc<Shared>, hub: Arc<Hub>) {
    let liveness: Watch = Arc::new(Mutex::new(Liveness {
        registered: false,
        reachable: true,
        sweep_from: Instant::now() + shared.dead_after,
    }));
    tokio::join!(
        beat(shared.clone(), liveness.clone()),
        sweep(shared, hub, liveness),
    );
}

async fn beat(shared: Arc<Shared>, liveness: Watch) {
    let mut beat = tokio::time::interval(shared.heartbeat);
    let mut self_check = tokio::time::interval(SELF_CHECK_EVERY);
    self_check.tick().await;
    let mut connections = shared.link.connections();
    connections.mark_unchanged();
    loop {
        tokio::select! {
            _ = self_check.tick() => {
                // Whatever went wrong unnoticed (a lost write, a bug) cannot leave a ghost
                // member of this node for longer than this.
                shared.presence.diverge();
            }
            Ok(()) = connections.changed() => {
                // A new connection: writes made just before the old one broke may be lost (a
                // Sentinel failover keeps only what the new master had). Check them, and do
                // not sweep until every node had time to beat again.
                let mut liveness = lock(&liveness);
                liveness.sweep_from = Instant::now() + shared.dead_after;
                if liveness.registered {
                    shared.presence.diverge();
                }
            }
            _ = beat.tick() => heartbeat(&shared, &liveness).await,
        }
    }
}

/// Says this node is alive, and learns who else is.
async fn heartbeat(shared: &Shared, liveness: &Watch) {
    let dead_after_ms = u64::try_from(shared.dead_after.as_millis()).unwrap_or(u64::MAX);
    shared.link.follow_failover().await;
    let heard = shared.store.heartbeat(&shared.link, dead_after_ms).await;
    let anew = {
        let mut liveness = lock(liveness);
        let heard = match heard {
            Ok(heard) => heard,
            Err(error) => {
                if liveness.reachable {
                    tracing::warn!(%error, "cannot tell the cluster this node is alive");
                }
                liveness.reachable = false;
                return;
            }
        };
        shared.surveys.set_live(&heard.live);
        if heard.anew && liveness.registered {
            tracing::warn!(node = %shared.id, "Redis did not know this node (it restarted, or took the node for dead): repairing its presence members");
            shared.presence.diverge();
        } else if !liveness.reachable {
            liveness.sweep_from = Instant::now() + shared.dead_after;
            shared.presence.diverge();
        } else if shared.presence.is_diverged() {
            // A repair that failed (Redis refused a write) is tried again.
            let _ = shared.presence.ops.send(Op::Reconcile);
        }
        liveness.registered = true;
        liveness.reachable = true;
        heard.anew
    };
    if anew {
        describe(shared).await;
    }
}

/// Writes what identifies this node, for whoever looks at the registry.
async fn describe(shared: &Shared) {
    let key = shared.keys.node_meta(&shared.id);
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|name| name.trim().to_owned())
        .unwrap_or_default();
    let fields = [
        ("host", host),
        ("pid", std::process::id().to_string()),
        ("version", env!("CARGO_PKG_VERSION").to_owned()),
        ("started_ms", shared.started_ms.to_string()),
    ];
    let command = redis::Cmd::hset_multiple(&key, &fields);
    let _ = shared
        .link
        .run(|mut connection| async move { command.query_async::<()>(&mut connection).await })
        .await;
}

async fn sweep(shared: Arc<Shared>, hub: Arc<Hub>, liveness: Watch) {
    let dead_after_ms = u64::try_from(shared.dead_after.as_millis()).unwrap_or(u64::MAX);
    let mut sweep = tokio::time::interval(shared.sweep_every);
    loop {
        sweep.tick().await;
        let may_sweep = {
            let liveness = lock(&liveness);
            liveness.reachable && Instant::now() >= liveness.sweep_from
        };
        if may_sweep {
            let dead = shared
                .store
                .dead_nodes(&shared.link, dead_after_ms)
                .await
                .unwrap_or_default();
            for node in dead.iter().filter(|node| **node != shared.id) {
                sweep_dead(&shared, &hub, node, dead_after_ms).await;
            }
        }
        check_rosters(&shared, &hub).await;
    }
}

/// Removes a dead node's members, if it is still dead and no other node is doing it.
async fn sweep_dead(shared: &Arc<Shared>, hub: &Arc<Hub>, node: &str, dead_after_ms: u64) {
    match shared
        .store
        .claim_sweep(&shared.link, node, dead_after_ms)
        .await
    {
        Ok(true) => match shared.presence.sweep(hub, node).await {
            Ok(left) => {
                tracing::warn!(%node, users_left = left, "a node stopped answering; its presence members were removed")
            }
            Err(error) => {
                tracing::warn!(%node, %error, "cannot remove a dead node's presence members yet")
            }
        },
        Ok(false) => {}
        Err(error) => tracing::debug!(%node, %error, "cannot claim a dead node's sweep"),
    }
    shared.surveys.gone(node);
    hub.forget_subscription_counts(node);
}

/// Reads again the mirrored rosters that are behind: a change is missing, Redis is at a later
/// version (the last change of a quiet channel was missed), or at another epoch (the roster
/// was created anew). A roster Redis no longer has while this node has members in it means
/// Redis lost it: this node's entries are written again.
async fn check_rosters(shared: &Shared, hub: &Hub) {
    let mirrored = hub.mirrored_channels();
    if mirrored.is_empty() {
        return;
    }
    let Ok(stamps) = shared
        .store
        .stamps(&shared.link, mirrored.iter().map(|(channel, _)| channel))
        .await
    else {
        return;
    };
    let mut stale: Vec<ChannelName> = Vec::new();
    for ((channel, behind), redis) in mirrored.into_iter().zip(stamps) {
        let mine = hub.roster_stamp(&channel);
        if redis.epoch == 0 {
            if mine.is_some() {
                shared.presence.diverge();
            }
            continue;
        }
        let newer =
            mine.is_none_or(|mine| mine.epoch != redis.epoch || redis.version > mine.version);
        if behind || newer {
            stale.push(channel);
        }
    }
    if !stale.is_empty() {
        tracing::debug!(
            channels = stale.len(),
            "presence rosters behind Redis; reading them"
        );
        let _ = shared.presence.ops.send(Op::Resync(stale));
    }
}

fn lock(liveness: &Watch) -> std::sync::MutexGuard<'_, Liveness> {
    liveness.lock().unwrap_or_else(PoisonError::into_inner)
}
