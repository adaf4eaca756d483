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
//! - [`publication`]: turning a decoded `PUBLISH` frame into a core publication, refusing bad
//!   names and non-JSON payloads one event at a time.
//! - [`redis`]: Laravel's stock `redis` broadcaster, as laravel-echo-server subscribed to it.
#![forbid(unsafe_code)]

mod answers;
pub mod publication;
mod publisher;
pub mod redis;
mod replies;
pub mod unix;

pub use unix::{BindError, UnixIngest};
