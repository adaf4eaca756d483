//! The census: every figure the sidecar keeps, read at one moment into one typed value that
//! every view renders — `/metrics` (`prometheus`), `sidecast status`, the dashboard and PHP's
//! `Sidecast::stats()` (JSON). Each crate counts where things happen (its `metrics` module);
//! this reads them all, adds up the hubs of every app, and keeps a minute of history for rates
//! (`history`).
//!
//! # Layout
//! - this file: [`Vitals`] and [`Watch`], which gathers them.
//! - `process`: memory, CPU and open files, from `/proc/self`.
//! - `history`: one sample a second for the last minute: rates and the dashboard's charts.
//! - `prometheus`: the Prometheus text exposition.

mod history;
mod process;
pub mod prometheus;

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;
use sidecast_auth::metrics::AuthFigures;
use sidecast_core::metrics::HistogramSnapshot;
use sidecast_core::{ClusterHealth, Occupancy, StatsSnapshot};
use sidecast_ingest::metrics::{RedisFigures, UnixFigures};
use sidecast_lifecycle::journal::Journal;
use sidecast_lifecycle::metrics::{ListenerFigures, WebhookFigures};
use sidecast_pusher::metrics::PusherFigures;
use sidecast_socketio::metrics::SocketioFigures;

use history::History;
pub use history::Rates;
pub use process::ProcessFigures;

use crate::hubs::Hubs;

/// How long the census waits for the cluster's link to say whether Redis is up; a link busy
/// reconnecting reads as unreachable rather than holding up a scrape.
pub const CLUSTER_HEALTH_WITHIN: Duration = Duration::from_millis(500);

/// Every figure, at one moment.
#[derive(Debug, Clone, Serialize)]
pub struct Vitals {
    pub version: &'static str,
    pub uptime_seconds: f64,
    /// Connections, channels, subscriptions and members now, every app's added up.
    pub occupancy: Occupancy,
    /// Events that came in, by the way they came.
    pub events_in: EventsIn,
    /// Publications, deliveries and drops, every app's added up.
    pub delivery: StatsSnapshot,
    /// From taking a publication to every subscriber's queue holding it.
    pub fan_out: HistogramSnapshot,
    pub socketio: SocketioFigures,
    pub pusher: PusherFigures,
    pub auth: AuthFigures,
    pub unix_socket: UnixFigures,
    /// Laravel's `redis` broadcaster, when subscribed to.
    pub redis: Option<RedisFigures>,
    /// This node's part of the cluster, when scale-out is on.
    pub cluster: Option<ClusterHealth>,
    /// Lifecycle events sent to the app, when webhooks are on.
    pub webhooks: Option<WebhookFigures>,
    /// Lifecycle events kept for `php artisan sidecast:listen`, when it is on.
    pub listener: Option<ListenerFigures>,
    pub process: ProcessFigures,
    /// Over the last minute.
    pub rates: Rates,
}

/// Events in, by where they entered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct EventsIn {
    /// PHP over the Unix socket (the `sidecast` driver, the extension).
    pub unix_socket: u64,
    /// The HTTP API (laravel-echo-server's clients; Laravel's `pusher` and `reverb` drivers).
    pub http_api: u64,
    /// Laravel's `redis` broadcaster.
    pub redis: u64,
    /// Client events (whispers) from this node's clients.
    pub client_events: u64,
}

/// Gathers [`Vitals`] and keeps their history; shared by every view.
pub struct Watch {
    hubs: Arc<Hubs>,
    started: Instant,
    configured: Configured,
    history: History,
}

/// The parts that are on, whose figures the census shows.
#[derive(Debug, Clone, Default)]
pub struct Configured {
    /// Laravel's `redis` broadcaster is subscribed to.
    pub redis: bool,
    pub webhooks: bool,
    /// The events kept for `php artisan sidecast:listen`.
    pub listener: Option<Arc<Journal>>,
}

impl Watch {
    pub fn new(hubs: Arc<Hubs>, configured: Configured) -> Arc<Self> {
        Arc::new(Watch {
            hubs,
            started: Instant::now(),
            configured,
            history: History::default(),
        })
    }

    /// Every app's hub.
    pub fn hubs(&self) -> &Hubs {
        &self.hubs
    }

    /// Every figure now.
    pub async fn vitals(&self) -> Vitals {
        let counted = self.counted();
        let cluster =
            match tokio::time::timeout(CLUSTER_HEALTH_WITHIN, self.hubs.cluster_health()).await {
                Ok(health) => health,
                Err(_) => self.hubs.node_id().map(|node| ClusterHealth {
                    node: node.to_owned(),
                    ..ClusterHealth::default()
                }),
            };
        let ingest = sidecast_ingest::metrics::METRICS.snapshot();
        Vitals {
            version: env!("CARGO_PKG_VERSION"),
            uptime_seconds: self.started.elapsed().as_secs_f64(),
            occupancy: counted.occupancy,
            events_in: counted.events_in,
            delivery: counted.delivery,
            fan_out: counted.fan_out,
            socketio: sidecast_socketio::metrics::METRICS.snapshot(),
            pusher: sidecast_pusher::metrics::METRICS.snapshot(),
            auth: sidecast_auth::metrics::METRICS.snapshot(),
            unix_socket: ingest.unix,
            redis: self.configured.redis.then_some(ingest.redis),
            cluster,
            webhooks: self
                .configured
                .webhooks
                .then(|| sidecast_lifecycle::metrics::METRICS.snapshot()),
            listener: self
                .configured
                .listener
                .as_ref()
                .map(|journal| sidecast_lifecycle::metrics::METRICS.listener(journal.len())),
            process: ProcessFigures::read(),
            rates: self.history.rates(),
        }
    }

    /// The minute's samples, oldest first, for the dashboard's charts.
    pub fn recent(&self) -> Vec<history::Point> {
        self.history.points()
    }

    /// Takes a sample every second, for rates, until the runtime stops.
    pub async fn sample_every_second(self: Arc<Self>) {
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            tick.tick().await;
            self.history.push(self.started.elapsed(), &self.counted());
        }
    }

    /// The figures that need no waiting: every hub's, and what each way in counted.
    fn counted(&self) -> Counted {
        let mut counted = Counted::default();
        for hub in self.hubs.pusher_hubs() {
            counted.occupancy.add(&hub.occupancy());
            counted.delivery.add(&hub.stats());
            counted.fan_out.merge(&hub.fan_out_latency());
        }
        let ingest = sidecast_ingest::metrics::METRICS.snapshot();
        counted.events_in = EventsIn {
            unix_socket: ingest.unix.events,
            http_api: sidecast_api::events::PUBLISHED.get(),
            redis: ingest.redis.events,
            client_events: counted.delivery.client_events,
        };
        counted
    }
}

/// What [`Watch::counted`] reads.
#[derive(Debug, Clone, Default)]
pub(crate) struct Counted {
    pub(crate) occupancy: Occupancy,
    pub(crate) events_in: EventsIn,
    pub(crate) delivery: StatsSnapshot,
    pub(crate) fan_out: HistogramSnapshot,
}
