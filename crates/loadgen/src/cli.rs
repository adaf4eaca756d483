//! The command line: `sidecast-loadgen run …` and the scenario presets, each turned into
//! one [`Plan`] per run ([`runs`]); the presence scenario ([`presence`]); the floor.
//! Options every run shares are here.

mod presence;
mod runs;

use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::client::Transport;
use crate::floor::Floor;
use crate::ingest::Target;
use crate::nodes::Nodes;
use crate::protocol::{Eio, Protocol};
use crate::run::Plan;

pub use presence::PresenceArgs;
pub use runs::{ChannelsArgs, ChurnArgs, FanoutArgs, IdleArgs, RunArgs};

#[derive(Debug, Parser)]
#[command(
    name = "sidecast-loadgen",
    version,
    about = "Load generator for Laravel Echo servers (sidecast, laravel-echo-server, Pusher-protocol servers): real socket.io or Pusher clients over WebSocket, stamped events through a chosen ingest path, per-delivery latency, losses, and the server's CPU and memory."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Connect the clients, publish at a fixed rate for a fixed time, and report.
    Run(RunArgs),
    /// Named presets of the benchmark scenarios.
    #[command(subcommand)]
    Scenario(Scenario),
    /// Presence across the nodes of a cluster: join-to-joining latency seen from the joiner's
    /// node and from the others, and the leavings of members whose node dies.
    Presence(PresenceArgs),
    /// The machine's floor: the CPU one write per delivery costs, writing a frame to each of N
    /// loopback connections with no server at all.
    Floor(FloorArgs),
    /// A worker process of a run spread over several (`--processes`): started by the run,
    /// which gives it its share of the clients on stdin.
    #[command(hide = true)]
    Worker,
}

#[derive(Debug, Subcommand)]
pub enum Scenario {
    /// (A) Fan-out: all clients on one channel, the publish rate raised step by step (fresh
    /// connections each step) until p99 exceeds the limit or a delivery goes missing.
    Fanout(FanoutArgs),
    /// (B) Many channels: one client on each channel, events spread over them round-robin.
    Channels(ChannelsArgs),
    /// (C) Idle memory: connect and subscribe the clients on one channel, hold them idle,
    /// and report the server's RSS per connection.
    Idle(IdleArgs),
    /// (D) Churn: stable clients receive events while visitors connect at a fixed rate,
    /// subscribe, stay a short time and leave; the stable clients must lose nothing.
    Churn(ChurnArgs),
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum EioArg {
    /// socket.io 2 (laravel-echo-server).
    #[value(name = "3")]
    V3,
    /// socket.io 3 and 4.
    #[value(name = "4")]
    V4,
}

impl From<EioArg> for Eio {
    fn from(eio: EioArg) -> Self {
        match eio {
            EioArg::V3 => Eio::V3,
            EioArg::V4 => Eio::V4,
        }
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum TransportArg {
    /// Straight to a WebSocket (Echo with `transports: ['websocket']`).
    #[value(name = "websocket")]
    WebSocket,
    /// HTTP long polling first, then upgraded to a WebSocket (socket.io-client's default).
    #[value(name = "polling-upgrade")]
    PollingUpgrade,
}

impl From<TransportArg> for Transport {
    fn from(transport: TransportArg) -> Self {
        match transport {
            TransportArg::WebSocket => Transport::WebSocket,
            TransportArg::PollingUpgrade => Transport::PollingUpgrade,
        }
    }
}

/// The server under test, how to reach it, and the limits every run keeps.
#[derive(Debug, Args)]
pub struct ServerArgs {
    /// The server's HTTP base URL; clients connect to <URL>/socket.io/ (socket.io) or
    /// <URL>/app/KEY (Pusher) over WebSocket. Several
    /// (repeated, or comma-separated) for the nodes of a cluster: client i connects to the
    /// (i mod N)th.
    #[arg(long = "url", required = true, value_delimiter = ',')]
    pub urls: Vec<String>,

    /// Which URL, counted from 0, is the node the ingest path feeds: its clients' deliveries
    /// are reported apart from the other nodes'.
    #[arg(long, default_value_t = 0)]
    pub ingest_node: usize,

    /// Engine.IO protocol revision the clients speak.
    #[arg(long, value_enum, default_value = "4")]
    pub eio: EioArg,

    /// The clients speak the Pusher protocol (7, as pusher-js 8 and Echo's `reverb`
    /// broadcaster do) to the app with this key, instead of socket.io.
    #[arg(long, value_name = "APP_KEY", conflicts_with = "eio")]
    pub pusher_key: Option<String>,

    /// How clients reach their WebSocket (Pusher clients: websocket only).
    #[arg(long, value_enum, default_value = "websocket")]
    pub transport: TransportArg,

    /// Where events go in: unix:/path/to/sidecast.sock, http://host:port/apps/APP_ID?key=KEY,
    /// or redis://host:port/PREFIX.
    #[arg(long)]
    pub ingest: Target,

    /// The server's pid, to sample its memory and CPU time from /proc; several (repeated, or
    /// comma-separated) for the nodes of a cluster, whose memory and CPU time are added up.
    #[arg(long, value_delimiter = ',')]
    pub server_pid: Vec<u32>,

    /// WebSocket handshakes in flight at once.
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub connect_concurrency: u32,

    /// Seconds for all clients to connect.
    #[arg(long, default_value_t = 30.0, value_parser = positive)]
    pub connect_timeout: f64,

    /// Seconds for every connected client to show it is subscribed.
    #[arg(long, default_value_t = 10.0, value_parser = positive)]
    pub ready_timeout: f64,

    /// Seconds to wait for deliveries after the last publish.
    #[arg(long, default_value_t = 5.0, value_parser = positive)]
    pub drain_timeout: f64,

    /// Processes to spread the clients over: this one (which also publishes) and N - 1
    /// workers. For more connections than one process may open, or more cores than one
    /// process keeps busy.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=64))]
    pub processes: u32,

    /// Report the clients that went this many milliseconds or more without an event, and when
    /// by the wall clock: for a bench that takes something away under a steady run.
    #[arg(long, value_parser = rate_above_zero)]
    pub silence_ms: Option<f64>,

    /// Print one JSON object instead of the summary.
    #[arg(long)]
    pub json: bool,
}

/// What one run loads the server with.
#[derive(Debug, Clone, Copy)]
pub struct Load {
    pub clients: u32,
    pub channels: u32,
    pub rate: f64,
    pub duration: f64,
    pub padding: usize,
}

impl ServerArgs {
    /// The run, or why the nodes make no sense.
    pub fn plan(&self, load: Load) -> Result<Plan, String> {
        let protocol = match &self.pusher_key {
            Some(app_key) => Protocol::Pusher {
                app_key: app_key.clone(),
            },
            None => Protocol::SocketIo(self.eio.into()),
        };
        if matches!(self.transport, TransportArg::PollingUpgrade) && !protocol.has_polling() {
            return Err("--transport polling-upgrade is socket.io's; Pusher clients connect over WebSocket only".into());
        }
        Ok(Plan {
            nodes: Nodes::new(self.urls.clone(), self.ingest_node)?,
            protocol,
            transport: self.transport.into(),
            clients: load.clients as usize,
            channels: load.channels as usize,
            target: self.ingest.clone(),
            rate: load.rate,
            duration: Duration::from_secs_f64(load.duration),
            padding: load.padding,
            server_pids: self.server_pid.clone(),
            connect_concurrency: self.connect_concurrency as usize,
            connect_timeout: Duration::from_secs_f64(self.connect_timeout),
            ready_timeout: Duration::from_secs_f64(self.ready_timeout),
            drain_timeout: Duration::from_secs_f64(self.drain_timeout),
            churn: None,
            processes: self.processes as usize,
            silence_threshold: self
                .silence_ms
                .map(|ms| Duration::from_secs_f64(ms / 1000.0)),
        })
    }
}

#[derive(Debug, Args)]
pub struct FloorArgs {
    /// Loopback TCP connections, each written to once per event.
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub connections: u32,

    /// Events per second.
    #[arg(long, default_value_t = 100.0, value_parser = rate_above_zero)]
    pub rate: f64,

    /// Seconds of writing.
    #[arg(long, default_value_t = 5.0, value_parser = positive)]
    pub duration: f64,

    /// Bytes per WebSocket frame, header included (76 is the size of a benchmark tick as a
    /// server sends it to an EIO=3 client: `42["Tick","loadgen.0",{"seq":…,"sent_ns":…,"socket":null}]`).
    #[arg(long, default_value_t = 76)]
    pub frame_bytes: usize,

    /// Print one JSON object instead of the summary.
    #[arg(long)]
    pub json: bool,
}

impl FloorArgs {
    pub fn floor(&self) -> Floor {
        Floor {
            connections: self.connections as usize,
            rate: self.rate,
            duration: Duration::from_secs_f64(self.duration),
            frame_bytes: self.frame_bytes,
        }
    }
}

pub(crate) fn non_negative(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(value) if value.is_finite() && value >= 0.0 => Ok(value),
        _ => Err(format!("expected a number ≥ 0, found {text:?}")),
    }
}

pub(crate) fn rate_above_zero(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(value) if value.is_finite() && value > 0.0 => Ok(value),
        _ => Err(format!("expected a number above 0, found {text:?}")),
    }
}

pub(crate) fn positive(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(value) if value.is_finite() && value > 0.0 && value <= 86_400.0 => Ok(value),
        _ => Err(format!(
            "expected a number of seconds above 0 and at most 86400, found {text:?}"
        )),
    }
}

#[cfg(test)]
mod tests;
