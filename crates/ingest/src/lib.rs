//! Where events enter sidecast.
//!
//! Second step of the data path: bytes from a publisher are decoded with `sidecast-wire`,
//! checked, and handed to the core's [`Hub`](sidecast_core::Hub) as
//! [`Publication`](sidecast_core::Publication)s. Today the only path in is the Unix socket that
//! the PHP extension and the plain-PHP transport write to; the HTTP API and Redis subscriber of
//! later versions sit beside it and end in the same [`publication::from_frame`] check.
//!
//! # Layout
//! - [`unix`]: binding the socket file safely (never stealing a live sidecar's) and the accept
//!   loop.
//! - `publisher`: one publisher's connection: frames in, events to the hub, acknowledgements
//!   and query answers back (in order, `replies`), drained at shutdown.
//! - `answers`: the JSON answers to PHP's questions about channels, from the census.
//! - [`Handover`]: a connection that asked to `LISTEN` for lifecycle events, given to whoever
//!   serves listeners (`sidecast-lifecycle`, wired in by the server).
//! - [`publication`]: turning a decoded `PUBLISH` frame into a core publication, refusing bad
//!   names and non-JSON payloads one event at a time.
//! - [`metrics`]: what came in and what was refused, for the server's census.
//! - [`redis`]: Laravel's stock `redis` broadcaster, as laravel-echo-server subscribed to it.
#![forbid(unsafe_code)]

mod answers;
pub mod metrics;
pub mod publication;
mod publisher;
pub mod redis;
mod replies;
pub mod unix;

use std::time::Duration;

use sidecast_wire::Limits;

pub use unix::{BindError, OpenPublishers, SocketAccess, SocketFile, UnixIngest};

/// The whole sidecar's figures as JSON, which the server gives the ingest socket for the
/// `stats` question (`sidecast status`, PHP's `Sidecast::stats()`).
pub type Report = std::sync::Arc<
    dyn Fn() -> std::pin::Pin<Box<dyn std::future::Future<Output = serde_json::Value> + Send>>
        + Send
        + Sync,
>;

/// A connection that asked to `LISTEN` (`php artisan sidecast:listen`), with what it sent
/// after that frame. Whoever takes it answers the request and owns the connection from then
/// on; it no longer counts as a publisher.
#[derive(Debug)]
pub struct Handover {
    pub stream: tokio::net::UnixStream,
    pub buffered: bytes::BytesMut,
    pub request_id: u32,
}

/// Takes listening connections; the server gives one when lifecycle events are kept for a
/// listener (`--listener`). It must not wait: it spawns what serves the listener.
pub type Listeners = std::sync::Arc<dyn Fn(Handover) + Send + Sync>;

/// What the Unix socket's publishers may hold of the sidecar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IngestLimits {
    /// Frames, as the wire format reads them.
    pub frames: Limits,
    /// Publisher connections open at once; more are closed as they come. php-fpm keeps one per
    /// worker, queue workers one each.
    pub max_publishers: usize,
    /// How long a frame may take to arrive once its first bytes have: a publisher that stops in
    /// the middle of one is disconnected. A connection idle between frames stays open.
    pub frame_timeout: Duration,
}

impl IngestLimits {
    /// `frames`, with the other bounds at their defaults: 4,096 publishers, 10 s per frame.
    pub fn new(frames: Limits) -> Self {
        IngestLimits {
            frames,
            max_publishers: 4096,
            frame_timeout: Duration::from_secs(10),
        }
    }
}
