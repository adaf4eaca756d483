//! Which nodes are alive: this node's heartbeat, and the removal of dead nodes' members.
//!
//! A node beats every `heartbeat` (by Redis' clock), and is dead once it has not for
//! `dead_after`. Every `sweep_every` each node looks for dead ones; one of them (a lock in
//! Redis decides) removes a dead node's presence members and tells everyone they left. So a
//! node that vanished without a goodbye has its users leave everyone's lists within
//! `dead_after + sweep_every`. After Redis was unreachable every heartbeat stopped at once:
//! a node sweeps only once it has been back for a whole `dead_after`, or it would take
//! every other node for dead.

use std::sync::Arc;

use sidecast_core::Hub;
use tokio::time::Instant;

use crate::Shared;
use crate::presence::Op;

/// What the heartbeats have learnt.
struct Liveness {
    /// This node has registered once.
    registered: bool,
    /// The last heartbeat reached Redis.
    reachable: bool,
    /// No sweeping before this: every node's heartbeat must have had time to come back.
    sweep_from: Instant,
    /// Nodes found dead by the last heartbeat.
    dead: Vec<String>,
}

pub(crate) async fn run(shared: Arc<Shared>, hub: Arc<Hub>) {
    let mut beat = tokio::time::interval(shared.heartbeat);
    let mut sweep = tokio::time::interval(shared.sweep_every);
    let mut liveness = Liveness {
        registered: false,
        reachable: true,
        sweep_from: Instant::now() + shared.dead_after,
        dead: Vec::new(),
    };
    let mut connections = shared.link.connections();
    connections.mark_unchanged();
    loop {
        tokio::select! {
            Ok(()) = connections.changed() => {
                // A new connection: writes made just before the old one broke may be lost
                // (a Sentinel failover keeps only what the new master had). Check them.
                if liveness.registered {
                    shared.presence.diverge();
                }
            }
            _ = beat.tick() => heartbeat(&shared, &mut liveness).await,
            _ = sweep.tick() => {
                if liveness.reachable && Instant::now() >= liveness.sweep_from {
                    for node in std::mem::take(&mut liveness.dead) {
                        sweep_dead(&shared, &hub, &node).await;
                    }
                }
                check_rosters(&shared, &hub).await;
            }
        }
    }
}

/// Says this node is alive, and learns who else is.
async fn heartbeat(shared: &Shared, liveness: &mut Liveness) {
    let dead_after_ms = u64::try_from(shared.dead_after.as_millis()).unwrap_or(u64::MAX);
    shared.link.follow_failover().await;
    match shared.store.heartbeat(&shared.link, dead_after_ms).await {
        Ok(heard) => {
            shared.surveys.set_live(&heard.live);
            if heard.anew && liveness.registered {
                tracing::warn!(node = %shared.id, "Redis did not know this node (it restarted, or took the node for dead): repairing its presence members");
                shared.presence.diverge();
            }
            if !liveness.reachable {
                liveness.sweep_from = Instant::now() + shared.dead_after;
                shared.presence.diverge();
            }
            if heard.anew {
                describe(shared).await;
            }
            liveness.registered = true;
            liveness.reachable = true;
            liveness.dead = heard.dead;
        }
        Err(error) => {
            if liveness.reachable {
                tracing::warn!(%error, "cannot tell the cluster this node is alive");
            }
            liveness.reachable = false;
        }
    }
}

/// Removes a dead node's members, if no other node is doing it.
async fn sweep_dead(shared: &Arc<Shared>, hub: &Arc<Hub>, node: &str) {
    match shared.store.claim_sweep(&shared.link, node).await {
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
}

/// Reads again the mirrored rosters that are behind: a change is missing, or Redis has a
/// newer version than this node (the last change of a quiet channel was missed).
async fn check_rosters(shared: &Shared, hub: &Hub) {
    let mirrored = hub.mirrored_channels();
    if mirrored.is_empty() {
        return;
    }
    let versions = shared
        .store
        .versions(&shared.link, mirrored.iter().map(|(channel, _)| channel))
        .await
        .unwrap_or_default();
    let stale: Vec<_> = mirrored
        .into_iter()
        .enumerate()
        .filter(|(index, (channel, behind))| {
            *behind
                || versions
                    .get(*index)
                    .is_some_and(|redis| Some(*redis) > hub.roster_version(channel))
        })
        .map(|(_, (channel, _))| channel)
        .collect();
    if !stale.is_empty() {
        tracing::debug!(
            channels = stale.len(),
            "presence rosters behind Redis; reading them"
        );
        let _ = shared.presence.ops.send(Op::Resync {
            channels: stale,
            replace: false,
        });
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
    let _ = shared
        .link
        .run(|mut connection| async move {
            redis::pipe()
                .hset_multiple(&key, &fields)
                .ignore()
                .query_async::<()>(&mut connection)
                .await
        })
        .await;
}
