//! `sidecast start`: read the settings, take the lock, serve until a stop signal.

use std::process::ExitCode;
use std::time::Duration;

use super::exit;
use super::lock::{self, Lock};
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
    crate::init_logging(loaded.dev_mode);
    if let Some(file) = &loaded.file {
        tracing::info!(config = %file.display(), "reading laravel-echo-server settings");
    }
    for notice in &loaded.notices {
        tracing::info!("{notice}");
    }

    // laravel-echo-server's lock: one server per config file.
    let _lock = match &loaded.file {
        Some(file) => {
            let path = lock::path_for(file);
            if let Some(pid) = lock::running_pid(&path) {
                if !args.force {
                    tracing::error!(
                        pid,
                        lock = %path.display(),
                        "a server is already running from this config; stop it with `sidecast stop`, or use --force to replace it"
                    );
                    return ExitCode::from(exit::FAILED);
                }
                tracing::warn!(pid, "stopping the running server because of --force");
                if let Err(error) = lock::stop(pid, Duration::from_secs(5)) {
                    tracing::error!("{error}");
                    return ExitCode::from(exit::FAILED);
                }
            }
            match Lock::write(path) {
                Ok(lock) => Some(lock),
                Err(error) => {
                    tracing::error!("{error}");
                    return ExitCode::from(exit::FAILED);
                }
            }
        }
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
