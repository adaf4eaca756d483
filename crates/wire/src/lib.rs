//! The wire format between PHP and the sidecast sidecar.
//!
//! This crate is the first step of the data path: PHP (the extension in `crates/ext`, or the
//! plain-PHP transport in `php/src/Wire`) encodes an event into a frame, writes it to the
//! sidecar's Unix socket, and `sidecast-ingest` decodes it here before handing it to the core.
//! The format itself is specified for implementers in `docs/wire-protocol.md`; this crate is
//! its reference implementation and knows no sockets and no async runtime.
//!
//! # Layout
//! - [`frame`]: the frame header (length, version, kind), the two-phase decoder
//!   ([`check`] whether a whole frame is buffered, then [`parse`] it) and the frame limits.
//! - [`publish`]: the body of a `PUBLISH` frame — channels, event name, the sender's socket id
//!   (for `toOthers()`), and the JSON payload — with its encoder and parser; the same event in
//!   a `PUBLISH_ACKED` frame, which the sidecar answers.
//! - [`query`]: `QUERY` frames, questions about channels.
//! - [`response`]: the sidecar's answers, `ACK` and `RESULT`.
//! - [`listen`]: `LISTEN`, which turns a connection to receiving lifecycle events (`EVENT`)
//!   for `php artisan sidecast:listen`, and the listener's `CONFIRM`.
//! - [`error`]: why a frame was refused, in words fit for a log line.
//!
//! # Example
//! ```
//! use sidecast_wire::{decode, Frame, Limits, Publish};
//!
//! let event = Publish {
//!     channels: vec!["example-channel"],
//!     event: "App\\Events\\ExampleEvent",
//!     socket_id: None,
//!     payload: br#"{"data":"Hello World!"}"#,
//! };
//! let mut bytes = Vec::new();
//! event.encode(&mut bytes).unwrap();
//!
//! let (frame, used) = decode(&bytes, &Limits::default()).unwrap().expect("a whole frame");
//! assert_eq!(used, bytes.len());
//! assert_eq!(frame, Frame::Publish(event));
//! ```

/// Where the sidecar listens and PHP connects when nothing else is configured
/// (`--socket` or `SIDECAST_SOCKET` for the sidecar, `sidecast.socket` in php.ini): the
/// runtime directory systemd's `RuntimeDirectory=sidecast` creates. In a Laravel app both
/// sides default to the app's `storage/sidecast/sidecast.sock` instead.
pub const DEFAULT_SOCKET_PATH: &str = "/run/sidecast/sidecast.sock";

pub mod error;
pub mod frame;
pub mod listen;
pub mod publish;
pub mod query;
mod reader;
pub mod response;

pub use error::{DecodeError, EncodeError};
pub use frame::{Frame, Kind, Limits, check, decode, parse};
pub use listen::{Confirm, LifecycleEvent, Listen};
pub use publish::{MAX_CHANNEL_NAME_BYTES, MAX_EVENT_NAME_BYTES, MAX_SOCKET_ID_BYTES, Publish};
pub use query::{Query, Question};
pub use response::{Ack, QueryResult};
