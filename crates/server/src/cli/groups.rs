//! The option groups `start` flattens in: the Pusher protocol, scale-out, the operator's
//! admin listener, and lifecycle events.

use clap::Args;

use super::seconds;

/// The operator's routes (docs/monitoring.md): `/up` and `/ready` are always served; these
/// place `/metrics`.
#[derive(Debug, Clone, Default, Args)]
pub struct AdminArgs {
    /// Port of the admin listener, serving /metrics, /up and /ready [default: off].
    #[arg(long = "admin-port", env = "SIDECAST_ADMIN_PORT")]
    pub admin_port: Option<u16>,

    /// Address of the admin listener; keep it private [default: 127.0.0.1].
    #[arg(long = "admin-host", env = "SIDECAST_ADMIN_HOST")]
    pub admin_host: Option<String>,

    /// Key that also serves /metrics on the clients' port, to whoever presents it
    /// (Authorization: Bearer <key>, or ?key=<key>); 16 characters at least [default: none,
    /// /metrics only on the admin listener].
    #[arg(long = "admin-key", env = "SIDECAST_ADMIN_KEY", hide_env_values = true)]
    pub admin_key: Option<String>,
}

/// The Pusher protocol at /app/{key}, for pusher-js and Echo's reverb/pusher broadcasters
/// (docs/pusher.md). On when an app is configured; Reverb's REVERB_APP_* and Soketi's
/// SOKETI_DEFAULT_APP_* variables are read too.
#[derive(Debug, Clone, Default, Args)]
pub struct PusherArgs {
    /// The Pusher app's id, as Laravel's broadcasting connection names it.
    #[arg(long = "app-id", env = "SIDECAST_APP_ID")]
    pub app_id: Option<String>,

    /// The Pusher app's key, which Echo connects with (public).
    #[arg(long = "app-key", env = "SIDECAST_APP_KEY")]
    pub app_key: Option<String>,

    /// The Pusher app's secret, which signs subscriptions and API requests.
    #[arg(
        long = "app-secret",
        env = "SIDECAST_APP_SECRET",
        hide_env_values = true
    )]
    pub app_secret: Option<String>,

    /// Seconds of silence after which Pusher clients ping [default: 30].
    #[arg(long = "activity-timeout", env = "SIDECAST_ACTIVITY_TIMEOUT", value_parser = seconds)]
    pub activity_timeout: Option<f64>,

    /// Seconds of silence from a Pusher client after which the server pings it; it is closed
    /// (4201) if it does not answer within 30 s [default: 60].
    #[arg(long = "ping-interval", env = "SIDECAST_PING_INTERVAL", value_parser = seconds)]
    pub ping_interval: Option<f64>,

    /// Largest message a Pusher client may send, in bytes [default: 10000].
    #[arg(long = "max-message-bytes", env = "SIDECAST_MAX_MESSAGE_BYTES",
          value_parser = clap::value_parser!(u32).range(256..=16 * 1024 * 1024))]
    pub max_message_bytes: Option<u32>,

    /// A path before /app/{key} and the HTTP API's /apps/…, such as /realtime (pusher-js's
    /// wsPath) [default: none].
    #[arg(long = "path", env = "SIDECAST_PATH")]
    pub path: Option<String>,

    /// Pusher connections the app may have at once; more are refused with 4004 [default: no
    /// limit].
    #[arg(long = "max-connections", env = "SIDECAST_MAX_CONNECTIONS",
          value_parser = clap::value_parser!(u32).range(1..))]
    pub max_connections: Option<u32>,

    /// Tell Pusher clients how many connections are subscribed to their channels
    /// (pusher_internal:subscription_count), at most once a second per channel, as Pusher's
    /// per-app setting does; with scale-out, on every node.
    #[arg(long = "subscription-count", env = "SIDECAST_SUBSCRIPTION_COUNT", num_args = 0..=1,
          default_missing_value = "true", value_parser = clap::builder::BoolishValueParser::new())]
    pub subscription_count: Option<bool>,

    /// Messages one Pusher connection may send in a window (as Reverb's rate_limiting); more
    /// are refused with 4301 [default: no limit].
    #[arg(long = "message-limit", env = "SIDECAST_MESSAGE_LIMIT",
          value_parser = clap::value_parser!(u32).range(1..))]
    pub message_limit: Option<u32>,

    /// The window of --message-limit, in seconds [default: 60].
    #[arg(long = "message-limit-window", env = "SIDECAST_MESSAGE_LIMIT_WINDOW", value_parser = seconds)]
    pub message_limit_window: Option<f64>,

    /// Close a connection that goes over --message-limit (4301) rather than refuse its messages.
    #[arg(long = "message-limit-terminate", env = "SIDECAST_MESSAGE_LIMIT_TERMINATE", num_args = 0..=1,
          default_missing_value = "true", value_parser = clap::builder::BoolishValueParser::new())]
    pub message_limit_terminate: Option<bool>,
}

/// Scale-out: several sidecars sharing one Redis behave as one server (docs/scaling.md).
#[derive(Debug, Clone, Default, Args)]
pub struct ClusterArgs {
    /// Redis shared by the sidecars of a cluster: redis://, rediss:// or
    /// redis+sentinel://host:port,…/master; "databaseConfig" reuses the config file's
    /// databaseConfig.redis [default: none, a single node].
    #[arg(long = "cluster-redis", env = "SIDECAST_CLUSTER_REDIS")]
    pub redis: Option<String>,

    /// Prefix of the cluster's keys and bus channels in Redis [default: sidecast:].
    #[arg(long = "cluster-prefix", env = "SIDECAST_CLUSTER_PREFIX")]
    pub prefix: Option<String>,

    /// Seconds between a node's heartbeats [default: 3].
    #[arg(long = "cluster-heartbeat", env = "SIDECAST_CLUSTER_HEARTBEAT", value_parser = seconds)]
    pub heartbeat: Option<f64>,

    /// Seconds of silence after which a node is dead and its presence members leave
    /// [default: 15].
    #[arg(long = "cluster-dead-after", env = "SIDECAST_CLUSTER_DEAD_AFTER", value_parser = seconds)]
    pub dead_after: Option<f64>,

    /// Seconds between looks for dead nodes [default: 5].
    #[arg(long = "cluster-sweep-every", env = "SIDECAST_CLUSTER_SWEEP_EVERY", value_parser = seconds)]
    pub sweep_every: Option<f64>,

    /// Seconds a question waits for the other nodes' answers [default: 2].
    #[arg(long = "cluster-survey-timeout", env = "SIDECAST_CLUSTER_SURVEY_TIMEOUT", value_parser = seconds)]
    pub survey_timeout: Option<f64>,

    /// Messages for the other nodes kept while Redis is unreachable [default: 10000].
    #[arg(long = "cluster-buffer-messages", env = "SIDECAST_CLUSTER_BUFFER_MESSAGES",
          value_parser = clap::value_parser!(u32).range(1..=10_000_000))]
    pub buffer_messages: Option<u32>,

    /// …and their bytes at most [default: 8388608].
    #[arg(long = "cluster-buffer-bytes", env = "SIDECAST_CLUSTER_BUFFER_BYTES",
          value_parser = clap::value_parser!(u32).range(1024..=1024 * 1024 * 1024))]
    pub buffer_bytes: Option<u32>,

    /// …for at most this many seconds [default: 5].
    #[arg(long = "cluster-buffer-max-age", env = "SIDECAST_CLUSTER_BUFFER_MAX_AGE", value_parser = seconds)]
    pub buffer_max_age: Option<f64>,
}

/// Lifecycle events (docs/lifecycle-events.md): channels occupied and vacated, members added
/// and removed, client events, told to the app as Pusher-compatible webhooks (signed with the
/// Pusher app's secret, --app-secret) and to `php artisan sidecast:listen`.
#[derive(Debug, Clone, Default, Args)]
pub struct LifecycleArgs {
    /// URL the webhooks are POSTed to; repeat it or separate with commas [default: none, off].
    #[arg(
        long = "webhook-url",
        env = "SIDECAST_WEBHOOK_URLS",
        value_delimiter = ','
    )]
    pub urls: Vec<String>,

    /// Keep the events for `php artisan sidecast:listen`, which dispatches them as Laravel
    /// events over the Unix socket [default: false].
    #[arg(long = "listener", env = "SIDECAST_LISTENER", num_args = 0..=1,
          default_missing_value = "true", value_parser = clap::builder::BoolishValueParser::new())]
    pub listener: Option<bool>,

    /// Seconds an event waits for the listener to confirm it, then is dropped and counted
    /// [default: 300].
    #[arg(long = "listener-buffer", env = "SIDECAST_LISTENER_BUFFER", value_parser = listener_buffer)]
    pub listener_buffer: Option<f64>,

    /// Events kept for the listener at most; past it the oldest is dropped and counted
    /// [default: 10000].
    #[arg(long = "listener-buffer-events", env = "SIDECAST_LISTENER_BUFFER_EVENTS",
          value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub listener_buffer_events: Option<u32>,

    /// Which of channel_occupied, channel_vacated, member_added, member_removed,
    /// subscription_count, user_connected, user_disconnected are told, separated with commas
    /// [default: the first four, Pusher's].
    #[arg(
        long = "lifecycle-events",
        env = "SIDECAST_LIFECYCLE_EVENTS",
        value_delimiter = ','
    )]
    pub events: Vec<String>,

    /// Channel prefixes whose client events (whispers) are told too, such as private-chat.;
    /// separated with commas [default: none].
    #[arg(
        long = "lifecycle-client-events",
        env = "SIDECAST_LIFECYCLE_CLIENT_EVENTS",
        value_delimiter = ','
    )]
    pub client_events: Vec<String>,

    /// Only channels starting with one of these prefixes, separated with commas [default: all].
    #[arg(
        long = "lifecycle-channel-prefix",
        env = "SIDECAST_LIFECYCLE_CHANNEL_PREFIXES",
        value_delimiter = ','
    )]
    pub channel_prefixes: Vec<String>,

    /// Seconds member_removed and channel_vacated wait, and are not told if the user or the
    /// channel came back meanwhile (a page reload) [default: 3].
    #[arg(long = "lifecycle-grace", env = "SIDECAST_LIFECYCLE_GRACE", value_parser = lifecycle_grace)]
    pub grace: Option<f64>,
}

/// A grace period: 0 to 60 seconds.
fn lifecycle_grace(text: &str) -> Result<f64, String> {
    super::seconds_up_to(text, 60.0)
}

/// How long the listener's events wait: up to a day.
fn listener_buffer(text: &str) -> Result<f64, String> {
    match super::seconds_up_to(text, 86_400.0)? {
        0.0 => Err("the listener's buffer must keep events for more than 0 seconds".to_owned()),
        seconds => Ok(seconds),
    }
}
