//! One hub per app. The first is the one socket.io, the Unix socket, Laravel's `redis`
//! broadcaster and laravel-echo-server's API clients reach, and the first Pusher app's; every
//! other Pusher app has a hub of its own, so its connections, channels and presence never meet
//! another app's. With scale-out each hub is a cluster member of its own on the same Redis,
//! under a key prefix of its own (`sidecast_cluster::Config::for_app`), so apps stay apart
//! across nodes too.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use sidecast_cluster::{Membership, Telling};
use sidecast_core::{Core, Hub, Observer};
use tokio::task::JoinSet;

use crate::server::Settings;

/// How the dashboard and the census name the first app's hub (every other app's is named by
/// its id).
pub const MAIN_APP: &str = "main";

pub struct Hubs {
    main: AppHub,
    /// Every other Pusher app's, with its id, in the config's order.
    others: Vec<(String, AppHub)>,
}

/// One app's hub, and its membership of the cluster when scale-out is on.
struct AppHub {
    core: Core,
    membership: Option<Membership>,
}

/// What a cluster records for lifecycle events beyond occupancy and presence, and how long its
/// leaves wait.
#[derive(Clone, Copy)]
struct Told {
    grace: Duration,
    counts: bool,
    users: bool,
}

impl Told {
    const NOTHING: Told = Told {
        grace: Duration::ZERO,
        counts: false,
        users: false,
    };

    fn of(lifecycle: &sidecast_lifecycle::Config) -> Self {
        Told {
            grace: lifecycle.grace,
            counts: lifecycle.tells_counts(),
            users: lifecycle.tells_users(),
        }
    }
}

impl AppHub {
    /// `observer` is told the app's lifecycle transitions: by this hub on a single node; in a
    /// cluster by the cluster (which decides each once for all nodes, after the grace period
    /// for leaves, and records counts and users only when they are told), client events by
    /// this hub still (only the sender's node sees them).
    fn new(
        cluster: Option<&sidecast_cluster::Config>,
        observer: Option<Arc<dyn Observer>>,
        told: Told,
    ) -> Self {
        let observe = |hub: Hub| match &observer {
            Some(observer) => hub.observed_by(observer.clone()),
            None => hub,
        };
        let Some(config) = cluster else {
            return AppHub {
                core: Core::single(Arc::new(observe(Hub::new()))),
                membership: None,
            };
        };
        let telling = observer.clone().map(|observer| Telling {
            observer,
            grace: told.grace,
            counts: told.counts,
            users: told.users,
        });
        let membership = Membership::new(config, telling);
        let hub = Arc::new(observe(Hub::clustered(membership.node())));
        AppHub {
            core: Core {
                census: membership.census(hub.clone()),
                hub,
            },
            membership: Some(membership),
        }
    }
}

impl Hubs {
    /// `observer` is told the first app's lifecycle transitions.
    pub fn new(settings: &Settings, observer: Option<Arc<dyn Observer>>) -> Self {
        let told = settings.lifecycle.as_ref().map_or(Told::NOTHING, Told::of);
        let cluster = settings.cluster.as_ref();
        let other_apps = settings
            .pusher
            .iter()
            .flat_map(|pusher| pusher.apps.iter().skip(1));
        Hubs {
            main: AppHub::new(cluster, observer, told),
            others: other_apps
                .map(|app| {
                    let id = app.app.id.clone();
                    let cluster = cluster.map(|config| config.for_app(&id));
                    (id, AppHub::new(cluster.as_ref(), None, told))
                })
                .collect(),
        }
    }

    /// The first app's hub and census.
    pub fn main(&self) -> &Core {
        &self.main.core
    }

    /// The hub of every Pusher app, in the config's order (the first is the main one).
    pub fn pusher_hubs(&self) -> impl Iterator<Item = Arc<Hub>> + '_ {
        std::iter::once(&self.main)
            .chain(self.others.iter().map(|(_, app)| app))
            .map(|app| app.core.hub.clone())
    }

    /// Every app's hub with the name the dashboard gives it: the first app's is `main`, the
    /// others' their ids.
    pub fn apps(&self) -> Vec<(String, Arc<Hub>)> {
        std::iter::once((MAIN_APP.to_owned(), self.main.core.hub.clone()))
            .chain(
                self.others
                    .iter()
                    .map(|(id, app)| (id.clone(), app.core.hub.clone())),
            )
            .collect()
    }

    /// Events published so far into every app's hub, from any source.
    pub fn publications(&self) -> u64 {
        self.pusher_hubs().map(|hub| hub.stats().publications).sum()
    }

    /// The other Pusher apps' hubs and censuses, by app id, for the HTTP API.
    pub fn others(&self) -> HashMap<String, Core> {
        self.others
            .iter()
            .map(|(id, app)| (id.clone(), app.core.clone()))
            .collect()
    }

    /// How this node's part of the cluster is doing, every app's membership added up (each
    /// has its own connections and bus): reachable only if every one is. `None` on a single
    /// node.
    pub async fn cluster_health(&self) -> Option<sidecast_core::ClusterHealth> {
        let mut health = self.main.membership.as_ref()?.health().await;
        for (_, app) in &self.others {
            if let Some(membership) = &app.membership {
                let other = membership.health().await;
                health.reachable &= other.reachable;
                health.sent += other.sent;
                health.applied += other.applied;
                health.missed += other.missed;
                health.skipped += other.skipped;
                health.dropped += other.dropped;
            }
        }
        Some(health)
    }

    /// This node's id in the cluster, when scale-out is on.
    pub fn node_id(&self) -> Option<&str> {
        self.main.membership.as_ref().map(Membership::id)
    }

    /// Starts every hub's cluster tasks, when scale-out is on.
    pub fn run_cluster(&mut self) -> Option<JoinSet<()>> {
        self.main.membership.as_ref()?;
        let mut tasks = JoinSet::new();
        let apps =
            std::iter::once(&mut self.main).chain(self.others.iter_mut().map(|(_, app)| app));
        for app in apps {
            if let Some(membership) = app.membership.as_mut() {
                membership.run(app.core.hub.clone(), &mut tasks);
            }
        }
        Some(tasks)
    }

    /// Tells the other nodes this one's members left, for every app at once.
    pub async fn leave(&self) {
        let apps = std::iter::once(&self.main).chain(self.others.iter().map(|(_, app)| app));
        let leaving = apps.filter_map(|app| app.membership.as_ref().map(Membership::leave));
        futures_util::future::join_all(leaving).await;
    }
}
