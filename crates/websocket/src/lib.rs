//! WebSocket connections as sidecast's front ends serve them, without a WebSocket library: a
//! library's per-connection queues and tasks cost more memory than the whole connection is
//! worth here, and it would encode every message once per socket. Here an event is encoded
//! once and every socket queues the same bytes.
//!
//! # Layout
//! - [`upgrade`]: the HTTP upgrade: checks the request, answers 101, hands over the stream.
//! - [`frame`]: RFC 6455 frames, read from clients and encoded for them.
//! - [`reader`]: client messages out of frames, bounded in size, skipped rather than buffered
//!   when refused.
//! - [`outbox`]: what waits to be written to one connection, bounded in messages and bytes.
//! - [`writer`]: writes an outbox out, batch by batch, beside the connection's reading.
//! - [`sweep`]: periodic work over every connection of a front end.
#![forbid(unsafe_code)]

pub mod frame;
#[doc(hidden)]
pub mod fuzzing;
pub mod outbox;
pub mod reader;
pub mod sweep;
pub mod upgrade;
pub mod writer;

pub use frame::Opcode;
pub use outbox::{Frame, Outbox};
pub use reader::{Incoming, MessageReader, ReadError, Refusal};
pub use writer::{CLOSE_GRACE, Framing, serve, write_all};
