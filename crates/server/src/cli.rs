//! The command line. Every option also reads an environment variable, so a container can be
//! configured without a wrapper script.

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::server::Settings;

#[derive(Debug, Parser)]
#[command(
    name = "sidecast",
    version,
    about = "Real-time broadcasting for Laravel: a Laravel Echo WebSocket server fed by PHP over a Unix socket."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve Echo clients and take events from PHP until SIGTERM or SIGINT.
    Start(StartArgs),
}

#[derive(Debug, Args)]
pub struct StartArgs {
    /// Address Echo clients connect to.
    #[arg(long, env = "SIDECAST_HOST", default_value = "127.0.0.1")]
    pub host: IpAddr,

    /// Port Echo clients connect to (socket.io at /socket.io/).
    #[arg(long, env = "SIDECAST_PORT", default_value_t = 6001)]
    pub port: u16,

    /// Unix socket PHP sends events to.
    #[arg(long, env = "SIDECAST_SOCKET", default_value = sidecast_wire::DEFAULT_SOCKET_PATH)]
    pub socket: PathBuf,

    /// Largest frame accepted from PHP, in bytes; a larger one closes that connection.
    #[arg(long, env = "SIDECAST_MAX_FRAME_BYTES", default_value_t = 1024 * 1024,
          value_parser = clap::value_parser!(u32).range(64..=16 * 1024 * 1024))]
    pub max_frame_bytes: u32,

    /// Packets queued per client before further events to it are dropped (and counted).
    #[arg(long, env = "SIDECAST_CLIENT_BUFFER", default_value_t = 4096,
          value_parser = clap::value_parser!(u32).range(16..=1_000_000))]
    pub client_buffer: u32,

    /// Base URL of the Laravel app that authorizes private and presence channels; repeat it
    /// (or separate with commas) for several, chosen by the client's Referer.
    #[arg(
        long = "auth-host",
        env = "SIDECAST_AUTH_HOST",
        value_delimiter = ',',
        default_value = "http://localhost"
    )]
    pub auth_hosts: Vec<String>,

    /// Path of the app's channel authorization endpoint.
    #[arg(
        long,
        env = "SIDECAST_AUTH_ENDPOINT",
        default_value = "/broadcasting/auth"
    )]
    pub auth_endpoint: String,

    /// Seconds one authorization may take before the client gets `subscription_error` 0.
    #[arg(long, env = "SIDECAST_AUTH_TIMEOUT", default_value_t = 5.0, value_parser = seconds)]
    pub auth_timeout: f64,

    /// Authorization requests to the app in flight at once; more wait for a free slot.
    #[arg(long, env = "SIDECAST_AUTH_MAX_IN_FLIGHT", default_value_t = 64,
          value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub auth_max_in_flight: u32,

    /// Accept any TLS certificate from the app. For development with self-signed
    /// certificates only.
    #[arg(long, env = "SIDECAST_AUTH_INSECURE")]
    pub auth_insecure: bool,

    /// Origin of a page allowed to connect (https://app.test); repeat it or separate with
    /// commas. Unset: any page may connect, as with laravel-echo-server.
    #[arg(long = "allowed-origin", env = "SIDECAST_ALLOWED_ORIGINS", value_delimiter = ',',
          value_parser = origin)]
    pub allowed_origins: Vec<String>,

    /// Largest whisper (client event) data, in bytes; larger ones are dropped.
    #[arg(long, env = "SIDECAST_CLIENT_EVENT_MAX_BYTES", default_value_t = 16 * 1024,
          value_parser = clap::value_parser!(u32).range(16..=1024 * 1024))]
    pub client_event_max_bytes: u32,

    /// Whispers one client may send per second on average; more are dropped.
    #[arg(long, env = "SIDECAST_CLIENT_EVENTS_PER_SECOND", default_value_t = 50,
          value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub client_events_per_second: u32,

    /// Whispers one client may send in a burst.
    #[arg(long, env = "SIDECAST_CLIENT_EVENT_BURST", default_value_t = 100,
          value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub client_event_burst: u32,
}

/// An origin as browsers send it: scheme, host and port only, no trailing slash.
fn origin(text: &str) -> Result<String, String> {
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

impl From<StartArgs> for Settings {
    fn from(args: StartArgs) -> Self {
        let socketio = sidecast_socketio::Config {
            max_buffer_size: args.client_buffer as usize,
            max_client_event_bytes: args.client_event_max_bytes as usize,
            client_events_per_second: args.client_events_per_second,
            client_event_burst: args.client_event_burst,
            allowed_origins: args.allowed_origins,
            ..Default::default()
        };
        let auth = sidecast_auth::Config {
            hosts: args.auth_hosts,
            endpoint: args.auth_endpoint,
            timeout: Duration::from_secs_f64(args.auth_timeout),
            max_in_flight: args.auth_max_in_flight as usize,
            verify_tls: !args.auth_insecure,
        };
        Settings {
            http_addr: (args.host, args.port).into(),
            socket_path: args.socket,
            limits: sidecast_wire::Limits {
                max_frame_bytes: args.max_frame_bytes as usize,
            },
            socketio,
            auth,
        }
    }
}
