//! The lock file beside a config file (`laravel-echo-server.lock` for
//! `laravel-echo-server.json`), holding the running server's pid as laravel-echo-server wrote
//! it: `{"process": <pid>}`. It keeps a second `start` from the same config, lets `stop` find
//! the server, and is removed when the server exits.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

/// The lock file of the config file at `config`.
pub fn path_for(config: &Path) -> PathBuf {
    let stem = config.file_stem().map_or_else(
        || "laravel-echo-server".into(),
        |s| s.to_string_lossy().into_owned(),
    );
    config.with_file_name(format!("{stem}.lock"))
}

/// The pid in a lock file, if it names a running sidecast or laravel-echo-server (a pid that
/// has since been reused by another program does not count).
pub fn running_pid(lock: &Path) -> Option<i32> {
    let text = std::fs::read_to_string(lock).ok()?;
    let pid = serde_json::from_str::<serde_json::Value>(&text)
        .ok()?
        .get("process")?
        .as_i64()? as i32;
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
    let cmdline = String::from_utf8_lossy(&cmdline);
    (pid != std::process::id() as i32
        && (cmdline.contains("sidecast") || cmdline.contains("laravel-echo-server")))
    .then_some(pid)
}

/// Sends SIGTERM to `pid` and waits up to `grace` for it to go; SIGKILL after that.
pub fn stop(pid: i32, grace: Duration) -> Result<(), String> {
    let target = Pid::from_raw(pid);
    kill(target, Signal::SIGTERM).map_err(|e| format!("cannot signal process {pid}: {e}"))?;
    let deadline = Instant::now() + grace;
    while Instant::now() < deadline {
        if !alive(pid) {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = kill(target, Signal::SIGKILL);
    std::thread::sleep(Duration::from_millis(100));
    Ok(())
}

fn alive(pid: i32) -> bool {
    // A zombie still answers kill(0); its /proc status says so.
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|stat| {
            !stat
                .rsplit(')')
                .next()
                .unwrap_or("")
                .trim_start()
                .starts_with('Z')
        })
        .unwrap_or(false)
}

/// This process's claim on a lock file; removed on drop if it is still ours.
#[derive(Debug)]
pub struct Lock {
    path: PathBuf,
}

impl Lock {
    pub fn write(path: PathBuf) -> Result<Self, String> {
        let body = format!("{{\n\t\"process\": {}\n}}", std::process::id());
        std::fs::write(&path, body)
            .map_err(|e| format!("cannot write the lock file {}: {e}", path.display()))?;
        Ok(Lock { path })
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        let ours = std::fs::read_to_string(&self.path)
            .ok()
            .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
            .and_then(|value| value.get("process")?.as_u64())
            == Some(u64::from(std::process::id()));
        if ours {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lock_sits_beside_the_config_with_its_name() {
        assert_eq!(
            path_for(Path::new("app/laravel-echo-server.json")),
            PathBuf::from("app/laravel-echo-server.lock")
        );
        assert_eq!(
            path_for(Path::new("./echo.json")),
            PathBuf::from("./echo.lock")
        );
    }

    #[test]
    fn a_lock_naming_a_dead_or_foreign_process_is_not_running() {
        let dir = std::env::temp_dir().join(format!("sidecast-lock-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let lock = dir.join("x.lock");
        std::fs::write(&lock, "{\"process\": 1}").unwrap();
        assert_eq!(running_pid(&lock), None, "pid 1 is not a sidecast");
        std::fs::write(&lock, "not json").unwrap();
        assert_eq!(running_pid(&lock), None);
        {
            let _held = Lock::write(lock.clone()).unwrap();
            assert!(lock.exists());
        }
        assert!(!lock.exists(), "removed when dropped");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
