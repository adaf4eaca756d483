//! `sidecast stop`: stop the server whose pid the config file's lock holds, or else the one
//! listening at the socket.

use std::path::Path;
use std::process::ExitCode;

use super::exit;
use super::lock::{self, Stopped};
use super::probe::{self, NotFound};
use crate::cli::TargetArgs;

pub fn run(args: TargetArgs) -> ExitCode {
    let path = lock::path_for(&args.file.path());
    let pid = match lock::running_pid(&path) {
        Some(pid) => pid,
        None => {
            if path.exists() {
                let _ = std::fs::remove_file(&path);
                eprintln!(
                    "No running server holds the lock file {}; removed it as stale.",
                    path.display()
                );
            }
            match find_by_socket(&args, &path) {
                Ok(pid) => pid,
                Err(message) => {
                    eprintln!("Error: {message}");
                    return ExitCode::from(exit::FAILED);
                }
            }
        }
    };
    let stopped = lock::stop(pid, lock::STOP_GRACE);
    if path.exists() {
        let _ = std::fs::remove_file(&path);
    }
    match stopped {
        Ok(Stopped::Exited) => {
            println!("Closed the running server (pid {pid}).");
            ExitCode::SUCCESS
        }
        Ok(Stopped::Killed) => {
            eprintln!(
                "The server (pid {pid}) did not stop within {} s of SIGTERM; killed it. Its clients were cut off without a close, and its socket file may be left behind (the next start replaces it).",
                lock::STOP_GRACE.as_secs()
            );
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("Error: {error}");
            ExitCode::from(exit::FAILED)
        }
    }
}

fn find_by_socket(args: &TargetArgs, lock: &Path) -> Result<i32, String> {
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
