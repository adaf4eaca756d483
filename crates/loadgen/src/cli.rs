//! The command line: `sidecast-loadgen run …` and the scenario presets, each turned into
//! one [`Plan`] per run.

use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::churn::Churn;
use crate::client::Transport;
use crate::floor::Floor;
use crate::ingest::Target;
use crate::protocol::Eio;
use crate::run::Plan;

#[derive(Debug, Parser)]
#[command(
    name = "sidecast-loadgen",
    version,
    about = "Load generator for Laravel Echo socket.io servers (sidecast, laravel-echo-server): real WebSocket clients, stamped events through a chosen ingest path, per-delivery latency, losses, and the server's CPU and memory."
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

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum TransportArg {
    /// Straight to a WebSocket (Echo with `transports: ['websocket']`).
    #[value(name = "websocket")]
    WebSocket,
    /// HTTP long polling first, then upgraded to a WebSocket (socket.io-client's default).
    #[value(name = "polling-upgrade")]
    PollingUpgrade,
}

/// The server under test, how to reach it, and the limits every run keeps.
#[derive(Debug, Args)]
pub struct ServerArgs {
    /// The server's HTTP base URL; clients connect to <URL>/socket.io/ over WebSocket.
    #[arg(long)]
    pub url: String,

    /// Engine.IO protocol revision the clients speak.
    #[arg(long, value_enum, default_value = "4")]
    pub eio: EioArg,

    /// How clients reach their WebSocket.
    #[arg(long, value_enum, default_value = "websocket")]
    pub transport: TransportArg,

    /// Where events go in: unix:/path/to/sidecast.sock, http://host:port/apps/APP_ID?key=KEY,
    /// or redis://host:port/PREFIX.
    #[arg(long)]
    pub ingest: Target,

    /// The server's pid, to sample its memory and CPU time from /proc.
    #[arg(long)]
    pub server_pid: Option<u32>,

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
    pub fn plan(&self, load: Load) -> Plan {
        Plan {
            url: self.url.clone(),
            eio: match self.eio {
                EioArg::V3 => Eio::V3,
                EioArg::V4 => Eio::V4,
            },
            transport: match self.transport {
                TransportArg::WebSocket => Transport::WebSocket,
                TransportArg::PollingUpgrade => Transport::PollingUpgrade,
            },
            clients: load.clients as usize,
            channels: load.channels as usize,
            target: self.ingest.clone(),
            rate: load.rate,
            duration: Duration::from_secs_f64(load.duration),
            padding: load.padding,
            server_pid: self.server_pid,
            connect_concurrency: self.connect_concurrency as usize,
            connect_timeout: Duration::from_secs_f64(self.connect_timeout),
            ready_timeout: Duration::from_secs_f64(self.ready_timeout),
            drain_timeout: Duration::from_secs_f64(self.drain_timeout),
            churn: None,
            processes: self.processes as usize,
        }
    }
}

#[derive(Debug, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub server: ServerArgs,

    /// WebSocket clients, each subscribed to one channel.
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub clients: u32,

    /// Public channels `loadgen.0` … ; client i listens on channel i mod CHANNELS.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub channels: u32,

    /// Events per second, over all channels (round-robin); 0 holds the clients idle.
    #[arg(long, default_value_t = 10.0, value_parser = non_negative)]
    pub rate: f64,

    /// Seconds of publishing (or of idling at rate 0).
    #[arg(long, default_value_t = 5.0, value_parser = positive)]
    pub duration: f64,

    /// Bytes of filler in each event's data.
    #[arg(long, default_value_t = 0)]
    pub padding: usize,
}

impl RunArgs {
    pub fn plan(&self) -> Plan {
        self.server.plan(Load {
            clients: self.clients,
            channels: self.channels,
            rate: self.rate,
            duration: self.duration,
            padding: self.padding,
        })
    }
}

#[derive(Debug, Args)]
pub struct FanoutArgs {
    #[command(flatten)]
    pub server: ServerArgs,

    /// Subscribers of the one channel.
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub clients: u32,

    /// Publish rates to try, in events per second, in this order.
    #[arg(long, value_delimiter = ',', default_value = "10,20,50,100,200,500", value_parser = rate_above_zero)]
    pub rates: Vec<f64>,

    /// Seconds of publishing per step.
    #[arg(long, default_value_t = 5.0, value_parser = positive)]
    pub step_duration: f64,

    /// A step is sustained when its p99 latency is at most this many milliseconds and
    /// every delivery arrived exactly once.
    #[arg(long, default_value_t = 50.0, value_parser = rate_above_zero)]
    pub p99_ms: f64,

    /// Bytes of filler in each event's data.
    #[arg(long, default_value_t = 0)]
    pub padding: usize,
}

impl FanoutArgs {
    /// One plan per rate, in order.
    pub fn plans(&self) -> Vec<Plan> {
        self.rates
            .iter()
            .map(|&rate| {
                self.server.plan(Load {
                    clients: self.clients,
                    channels: 1,
                    rate,
                    duration: self.step_duration,
                    padding: self.padding,
                })
            })
            .collect()
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

#[derive(Debug, Args)]
pub struct ChannelsArgs {
    #[command(flatten)]
    pub server: ServerArgs,

    /// Channels, each with one subscriber.
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub channels: u32,

    /// Events per second over all channels (round-robin).
    #[arg(long, default_value_t = 2000.0, value_parser = rate_above_zero)]
    pub rate: f64,

    /// Seconds of publishing.
    #[arg(long, default_value_t = 10.0, value_parser = positive)]
    pub duration: f64,

    /// Bytes of filler in each event's data.
    #[arg(long, default_value_t = 0)]
    pub padding: usize,
}

impl ChannelsArgs {
    pub fn plan(&self) -> Plan {
        self.server.plan(Load {
            clients: self.channels,
            channels: self.channels,
            rate: self.rate,
            duration: self.duration,
            padding: self.padding,
        })
    }
}

#[derive(Debug, Args)]
pub struct IdleArgs {
    #[command(flatten)]
    pub server: ServerArgs,

    /// Connections to hold.
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub clients: u32,

    /// Seconds to hold them idle once all are subscribed.
    #[arg(long, default_value_t = 10.0, value_parser = positive)]
    pub duration: f64,
}

impl IdleArgs {
    pub fn plan(&self) -> Plan {
        self.server.plan(Load {
            clients: self.clients,
            channels: 1,
            rate: 0.0,
            duration: self.duration,
            padding: 0,
        })
    }
}

#[derive(Debug, Args)]
pub struct ChurnArgs {
    #[command(flatten)]
    pub server: ServerArgs,

    /// Stable clients, connected for the whole run; client i on channel i mod CHANNELS.
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub clients: u32,

    /// Public channels shared by the stable clients and the visitors.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub channels: u32,

    /// Events per second over all channels.
    #[arg(long, default_value_t = 20.0, value_parser = non_negative)]
    pub rate: f64,

    /// Seconds of publishing, and of starting visits.
    #[arg(long, default_value_t = 10.0, value_parser = positive)]
    pub duration: f64,

    /// Visits started per second; visit n goes to channel n mod CHANNELS.
    #[arg(long, default_value_t = 20.0, value_parser = rate_above_zero)]
    pub churn_rate: f64,

    /// Shortest stay of a visitor once subscribed, in seconds.
    #[arg(long, default_value_t = 0.1, value_parser = non_negative)]
    pub stay_min: f64,

    /// Longest stay of a visitor once subscribed, in seconds.
    #[arg(long, default_value_t = 1.0, value_parser = non_negative)]
    pub stay_max: f64,

    /// Seconds for a visitor to receive its first event after connecting.
    #[arg(long, default_value_t = 5.0, value_parser = positive)]
    pub subscribe_timeout: f64,

    /// Bytes of filler in each event's data.
    #[arg(long, default_value_t = 0)]
    pub padding: usize,
}

impl ChurnArgs {
    /// The run, or why the stays make no sense.
    pub fn plan(&self) -> Result<Plan, String> {
        if self.stay_min > self.stay_max {
            return Err(format!(
                "--stay-min {} is above --stay-max {}",
                self.stay_min, self.stay_max
            ));
        }
        let mut plan = self.server.plan(Load {
            clients: self.clients,
            channels: self.channels,
            rate: self.rate,
            duration: self.duration,
            padding: self.padding,
        });
        plan.churn = Some(Churn {
            rate: self.churn_rate,
            stay_min: Duration::from_secs_f64(self.stay_min),
            stay_max: Duration::from_secs_f64(self.stay_max),
            subscribe_timeout: Duration::from_secs_f64(self.subscribe_timeout),
        });
        Ok(plan)
    }
}

fn non_negative(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(value) if value.is_finite() && value >= 0.0 => Ok(value),
        _ => Err(format!("expected a number ≥ 0, found {text:?}")),
    }
}

fn rate_above_zero(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(value) if value.is_finite() && value > 0.0 => Ok(value),
        _ => Err(format!("expected a number above 0, found {text:?}")),
    }
}

fn positive(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(value) if value.is_finite() && value > 0.0 && value <= 86_400.0 => Ok(value),
        _ => Err(format!(
            "expected a number of seconds above 0 and at most 86400, found {text:?}"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(["sidecast-loadgen", "run"].iter().chain(args))
    }

    #[test]
    fn a_full_command_line_becomes_a_plan() {
        let cli = parse(&[
            "--url",
            "http://127.0.0.1:6001",
            "--eio",
            "3",
            "--clients",
            "1000",
            "--channels",
            "4",
            "--ingest",
            "unix:/tmp/s.sock",
            "--rate",
            "100",
            "--duration",
            "10",
            "--server-pid",
            "42",
            "--json",
        ])
        .unwrap();
        let Command::Run(args) = cli.command else {
            panic!("not a run: {:?}", cli.command)
        };
        assert!(args.server.json);
        let plan = args.plan();
        assert_eq!(plan.eio, Eio::V3);
        assert_eq!(plan.transport, Transport::WebSocket);
        assert_eq!(
            (plan.clients, plan.channels, plan.server_pid),
            (1000, 4, Some(42))
        );
        assert_eq!(plan.target, Target::Unix("/tmp/s.sock".into()));
        assert_eq!(plan.events(), 1000);
        assert_eq!(plan.duration, Duration::from_secs(10));
    }

    #[test]
    fn nonsense_is_refused() {
        let base = ["--url", "http://127.0.0.1:1", "--ingest", "unix:/s"];
        for extra in [
            &["--eio", "5"][..],
            &["--clients", "0"],
            &["--rate", "-1"],
            &["--duration", "0"],
            &["--duration", "NaN"],
            &["--ingest", "ftp://x"],
            &["--transport", "polling"],
        ] {
            let args: Vec<&str> = base.iter().chain(extra).copied().collect();
            assert!(parse(&args).is_err(), "{extra:?} was accepted");
        }
    }

    #[test]
    fn the_fanout_preset_steps_through_its_rates_on_one_channel() {
        let cli = Cli::try_parse_from([
            "sidecast-loadgen",
            "scenario",
            "fanout",
            "--url",
            "http://127.0.0.1:1",
            "--ingest",
            "unix:/s",
            "--clients",
            "5000",
            "--rates",
            "20,40",
            "--step-duration",
            "3",
        ])
        .unwrap();
        let Command::Scenario(Scenario::Fanout(args)) = cli.command else {
            panic!("not fanout: {:?}", cli.command)
        };
        assert_eq!(args.p99_ms, 50.0);
        let plans = args.plans();
        assert_eq!(plans.len(), 2);
        assert_eq!(
            plans
                .iter()
                .map(|p| (p.clients, p.channels, p.rate, p.events()))
                .collect::<Vec<_>>(),
            [(5000, 1, 20.0, 60), (5000, 1, 40.0, 120)]
        );
        let default = Cli::try_parse_from([
            "sidecast-loadgen",
            "scenario",
            "fanout",
            "--url",
            "u",
            "--ingest",
            "unix:/s",
        ])
        .unwrap();
        let Command::Scenario(Scenario::Fanout(args)) = default.command else {
            panic!("not fanout")
        };
        assert_eq!(args.rates, [10.0, 20.0, 50.0, 100.0, 200.0, 500.0]);
        assert!(
            Cli::try_parse_from([
                "sidecast-loadgen",
                "scenario",
                "fanout",
                "--url",
                "u",
                "--ingest",
                "unix:/s",
                "--rates",
                "10,0",
            ])
            .is_err()
        );
    }

    #[test]
    fn the_churn_preset_adds_visitors_to_a_run() {
        let churn = |extra: &[&str]| {
            let base = [
                "sidecast-loadgen",
                "scenario",
                "churn",
                "--url",
                "u",
                "--ingest",
                "unix:/s",
            ];
            Cli::try_parse_from(base.iter().chain(extra)).map(|cli| match cli.command {
                Command::Scenario(Scenario::Churn(args)) => args.plan(),
                other => panic!("not churn: {other:?}"),
            })
        };
        let plan = churn(&[
            "--clients",
            "50",
            "--channels",
            "5",
            "--duration",
            "2",
            "--churn-rate",
            "30",
            "--stay-min",
            "0.2",
            "--stay-max",
            "0.5",
        ])
        .unwrap()
        .unwrap();
        assert_eq!((plan.clients, plan.channels, plan.rate), (50, 5, 20.0));
        let visitors = plan.churn.unwrap();
        assert_eq!(visitors.visits(plan.duration), 60);
        assert_eq!(
            (
                visitors.stay_min,
                visitors.stay_max,
                visitors.subscribe_timeout
            ),
            (
                Duration::from_millis(200),
                Duration::from_millis(500),
                Duration::from_secs(5)
            )
        );
        assert!(plan.peak_connections() > 50);
        let backwards = churn(&["--stay-min", "2", "--stay-max", "1"]).unwrap();
        assert_eq!(backwards.unwrap_err(), "--stay-min 2 is above --stay-max 1");
        assert!(churn(&["--churn-rate", "0"]).is_err());
    }

    #[test]
    fn the_channels_preset_gives_each_channel_one_subscriber() {
        let cli = Cli::try_parse_from([
            "sidecast-loadgen",
            "scenario",
            "channels",
            "--url",
            "u",
            "--ingest",
            "unix:/s",
            "--channels",
            "500",
            "--processes",
            "2",
        ])
        .unwrap();
        let Command::Scenario(Scenario::Channels(args)) = cli.command else {
            panic!("not channels: {:?}", cli.command)
        };
        let plan = args.plan();
        assert_eq!(
            (plan.clients, plan.channels, plan.rate, plan.events()),
            (500, 500, 2000.0, 20_000)
        );
        assert_eq!((plan.processes, plan.peak_connections()), (2, 250));
    }

    #[test]
    fn the_idle_preset_publishes_nothing() {
        let cli = Cli::try_parse_from([
            "sidecast-loadgen",
            "scenario",
            "idle",
            "--url",
            "u",
            "--ingest",
            "unix:/s",
            "--clients",
            "10000",
            "--duration",
            "30",
            "--transport",
            "polling-upgrade",
        ])
        .unwrap();
        let Command::Scenario(Scenario::Idle(args)) = cli.command else {
            panic!("not idle: {:?}", cli.command)
        };
        let plan = args.plan();
        assert_eq!(
            (plan.clients, plan.channels, plan.rate, plan.events()),
            (10000, 1, 0.0, 0)
        );
        assert_eq!(plan.duration, Duration::from_secs(30));
        assert_eq!(plan.transport, Transport::PollingUpgrade);
    }
}
