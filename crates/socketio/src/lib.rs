//! Laravel Echo's socket.io protocol, as laravel-echo-server spoke it, over the sidecast core.
//!
//! Last step of the data path. Echo clients (socket.io-client 2.x over Engine.IO 3, and 3.x/4.x
//! over Engine.IO 4; polling, WebSocket and the upgrade) connect to the default namespace, send
//! `subscribe` / `unsubscribe` with `{channel, auth}`, and receive every event as
//! `(eventName, channel, data)`. Each session is a [`Subscriber`](sidecast_core::Subscriber)
//! of the core's hub, which does the fan-out and the `toOthers()` exclusion for every front end
//! alike.
//!
//! Engine.IO and socket.io are this crate's own, over `sidecast-websocket`'s framing, so that
//! an event is encoded once per channel and every session queues the same bytes, each
//! session's queue is bounded in bytes as well as packets, and an idle WebSocket connection
//! holds little more than its read buffer.
//!
//! [`mount`] gives the server what it serves: the `/socket.io/` endpoint behind its CORS
//! rules, the socket.io 2 browser client at `/socket.io/socket.io.js`, and a closer for
//! shutdown.
//!
//! # Layout
//! - [`config`]: the socket.io settings sidecast exposes, with their defaults.
//! - `endpoint`: `/socket.io/` requests, to a new session or an open one, and Engine.IO's
//!   refusals.
//! - `polling`, `websocket`: the two transports, and the upgrade from one to the other.
//! - `engine`, `packet`: Engine.IO and socket.io packets, parsed and encoded.
//! - `session`: one client, as the transports, the liveness check and the hub see it.
//! - `receive`: what a client sends, to its session's `inbox`, which applies its requests in
//!   order: joining, `channels` (subscribe and unsubscribe, with the Laravel app's
//!   authorization), `whisper` (client events).
//! - `liveness`: pings, and closes sessions that are silent or do not read.
//! - [`metrics`]: connections by Engine.IO version and transport, for the server's census.
//! - `flood`: what a client's floods and mistakes cost: counted, logged once in a while.
#![forbid(unsafe_code)]

mod channels;
pub mod config;
mod endpoint;
mod engine;
mod flood;
#[doc(hidden)]
pub mod fuzzing;
mod inbox;
mod liveness;
pub mod metrics;
mod packet;
mod polling;
mod receive;
mod session;
mod websocket;
mod whisper;

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use axum::Router;
use axum::http::{HeaderValue, Method, header};
use axum::response::IntoResponse;
use axum::routing::{any, get};
use sidecast_core::{AllowedOrigins, Authorizer, Hub, LogLimit};
use sidecast_websocket::Outbox;
use tower_http::cors::{AllowHeaders, AllowOrigin, CorsLayer};

pub use config::Config;

use crate::inbox::Job;
use crate::session::{Session, Timing};

/// What every session of the front end shares.
pub(crate) struct FrontEnd {
    hub: Arc<Hub>,
    authorizer: Arc<dyn Authorizer>,
    config: Config,
    /// Every open session, by Engine.IO session id.
    sessions: Mutex<HashMap<Box<str>, Arc<Session>>>,
    /// When the front end started; sessions keep times relative to it.
    epoch: Instant,
    /// Requests refused because a client sent too many: past its backlog, past the channel
    /// limit, malformed.
    refusals: flood::Refusals,
    /// Sessions closed because their outbox stayed full.
    not_reading: AtomicU64,
    not_reading_log: LogLimit,
}

impl std::fmt::Debug for FrontEnd {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FrontEnd")
            .field("config", &self.config)
            .field("sessions", &self.sessions().len())
            .finish_non_exhaustive()
    }
}

impl FrontEnd {
    fn sessions(&self) -> MutexGuard<'_, HashMap<Box<str>, Arc<Session>>> {
        self.sessions.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// An open session, by Engine.IO id; a closing one is gone for new requests.
    fn session(&self, sid: &str) -> Option<Arc<Session>> {
        self.sessions()
            .get(sid)
            .filter(|session| !session.is_closing())
            .cloned()
    }

    fn outbox(&self) -> Outbox {
        Outbox::new(self.config.max_buffer_size, self.config.max_buffer_bytes)
    }

    fn timing(&self) -> Timing {
        Timing {
            ping_interval: self.config.ping_interval,
            ping_timeout: self.config.ping_timeout,
        }
    }

    /// The `open` packet of `session`; `upgrades` offers the move to a WebSocket.
    fn open_packet(&self, session: &Session, upgrades: bool) -> Vec<u8> {
        engine::open(
            &session.sid,
            upgrades,
            self.config.ping_interval.as_millis(),
            self.config.ping_timeout.as_millis(),
            self.config.max_payload,
        )
    }

    /// A session has opened: a socket.io-client 2 session (Engine.IO 3) is in the default
    /// namespace at once, without asking.
    fn start(self: &Arc<Self>, session: &Arc<Session>) {
        if session.version == engine::Version::V3 && session.ask_to_join() {
            inbox::submit(self, session, Job::Join);
        }
    }

    /// A session has ended: new requests no longer find it, and the hub forgets it after its
    /// last request.
    fn forget(self: &Arc<Self>, session: &Arc<Session>) {
        if self.sessions().remove(&session.sid).is_some() {
            inbox::submit(self, session, Job::Leave);
        }
    }

    /// Counts and logs (once in a while) a session closed because it does not read.
    fn not_reading(&self, session: &Session) {
        let total = self.not_reading.fetch_add(1, Ordering::Relaxed) + 1;
        if let Some(held_back) = self.not_reading_log.check() {
            tracing::info!(
                socket = %session.socket_id,
                limit_bytes = self.config.max_buffer_bytes,
                limit_packets = self.config.max_buffer_size,
                closed_since_start = total,
                like_this_since_last_line = held_back,
                "client closed: its buffer stayed full for the ping timeout, it does not read"
            );
        }
    }
}

/// socket.io-client 2.5.0's browser build; see `assets/README.md`.
const SOCKET_IO_CLIENT: &[u8] = include_bytes!("../assets/socket.io-2.5.0.min.js");

/// How often shutdown looks whether every session is gone.
const CLOSE_POLL: Duration = Duration::from_millis(20);

/// Builds the front end over `hub`: its routes, to merge into the sidecar's HTTP server, and
/// what closes every session, awaited at shutdown. `authorizer` is asked before a client joins
/// a private or presence channel.
///
/// CORS wraps the endpoint: socket.io-client 2.x polls with `withCredentials`, which browsers
/// only allow with the requesting origin echoed back (not `*`) and
/// `Access-Control-Allow-Credentials: true`.
pub fn mount(
    hub: Arc<Hub>,
    authorizer: Arc<dyn Authorizer>,
    config: &Config,
) -> (Router, impl Future<Output = ()> + Send + 'static) {
    let front_end = Arc::new(FrontEnd {
        hub,
        authorizer,
        config: config.clone(),
        sessions: Mutex::default(),
        epoch: Instant::now(),
        refusals: flood::Refusals::default(),
        not_reading: AtomicU64::new(0),
        not_reading_log: LogLimit::default(),
    });
    let liveness = tokio::spawn(liveness::check(Arc::downgrade(&front_end))).abort_handle();
    let engine = Router::new()
        .route("/socket.io/", any(endpoint::handle))
        // socket.io-client 4.6+ with `addTrailingSlash: false`, and proxies that strip it.
        .route("/socket.io", any(endpoint::handle))
        .with_state(front_end.clone())
        .layer(cors(&config.origins));
    let routes = Router::new()
        .route("/socket.io/socket.io.js", get(client_script))
        .merge(engine);
    (routes, close(front_end, liveness))
}

/// Closes every session, then waits until they are gone (the server bounds the wait).
async fn close(front_end: Arc<FrontEnd>, liveness: tokio::task::AbortHandle) {
    liveness.abort();
    // Asked again at every look: a connection whose upgrade was under way when the server
    // stopped accepting registers late.
    loop {
        let sessions: Vec<Arc<Session>> = front_end.sessions().values().cloned().collect();
        if sessions.is_empty() {
            return;
        }
        for session in &sessions {
            session.close();
        }
        drop(sessions);
        tokio::time::sleep(CLOSE_POLL).await;
    }
}

fn cors(origins: &AllowedOrigins) -> CorsLayer {
    let allowed = if origins.is_any() {
        AllowOrigin::mirror_request()
    } else {
        AllowOrigin::list(
            origins
                .list()
                .iter()
                .filter_map(|origin| HeaderValue::from_str(origin).ok()),
        )
    };
    CorsLayer::new()
        .allow_origin(allowed)
        .allow_credentials(true)
        .allow_methods([Method::GET, Method::POST, Method::OPTIONS])
        .allow_headers(AllowHeaders::mirror_request())
}

async fn client_script() -> impl IntoResponse {
    (
        [
            (
                header::CONTENT_TYPE,
                "application/javascript; charset=utf-8",
            ),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        SOCKET_IO_CLIENT,
    )
}
