//! `sidecast`: the sidecar binary. Each command is a module of `commands`; `start` reads its
//! settings (`config`), binds every listener (`server`), serves until SIGTERM, SIGINT or
//! SIGHUP, and exits with a code that says how it ended (see `docs/configuration.md`).

mod admin;
mod cli;
mod commands;
mod config;
mod connections;
mod http;
mod hubs;
mod logging;
mod server;
mod shutdown;
mod signal;
mod tls;
mod vitals;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command};

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Start(args) => commands::start::run(*args),
        Command::Stop(args) => commands::stop::run(args),
        Command::Init(args) => commands::init::run(*args),
        Command::ClientAdd(args) => commands::clients::add(args),
        Command::ClientRemove(args) => commands::clients::remove(args),
        Command::Status(args) => commands::status::run(args),
        Command::Health(args) => commands::health::run(args),
    }
}
