//! `sidecast stop`: stop the server whose pid the config file's lock holds, or else the one
//! listening at the socket.

use std::process::ExitCode;
use std::time::Duration;

use super::probe::{self, NotFound};
use super::{exit, lock};
use crate::cli::TargetArgs;

/// How long the server has to drain before it is killed.
const GRACE: Duration = Duration::from_secs(5);

pub fn run(args: TargetArgs) -> ExitCode {
    let path = lock::path_for(&args.file.path());
    let pid = if path.exists() {
        let Some(pid) = lock::running_pid(&path) else {
            let _ = std::fs::remove_file(&path);
            eprintln!(
                "No running server to close (removed the stale lock file {}).",
                path.display()
            );
            return ExitCode::from(exit::FAILED);
        };
        pid
    } else {
        match find_by_socket(&args, &path) {
            Ok(pid) => pid,
            Err(message) => {
                eprintln!("Error: {message}");
                return ExitCode::from(exit::FAILED);
            }
        }
    };
    match lock::stop(pid, GRACE) {
        Ok(()) => {
            if path.exists() {
                let _ = std::fs::remove_file(&path);
            }
            println!("Closed the running server (pid {pid}).");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("Error: {error}");
            ExitCode::from(exit::FAILED)
        }
    }
}

fn find_by_socket(args: &TargetArgs, lock: &std::path::Path) -> Result<i32, String> {
    let socket = crate::config::socket_of(args).map_err(|error| error.to_string())?;
    match probe::find(&socket) {
        Ok(found) => Ok(found.pid),
        Err(NotFound::NotListening(why)) => Err(format!(
            "could not find the lock file {}, and {why}: no server to stop",
            lock.display()
        )),
        Err(NotFound::Unknown(why)) => Err(why),
    }
}
