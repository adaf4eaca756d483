//! `sidecast`: the sidecar binary. Each command is a module of `commands`; `start` reads its
//! settings (`config`), binds every listener (`server`), serves until SIGTERM or SIGINT, and
//! exits with a code that says how it ended (see `docs/configuration.md`).

mod cli;
mod commands;
mod config;
mod http;
mod hubs;
mod server;
mod signal;
mod tls;

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command};

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Start(args) => commands::start::run(*args),
        Command::Stop(args) => commands::stop::run(args),
        Command::Init(args) => commands::init::run(args),
        Command::ClientAdd(args) => commands::clients::add(args),
        Command::ClientRemove(args) => commands::clients::remove(args),
        Command::Status(args) => commands::status::run(args),
    }
}

/// Logs go to stderr; `SIDECAST_LOG` takes `RUST_LOG`-style directives. The default is `info`,
/// or `debug` in development mode (`--dev`, `devMode`).
pub(crate) fn init_logging(dev_mode: bool) {
    let default = if dev_mode { "debug" } else { "info" };
    let filter = tracing_subscriber::EnvFilter::try_from_env("SIDECAST_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
}
