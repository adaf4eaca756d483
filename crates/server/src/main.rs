//! `sidecast`: the sidecar binary. Reads the command line, binds both listeners, serves until
//! SIGTERM or SIGINT, and exits with a code that says how it ended (see `docs/configuration.md`).

mod cli;
mod http;
mod server;
mod signal;

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command};
use crate::server::Server;

/// Could not start: a listener could not be bound, or the runtime could not be created.
const EXIT_START_FAILED: u8 = 1;
/// Started, then failed while serving.
const EXIT_SERVE_FAILED: u8 = 3;

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging();
    let Command::Start(settings) = cli.command;

    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            tracing::error!(%error, "cannot start the async runtime");
            return ExitCode::from(EXIT_START_FAILED);
        }
    };
    runtime.block_on(async {
        let server = match Server::bind(settings.into()).await {
            Ok(server) => server,
            Err(error) => {
                tracing::error!("{error}");
                return ExitCode::from(EXIT_START_FAILED);
            }
        };
        match server.run(signal::terminate_or_interrupt()).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                tracing::error!(%error, "sidecast stopped on an error");
                ExitCode::from(EXIT_SERVE_FAILED)
            }
        }
    })
}

/// Logs go to stderr; `SIDECAST_LOG` takes `RUST_LOG`-style directives (default `info`).
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("SIDECAST_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
}
