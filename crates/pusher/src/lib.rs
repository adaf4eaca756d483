//! The Pusher protocol (v7), as pusher-js 8 and Laravel Echo's `reverb` and `pusher`
//! broadcasters speak it, over the sidecast core — beside the socket.io front end, on the
//! same hub, so both kinds of client share channels, presence and whispers.
//!
//! Clients connect to `/app/{key}`: the key names one of the apps, each over a hub of its own
//! (the first app's is the hub socket.io and the Unix socket serve). Private and presence
//! subscriptions carry the app's signature, checked here with the app's secret: nothing is
//! asked over the network. The WebSocket framing is this crate's own, over the upgraded HTTP
//! connection, so that an event is encoded once per channel and every socket queues the same
//! bytes, and an idle connection holds little more than its read buffer
//! (`docs/architecture.md` has the measurements).
//!
//! # Layout
//! - [`config`]: the apps and their limits.
//! - `handshake`: the HTTP upgrade, and the refusals made before a connection starts.
//! - `connection`: one connection's life: reading, dispatching, writing, leaving.
//! - `commands`: what a client asks: subscribe, unsubscribe, sign in, client events.
//! - `socket`: one connection as the hub and the liveness check see it.
//! - `liveness`: pings connections that went quiet, closes those that stay so.
//! - `message_limit`: a connection's message budget, when the app sets one.
//! - [`metrics`]: connections, for the server's census.
//! - `counts`: tells subscribers how many connections their channels have, when asked to.
//! - `protocol`: the messages, parsed and encoded (the WebSocket framing is
//!   `sidecast-websocket`'s).
#![forbid(unsafe_code)]

mod commands;
pub mod config;
mod connection;
mod counts;
#[doc(hidden)]
pub mod fuzzing;
mod handshake;
mod liveness;
mod message_limit;
pub mod metrics;
mod protocol;
mod socket;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::get;
use sidecast_auth::SignatureAuthorizer;
use sidecast_core::{Hub, LogLimit, SocketId};

pub use config::{App, AppConfig, Config, MessageLimit};

use crate::socket::Socket;

/// What every connection of one app shares.
#[derive(Debug)]
struct FrontEnd {
    hub: Arc<Hub>,
    config: AppConfig,
    signatures: SignatureAuthorizer,
    /// Every open connection, for the liveness check and shutdown.
    sockets: Mutex<HashMap<SocketId, Arc<Socket>>>,
    /// When the front end started; connections keep times relative to it.
    epoch: Instant,
    /// The lines about clients' refused messages, which a client could repeat without end.
    refusals_log: LogLimit,
}

impl FrontEnd {
    fn sockets(&self) -> std::sync::MutexGuard<'_, HashMap<SocketId, Arc<Socket>>> {
        self.sockets.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The apps clients may connect to, by key.
type Apps = HashMap<String, Arc<FrontEnd>>;

/// Builds the front end of every app over its hub and starts their liveness checks (and the
/// subscription counts of the apps that ask for them). Returns the routes (`/app/{key}`, after
/// `path`) to merge into the sidecar's HTTP server, and the handle the server keeps.
pub fn mount(
    path: &str,
    apps: impl IntoIterator<Item = (Arc<Hub>, AppConfig)>,
) -> (Router, Handle) {
    let mut by_key = Apps::new();
    let mut tasks = Vec::new();
    for (hub, config) in apps {
        let front_end = Arc::new(FrontEnd {
            hub,
            signatures: SignatureAuthorizer::new(&config.app.key, &config.app.secret),
            config,
            sockets: Mutex::default(),
            epoch: Instant::now(),
            refusals_log: LogLimit::default(),
        });
        tasks.push(tokio::spawn(liveness::check(Arc::downgrade(&front_end))).abort_handle());
        if front_end.config.subscription_count {
            tasks.push(tokio::spawn(counts::announce(Arc::downgrade(&front_end))).abort_handle());
        }
        by_key.insert(front_end.config.app.key.clone(), front_end);
    }
    let apps = Arc::new(by_key);
    let routes = Router::new()
        .route(&format!("{path}/app/{{key}}"), get(handshake::upgrade))
        .with_state(apps.clone());
    (routes, Handle { apps, tasks })
}

/// The running front end, as the server holds it.
#[derive(Debug, Clone)]
pub struct Handle {
    apps: Arc<Apps>,
    /// The liveness checks, and the subscription counts where they are on.
    tasks: Vec<tokio::task::AbortHandle>,
}

impl Handle {
    /// Asks every connection to close (4200: reconnect shortly), then waits until they have
    /// (the server bounds the wait).
    pub async fn close(self) {
        for task in &self.tasks {
            task.abort();
        }
        // Asked again at every look: a connection whose upgrade was under way when the server
        // stopped accepting registers late.
        loop {
            let sockets: Vec<Arc<Socket>> = self
                .apps
                .values()
                .flat_map(|front_end| front_end.sockets().values().cloned().collect::<Vec<_>>())
                .collect();
            if sockets.is_empty() {
                return;
            }
            for socket in sockets.iter().filter(|socket| !socket.outbox.is_closing()) {
                socket.refuse(4200, "Server closed. Please reconnect shortly.");
            }
            drop(sockets);
            tokio::time::sleep(CLOSE_POLL).await;
        }
    }
}

/// How often shutdown looks whether every connection is gone.
const CLOSE_POLL: Duration = Duration::from_millis(20);
