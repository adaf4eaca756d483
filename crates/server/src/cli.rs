//! The command line: laravel-echo-server's commands (`init`, `start`, `stop`, `client:add`,
//! `client:remove`) plus `status`. Every `start` option also reads a `SIDECAST_*` environment
//! variable and wins over the config file; see `config` for the order.

use std::path::{Path, PathBuf};

use clap::{Args, Parser, Subcommand};

mod groups;

pub use groups::{AdminArgs, ClusterArgs, LifecycleArgs, PusherArgs};

#[derive(Debug, Parser)]
#[command(
    name = "sidecast",
    version,
    about = "Real-time broadcasting for Laravel: a Laravel Echo WebSocket server fed by PHP over a Unix socket, a drop-in for laravel-echo-server."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve Echo clients until SIGTERM or SIGINT (reads laravel-echo-server.json if present).
    Start(Box<StartArgs>),
    /// Stop the server started from this directory's config file, or listening at the socket.
    Stop(TargetArgs),
    /// Write a laravel-echo-server.json, asking laravel-echo-server's questions.
    Init(Box<InitArgs>),
    /// Add an HTTP API client (or give an existing one a new key).
    #[command(name = "client:add")]
    ClientAdd(ClientAddArgs),
    /// Remove an HTTP API client.
    #[command(name = "client:remove")]
    ClientRemove(ClientRemoveArgs),
    /// Say whether the server of this config file, or of the socket, runs, and ask it for its
    /// figures.
    Status(StatusArgs),
    /// Exit 0 if the sidecar at the socket is ready (it answers, and so does its Redis), 1 if
    /// not: for Docker's HEALTHCHECK.
    Health(HealthArgs),
}

/// Where the config file is: `<dir>/<config>`.
#[derive(Debug, Clone, Args)]
pub struct FileArgs {
    /// The config file, relative to --dir.
    #[arg(long, default_value = "laravel-echo-server.json")]
    pub config: PathBuf,

    /// The working directory (default: the current one); its .env is read too.
    #[arg(long)]
    pub dir: Option<PathBuf>,
}

impl FileArgs {
    pub fn dir(&self) -> PathBuf {
        self.dir.clone().unwrap_or_else(|| PathBuf::from("."))
    }

    pub fn path(&self) -> PathBuf {
        self.dir().join(&self.config)
    }

    /// Whether --config was given (a missing file is then an error, not "no file").
    pub fn explicit(&self) -> bool {
        self.config != Path::new("laravel-echo-server.json")
    }
}

/// Which running server `status` and `stop` mean: the one holding the config file's lock, or
/// else the one listening at the socket `start` would bind with the same settings.
#[derive(Debug, Clone, Args)]
pub struct TargetArgs {
    #[command(flatten)]
    pub file: FileArgs,

    /// The server's Unix socket [default: as `start` chooses it: SIDECAST_SOCKET (also from
    /// .env), the config file's sidecast.socket, storage/sidecast/sidecast.sock in a Laravel
    /// app's directory, /run/sidecast/sidecast.sock elsewhere].
    #[arg(long, env = "SIDECAST_SOCKET")]
    pub socket: Option<PathBuf>,
}

#[derive(Debug, Clone, Args)]
pub struct StatusArgs {
    #[command(flatten)]
    pub target: TargetArgs,

    /// Print the running sidecar's whole answer as JSON, for scripts.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Args)]
pub struct HealthArgs {
    #[command(flatten)]
    pub target: TargetArgs,

    /// Only check that it answers (liveness), not its Redis.
    #[arg(long)]
    pub alive: bool,
}

#[derive(Debug, Clone, Args)]
pub struct StartArgs {
    #[command(flatten)]
    pub file: FileArgs,

    /// Stop a server already running from the same config file, then start.
    #[arg(long)]
    pub force: bool,

    /// Log every connection, subscription and event (devMode).
    #[arg(long)]
    pub dev: bool,

    /// What is logged: a level (error, warn, info, debug, trace) or RUST_LOG-style directives
    /// (info,sidecast_auth=debug) [default: info; debug with --dev].
    #[arg(long = "log", env = "SIDECAST_LOG")]
    pub log: Option<String>,

    /// How log lines are written: text, or one JSON object a line [default: text].
    #[arg(long, env = "SIDECAST_LOG_FORMAT", value_enum)]
    pub log_format: Option<crate::logging::LogFormat>,

    /// Address Echo clients connect to [default: 127.0.0.1; the file's "host"].
    #[arg(long, env = "SIDECAST_HOST")]
    pub host: Option<String>,

    /// Port Echo clients connect to, socket.io at /socket.io/ [default: 6001].
    #[arg(long, env = "SIDECAST_PORT")]
    pub port: Option<u16>,

    /// Unix socket PHP sends events to [default: storage/sidecast/sidecast.sock in a Laravel
    /// app's directory, /run/sidecast/sidecast.sock elsewhere].
    #[arg(long, env = "SIDECAST_SOCKET")]
    pub socket: Option<PathBuf>,

    /// User owning the socket file, a name or a uid (changing it takes root) [default: the
    /// sidecar's user].
    #[arg(long, env = "SIDECAST_SOCKET_OWNER")]
    pub socket_owner: Option<String>,

    /// Group of the socket file (and of its directory when the sidecar creates it), a name or
    /// a gid: put PHP's user (www-data) in it [default: the sidecar's group].
    #[arg(long, env = "SIDECAST_SOCKET_GROUP")]
    pub socket_group: Option<String>,

    /// Permission bits of the socket file, in octal; connecting takes write permission
    /// [default: 0660, the owner and the group].
    #[arg(long, env = "SIDECAST_SOCKET_MODE")]
    pub socket_mode: Option<String>,

    /// Seconds the sidecar keeps taking events after SIGTERM, until PHP has sent none for this
    /// long (at most 10 s in all), so that PHP stopping at the same time hands over what it
    /// buffered; 0 stops at once [default: 1].
    #[arg(long, env = "SIDECAST_PUBLISHER_GRACE", value_parser = grace_seconds)]
    pub publisher_grace: Option<f64>,

    /// Largest frame accepted from PHP, in bytes [default: 1048576].
    #[arg(long, env = "SIDECAST_MAX_FRAME_BYTES",
          value_parser = clap::value_parser!(u32).range(64..=16 * 1024 * 1024))]
    pub max_frame_bytes: Option<u32>,

    /// Seconds a client has to send a request's headers; a connection that sends nothing, or
    /// stops in the middle, is closed [default: 10].
    #[arg(long, env = "SIDECAST_HEADER_TIMEOUT", value_parser = seconds)]
    pub header_timeout: Option<f64>,

    /// HTTP and WebSocket connections open at once; more are closed as they come [default:
    /// the open-files limit, raised to its maximum, less 256 kept for PHP, Redis and the app].
    #[arg(long, env = "SIDECAST_MAX_HTTP_CONNECTIONS",
          value_parser = clap::value_parser!(u32).range(1..))]
    pub max_http_connections: Option<u32>,

    /// HTTP and WebSocket connections open at once from one client address [default: no cap
    /// of its own; behind a proxy every client has the proxy's address].
    #[arg(long, env = "SIDECAST_MAX_CONNECTIONS_PER_ADDRESS",
          value_parser = clap::value_parser!(u32).range(1..))]
    pub max_connections_per_address: Option<u32>,

    /// PHP connections to the Unix socket open at once (one per php-fpm worker, queue worker
    /// or script); more are closed as they come [default: 4096].
    #[arg(long, env = "SIDECAST_MAX_PUBLISHERS",
          value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub max_publishers: Option<u32>,

    /// Packets queued per client before further events to it are dropped [default: 4096].
    #[arg(long, env = "SIDECAST_CLIENT_BUFFER",
          value_parser = clap::value_parser!(u32).range(16..=1_000_000))]
    pub client_buffer: Option<u32>,

    /// Bytes queued per socket.io client before further events to it are dropped; a client
    /// whose buffer stays full for the ping timeout is disconnected [default: 4194304].
    #[arg(long, env = "SIDECAST_CLIENT_BUFFER_BYTES",
          value_parser = clap::value_parser!(u32).range(65_536..=1_073_741_824))]
    pub client_buffer_bytes: Option<u32>,

    /// Base URL of the Laravel app that authorizes private and presence channels; repeat it
    /// or separate with commas [default: http://localhost].
    #[arg(long = "auth-host", env = "SIDECAST_AUTH_HOST", value_delimiter = ',')]
    pub auth_hosts: Vec<String>,

    /// Path of the app's channel authorization endpoint [default: /broadcasting/auth].
    #[arg(long, env = "SIDECAST_AUTH_ENDPOINT")]
    pub auth_endpoint: Option<String>,

    /// Seconds one authorization may take [default: 5].
    #[arg(long, env = "SIDECAST_AUTH_TIMEOUT", value_parser = seconds)]
    pub auth_timeout: Option<f64>,

    /// Authorization requests to the app in flight at once [default: 64].
    #[arg(long, env = "SIDECAST_AUTH_MAX_IN_FLIGHT",
          value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub auth_max_in_flight: Option<u32>,

    /// Authorization requests in flight at once for the clients of one address; more from it
    /// wait without holding a slot of --auth-max-in-flight [default: no bound of its own].
    /// Leave it unset behind a proxy, where every client has the proxy's address.
    #[arg(long, env = "SIDECAST_AUTH_MAX_PER_ADDRESS",
          value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub auth_max_per_address: Option<u32>,

    /// Accept any TLS certificate from the app (development only); `--auth-insecure false`
    /// overrides a config file's `authInsecure`.
    #[arg(long, env = "SIDECAST_AUTH_INSECURE", num_args = 0..=1, default_missing_value = "true")]
    pub auth_insecure: Option<bool>,

    /// Origin of a page allowed to connect (https://app.test); repeat it or separate with
    /// commas [default: any].
    #[arg(long = "allowed-origin", env = "SIDECAST_ALLOWED_ORIGINS", value_delimiter = ',',
          value_parser = origin)]
    pub allowed_origins: Vec<String>,

    /// Largest whisper (client event) data, in bytes [default: 16384].
    #[arg(long, env = "SIDECAST_CLIENT_EVENT_MAX_BYTES",
          value_parser = clap::value_parser!(u32).range(16..=1024 * 1024))]
    pub client_event_max_bytes: Option<u32>,

    /// Whispers one client may send per second on average [default: 50].
    #[arg(long, env = "SIDECAST_CLIENT_EVENTS_PER_SECOND",
          value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub client_events_per_second: Option<u32>,

    /// Whispers one client may send in a burst [default: 100].
    #[arg(long, env = "SIDECAST_CLIENT_EVENT_BURST",
          value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub client_event_burst: Option<u32>,

    #[command(flatten)]
    pub cluster: ClusterArgs,

    #[command(flatten)]
    pub pusher: PusherArgs,

    #[command(flatten)]
    pub admin: AdminArgs,

    #[command(flatten)]
    pub lifecycle: LifecycleArgs,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// The directory to write the file to (default: the current one).
    #[arg(long)]
    pub dir: Option<PathBuf>,

    /// Ask nothing: use the options given and defaults for the rest.
    #[arg(long, short = 'y')]
    pub yes: bool,

    /// Overwrite an existing file without asking.
    #[arg(long)]
    pub force: bool,

    /// The file name to save as [default: laravel-echo-server.json].
    #[arg(long)]
    pub config: Option<PathBuf>,

    /// Development mode (verbose logs).
    #[arg(long)]
    pub dev_mode: Option<bool>,

    /// Port to serve from [default: 6001].
    #[arg(long)]
    pub port: Option<u16>,

    /// Address to listen on: 127.0.0.1 (this machine only) or 0.0.0.0 (every interface).
    #[arg(long)]
    pub host: Option<String>,

    /// Subscribe to Laravel's `redis` broadcaster, for an app that keeps BROADCAST_DRIVER=redis.
    #[arg(long)]
    pub redis: Option<bool>,

    /// Where presence members were stored: redis or sqlite (sidecast keeps them in memory).
    #[arg(long, value_parser = ["redis", "sqlite"])]
    pub database: Option<String>,

    /// The Laravel app's base URL [default: http://localhost].
    #[arg(long)]
    pub auth_host: Option<String>,

    /// http or https.
    #[arg(long, value_parser = ["http", "https"])]
    pub protocol: Option<String>,

    /// Certificate file, for https.
    #[arg(long)]
    pub ssl_cert_path: Option<String>,

    /// Key file, for https.
    #[arg(long)]
    pub ssl_key_path: Option<String>,

    /// Generate an HTTP API client id and key.
    #[arg(long)]
    pub add_client: Option<bool>,

    /// Allow cross-origin requests to the HTTP API.
    #[arg(long)]
    pub cors_allow: Option<bool>,

    /// Origin allowed to call the HTTP API [default: http://localhost:80].
    #[arg(long)]
    pub allow_origin: Option<String>,

    /// Methods allowed for CORS [default: GET, POST].
    #[arg(long)]
    pub allow_methods: Option<String>,

    /// Headers allowed for CORS.
    #[arg(long)]
    pub allow_headers: Option<String>,
}

#[derive(Debug, Args)]
pub struct ClientAddArgs {
    /// The client's app id; generated when omitted.
    pub app_id: Option<String>,

    #[command(flatten)]
    pub file: FileArgs,
}

#[derive(Debug, Args)]
pub struct ClientRemoveArgs {
    /// The app id of the client to remove.
    pub app_id: String,

    #[command(flatten)]
    pub file: FileArgs,
}

/// An origin as browsers send it: scheme, host and port only, no trailing slash.
pub fn origin(text: &str) -> Result<String, String> {
    let trimmed = text.trim_end_matches('/');
    let (scheme, rest) = trimmed
        .split_once("://")
        .ok_or_else(|| format!("\"{text}\" is not an origin such as https://app.test"))?;
    if !matches!(scheme, "http" | "https") || rest.is_empty() || rest.contains('/') {
        return Err(format!(
            "\"{text}\" is not an origin such as https://app.test"
        ));
    }
    Ok(trimmed.to_owned())
}

/// A grace period: 0 (none) to 10 seconds.
fn grace_seconds(text: &str) -> Result<f64, String> {
    seconds_up_to(text, 10.0)
}

/// 0 (none) to `most` seconds.
fn seconds_up_to(text: &str, most: f64) -> Result<f64, String> {
    let value: f64 = text
        .parse()
        .map_err(|_| format!("\"{text}\" is not a number of seconds"))?;
    if (0.0..=most).contains(&value) {
        Ok(value)
    } else {
        Err(format!("{value} is not between 0 and {most} seconds"))
    }
}

/// A positive number of seconds, at most an hour.
fn seconds(text: &str) -> Result<f64, String> {
    let value: f64 = text
        .parse()
        .map_err(|_| format!("\"{text}\" is not a number of seconds"))?;
    if value > 0.0 && value <= 3600.0 {
        Ok(value)
    } else {
        Err(format!("{value} is not between 0 and 3600 seconds"))
    }
}
