//! `sidecast stop`: stop the server whose pid the config file's lock holds.

use std::process::ExitCode;
use std::time::Duration;

use super::{exit, lock};
use crate::cli::FileArgs;

pub fn run(args: FileArgs) -> ExitCode {
    let path = lock::path_for(&args.path());
    if !path.exists() {
        eprintln!(
            "Error: could not find the lock file {}; no server was started from this config",
            path.display()
        );
        return ExitCode::from(exit::FAILED);
    }
    let Some(pid) = lock::running_pid(&path) else {
        let _ = std::fs::remove_file(&path);
        eprintln!(
            "No running server to close (removed the stale lock file {}).",
            path.display()
        );
        return ExitCode::from(exit::FAILED);
    };
    match lock::stop(pid, Duration::from_secs(5)) {
        Ok(()) => {
            let _ = std::fs::remove_file(&path);
            println!("Closed the running server (pid {pid}).");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("Error: {error}");
            ExitCode::from(exit::FAILED)
        }
    }
}
