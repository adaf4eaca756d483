//! The core of sidecast: who is subscribed to which channel, and delivery of events to them.
//!
//! On the data path this sits between the ingest step (`sidecast-ingest`, which turns frames from
//! PHP into [`Publication`]s) and the front ends (`sidecast-socketio`, later a Pusher front end),
//! which register each client connection as a [`Subscriber`] and encode what it receives in
//! their own protocol. Nothing here knows socket.io, Pusher, Redis or the wire format; the only
//! vocabulary shared with Laravel is the channel naming convention (`private-`, `presence-`).
//!
//! # Layout
//! - [`names`]: validated channel names, event names and socket ids, and the channel kind that
//!   Laravel's prefixes imply.
//! - [`message`]: the JSON [`Payload`], a [`Publication`] (one event for several channels, maybe
//!   excluding the sender) and the [`Message`] a subscriber receives.
//! - [`subscriber`]: the trait a front end implements for each connection.
//! - [`hub`]: the registry of connections and channel memberships, and the fan-out.
//! - [`stats`]: counters the hub keeps, for logs and, later, queries.
#![forbid(unsafe_code)]

pub mod hub;
pub mod message;
pub mod names;
pub mod stats;
pub mod subscriber;

pub use hub::{DeliveryReport, Hub, SubscribeError, Subscribed};
pub use message::{InvalidPayload, Message, Payload, Publication};
pub use names::{ChannelKind, ChannelName, EventName, InvalidName, SocketId};
pub use stats::StatsSnapshot;
pub use subscriber::{Subscriber, Undelivered};
