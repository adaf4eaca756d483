//! The Pusher front end's settings: the apps clients connect to, each with its limits, and
//! the path they are served under.

use std::time::Duration;

use sidecast_core::{AllowedOrigins, ClientEventLimits};

/// A Pusher app: what Laravel's `pusher`/`reverb` connection and Echo's `key` name.
#[derive(Clone, PartialEq, Eq)]
pub struct App {
    pub id: String,
    /// Public: every browser has it.
    pub key: String,
    /// Signs subscriptions, sign-ins and HTTP API requests; never logged.
    pub secret: String,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("id", &self.id)
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

/// Settings of the Pusher front end.
#[derive(Debug, Clone)]
pub struct Config {
    /// A prefix before `/app/{key}` (and the HTTP API's `/apps/…`), such as `/realtime`, as
    /// Reverb's `path` sets it; empty for none. Clients name it as pusher-js's `wsPath`.
    pub path: String,
    /// At least one; ids and keys differ. Each app has a hub of its own: its clients never
    /// meet another app's.
    pub apps: Vec<AppConfig>,
}

/// One app and its limits. [`AppConfig::new`] gives the values documented in `docs/pusher.md`.
#[derive(Debug, Clone)]
pub struct AppConfig {
    pub app: App,
    /// Sent in the handshake: clients ping after this much silence from the server (pusher-js
    /// uses the smaller of this and its own 120 s).
    pub activity_timeout: Duration,
    /// The server pings a connection it has heard nothing from for this long (clients that
    /// receive events steadily never ping on their own).
    pub ping_interval: Duration,
    /// How long a pinged connection has to answer before it is closed with 4201; at most
    /// the ping interval.
    pub pong_timeout: Duration,
    /// Largest message a client may send; a larger one is skipped and answered with an error.
    pub max_message_bytes: usize,
    /// Frames queued per connection before events to it are dropped (and counted)…
    pub max_queued_frames: usize,
    /// …or bytes: a client too slow for its own replies is closed.
    pub max_queued_bytes: usize,
    /// Connections the app may have at once; more are refused with 4004. `None`: no limit
    /// but the process's open-files limit.
    pub max_connections: Option<usize>,
    /// Whether clients may send client events (whispers) at all.
    pub accept_client_events: bool,
    /// What one connection may send as client events; the same for every front end.
    pub client_events: ClientEventLimits,
    /// The pages that may connect; the same for every front end.
    pub origins: AllowedOrigins,
    /// Whether subscribers of channels other than presence ones are told how many connections
    /// are subscribed (`pusher_internal:subscription_count`), as Pusher's per-app setting
    /// does: at most once a second per channel, when the count changed.
    pub subscription_count: bool,
    /// Messages one connection may send in a window, as Reverb's `rate_limiting` counts
    /// them: every message, pings included. `None`: no limit but the client-event limits.
    pub message_limit: Option<MessageLimit>,
}

/// At most `max` messages from one connection in a window of `window` that starts at the
/// first one; past it, messages are refused (4301) until the window ends, or the connection
/// is closed with 4301 if `terminate`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MessageLimit {
    pub max: u32,
    pub window: Duration,
    pub terminate: bool,
}

impl AppConfig {
    pub fn new(app: App) -> Self {
        AppConfig {
            app,
            activity_timeout: Duration::from_secs(30),
            ping_interval: Duration::from_secs(60),
            pong_timeout: Duration::from_secs(30),
            max_message_bytes: 10_000,
            max_queued_frames: 4096,
            max_queued_bytes: 4 * 1024 * 1024,
            max_connections: None,
            accept_client_events: true,
            client_events: ClientEventLimits::default(),
            origins: AllowedOrigins::default(),
            subscription_count: false,
            message_limit: None,
        }
    }
}

impl AppConfig {
    /// The same settings for another app.
    pub fn with_app(&self, app: App) -> Self {
        AppConfig {
            app,
            ..self.clone()
        }
    }
}
