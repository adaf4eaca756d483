//! `sidecast start`: read the settings, take the lock, serve until a stop signal.

use std::path::Path;
use std::process::ExitCode;

use super::exit;
use super::lock::{self, Held, Lock};
use crate::cli::StartArgs;
use crate::server::Server;

pub fn run(args: StartArgs) -> ExitCode {
    let loaded = match crate::config::load(&args) {
        Ok(loaded) => loaded,
        Err(error) => {
            eprintln!("Error: {error}");
            return ExitCode::from(exit::FAILED);
        }
    };
    crate::logging::init(
        args.log.as_deref(),
        loaded.dev_mode,
        args.log_format.unwrap_or_default(),
    );
    if let Some(file) = &loaded.file {
        tracing::info!(config = %file.display(), "reading laravel-echo-server settings");
    }
    for notice in &loaded.notices {
        tracing::info!("{notice}");
    }

    // laravel-echo-server's lock: one server per config file.
    let _lock = match &loaded.file {
        Some(file) => match take_lock(
            lock::path_for(file),
            &loaded.settings.socket_path,
            args.force,
        ) {
            Ok(lock) => Some(lock),
            Err(message) => {
                tracing::error!("{message}");
                return ExitCode::from(exit::FAILED);
            }
        },
        None => None,
    };

    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            tracing::error!(%error, "cannot start the async runtime");
            return ExitCode::from(exit::FAILED);
        }
    };
    runtime.block_on(async {
        let server = match Server::bind(loaded.settings).await {
            Ok(server) => server,
            Err(error) => {
                tracing::error!("{error}");
                return ExitCode::from(exit::FAILED);
            }
        };
        match server.run(crate::signal::terminate_or_interrupt()).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                tracing::error!(%error, "sidecast stopped on an error");
                ExitCode::from(exit::SERVE_FAILED)
            }
        }
    })
}

/// Takes the config file's lock; with `force`, stops the server holding it first.
fn take_lock(path: std::path::PathBuf, socket: &Path, force: bool) -> Result<Lock, String> {
    match Lock::acquire(path.clone(), socket) {
        Ok(lock) => Ok(lock),
        Err(Held::Error(message)) => Err(message),
        Err(Held::Running(pid)) if !force => Err(format!(
            "a server is already running from this config (pid {}, lock {}); stop it with `sidecast stop`, or use --force to replace it",
            pid.map_or_else(|| "unknown".to_owned(), |pid| pid.to_string()),
            path.display()
        )),
        Err(Held::Running(None)) => Err(format!(
            "the lock {} is held, but by no pid it names",
            path.display()
        )),
        Err(Held::Running(Some(pid))) => {
            tracing::warn!(pid, "stopping the running server because of --force");
            lock::stop(pid, lock::STOP_GRACE)?;
            Lock::acquire(path, socket).map_err(|held| match held {
                Held::Error(message) => message,
                Held::Running(_) => {
                    "the server stopped with --force still holds the lock".to_owned()
                }
            })
        }
    }
}
