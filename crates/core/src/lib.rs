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
//! - [`subscriber`]: the trait a front end implements for each connection, and the
//!   [`Notice`]s it receives beside events (subscribed, joining, leaving).
//! - [`auth`]: what a subscription to a private or presence channel is granted, and the
//!   [`Authorizer`] a front end asks (the Laravel app, through `sidecast-auth`).
//! - [`presence`]: presence members, counted per user on a single node.
//! - [`hub`]: the registry of connections and channel memberships, the fan-out, presence
//!   changes and whispers, and what other nodes of a cluster send in.
//! - [`cluster`]: the seam to the other nodes of a cluster (`sidecast-cluster`), and `mirror`:
//!   a presence roster whose truth lives in the cluster, kept in version order (per epoch).
//! - [`lifecycle`]: the transitions the app may want to hear of (channels occupied and
//!   vacated, members added and removed, client events), told to an [`Observer`].
//! - [`limits`]: the limits and rate limiter front ends apply to what clients send, and
//!   [`origins`]: the pages allowed to connect; [`log_limit`]: log lines a flood could repeat,
//!   written once per interval.
//! - [`census`]: questions about channels and members, answered by one node or gathered
//!   across a cluster, and the [`Core`] of one app (its hub and census) the ways in are given;
//!   [`stats`]: the counters the hub keeps, and [`metrics`]: the counters, gauges and
//!   histograms every crate keeps, for the server's census.
#![forbid(unsafe_code)]

pub mod auth;
pub mod census;
pub mod cluster;
pub mod hub;
pub mod lifecycle;
pub mod limits;
pub mod log_limit;
pub mod message;
pub mod metrics;
mod mirror;
pub mod names;
pub mod origins;
pub mod presence;
pub mod stats;
pub mod subscriber;

pub use auth::{Access, AuthDenied, AuthRequest, Authorization, Authorizer, Credentials};
pub use census::{Census, ClusterHealth, Core, Gathered, Gathering, Totals};
pub use cluster::{Cluster, CountReport, Joining, RosterChange, RosterSnapshot, Stamp};
pub use hub::{
    Applied, ByKind, CachedEvent, ChannelInfo, DeliveryReport, Hub, Occupancy, RecentEvent,
    SubscribeError, Subscribed, WhisperRefused,
};
pub use lifecycle::{Observer, Transition};
pub use limits::{ClientEventLimits, RateLimiter};
pub use log_limit::LogLimit;
pub use message::{InvalidPayload, Message, Origin, Payload, Publication, SharedFrame, Whisper};
pub use names::{ChannelKind, ChannelName, EventName, InvalidName, SocketId};
pub use origins::AllowedOrigins;
pub use presence::{InvalidMember, Member};
pub use stats::{DropCounts, StatsSnapshot};
pub use subscriber::{Notice, Subscriber, Undelivered};
