//! The command line. Every option also reads an environment variable, so a container can be
//! configured without a wrapper script.

use std::net::IpAddr;
use std::path::PathBuf;

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
}

impl From<StartArgs> for Settings {
    fn from(args: StartArgs) -> Self {
        let socketio = sidecast_socketio::Config {
            max_buffer_size: args.client_buffer as usize,
            ..Default::default()
        };
        Settings {
            http_addr: (args.host, args.port).into(),
            socket_path: args.socket,
            limits: sidecast_wire::Limits {
                max_frame_bytes: args.max_frame_bytes as usize,
            },
            socketio,
        }
    }
}
