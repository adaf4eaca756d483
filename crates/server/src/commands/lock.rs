//! The lock file beside a config file (`laravel-echo-server.lock` for
//! `laravel-echo-server.json`), holding the running server's pid as laravel-echo-server wrote
//! it: `{"process": <pid>}`. It keeps a second `start` from the same config, lets `stop` find
//! the server, and is removed when the server exits.
//!
//! The running server also holds an exclusive `flock` on the file for its whole life. "Locked"
//! is what says a sidecast is running — not the pid alone, which may have been reused by
//! another program since a crash or a reboot. A lock file of laravel-echo-server itself (which
//! never locked it) counts as running while its pid is a live laravel-echo-server, so that
//! `--force` and `stop` replace it as they did.
//!
//! The file is never opened through a symbolic link: a link planted where the lock goes (in a
//! directory another user can write to) would otherwise make `start` overwrite its target.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::fcntl::{Flock, FlockArg};
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

/// This process's hold on a lock file; released and removed on drop.
#[derive(Debug)]
pub struct Lock {
    path: PathBuf,
    file: Flock<File>,
}

/// Why the lock could not be taken.
#[derive(Debug)]
pub enum Held {
    /// A running server holds it (its pid, when readable).
    Running(Option<i32>),
    Error(String),
}

impl Lock {
    /// Takes the lock, writing this process's pid into the file, and the socket it listens at
    /// (laravel-echo-server reads only the pid), for `status` and `health`.
    pub fn acquire(path: PathBuf, socket: &Path) -> Result<Self, Held> {
        let cannot = |e: std::io::Error| {
            Held::Error(format!("cannot use the lock file {}: {e}", path.display()))
        };
        if let Some(pid) = live_laravel_echo_server(&path) {
            return Err(Held::Running(Some(pid)));
        }
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o644)
            .custom_flags(NO_FOLLOW_NO_WAIT)
            .open(&path)
            .map_err(|error| match error.raw_os_error() {
                Some(nix::libc::ELOOP) => Held::Error(format!(
                    "the lock file {} is a symbolic link; refusing to follow it (remove it, or use a config file in a directory only you can write to)",
                    path.display()
                )),
                _ => cannot(error),
            })?;
        if !file.metadata().map_err(cannot)?.is_file() {
            return Err(Held::Error(format!(
                "the lock file {} is not a regular file",
                path.display()
            )));
        }
        let mut file = match Flock::lock(file, FlockArg::LockExclusiveNonblock) {
            Ok(locked) => locked,
            Err((_, Errno::EWOULDBLOCK)) => return Err(Held::Running(running_pid(&path))),
            Err((_, errno)) => return Err(cannot(errno.into())),
        };
        let body = serde_json::to_string_pretty(&serde_json::json!({
            "process": std::process::id(),
            "socket": socket,
        }))
        .map_err(|error| cannot(error.into()))?;
        file.set_len(0)
            .and_then(|()| file.rewind())
            .and_then(|()| file.write_all(body.as_bytes()))
            .map_err(cannot)?;
        Ok(Lock { path, file })
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        // Removed while still locked, so no other server can be between taking it and us
        // removing it.
        let _ = std::fs::remove_file(&self.path);
        let _ = &self.file;
    }
}

/// The pid of the server holding the lock file, if one is running.
pub fn running_pid(lock: &Path) -> Option<i32> {
    if let Some(pid) = live_laravel_echo_server(lock) {
        return Some(pid);
    }
    let file = open_for_reading(lock)?;
    match Flock::lock(file, FlockArg::LockSharedNonblock) {
        // Nobody holds it: whatever pid it names is not running.
        Ok(_) => None,
        Err((mut file, Errno::EWOULDBLOCK)) => {
            // The holder writes its pid right after locking; give it a moment.
            let deadline = Instant::now() + Duration::from_millis(500);
            loop {
                if let Some(pid) = pid_in(&mut file) {
                    return Some(pid);
                }
                if Instant::now() > deadline {
                    return None;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        Err(_) => None,
    }
}

/// Never through a symbolic link, and never waiting: a FIFO planted where the lock goes would
/// hang an open for reading until someone writes to it.
const NO_FOLLOW_NO_WAIT: i32 = nix::libc::O_NOFOLLOW | nix::libc::O_NONBLOCK;

/// The lock file, if it is one: a regular file, not reached through a symbolic link.
fn open_for_reading(lock: &Path) -> Option<File> {
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(NO_FOLLOW_NO_WAIT)
        .open(lock)
        .ok()?;
    file.metadata().ok()?.is_file().then_some(file)
}

fn pid_in(file: &mut File) -> Option<i32> {
    i32::try_from(lock_json(file)?.get("process")?.as_i64()?).ok()
}

fn lock_json(file: &mut File) -> Option<serde_json::Value> {
    let mut text = String::new();
    file.rewind().ok()?;
    file.read_to_string(&mut text).ok()?;
    serde_json::from_str(&text).ok()
}

/// The socket the sidecar holding `lock` listens at, if it is running and wrote it.
pub fn running_socket(lock: &Path) -> Option<PathBuf> {
    running_pid(lock)?;
    let socket = lock_json(&mut open_for_reading(lock)?)?;
    Some(PathBuf::from(socket.get("socket")?.as_str()?))
}

/// laravel-echo-server's own lock: its pid, if that process is a live laravel-echo-server.
fn live_laravel_echo_server(lock: &Path) -> Option<i32> {
    let pid = pid_in(&mut open_for_reading(lock)?)?;
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
    (alive(pid) && String::from_utf8_lossy(&cmdline).contains("laravel-echo-server")).then_some(pid)
}

/// How long `stop` and `start --force` give a server to exit on SIGTERM before killing it:
/// the longest a sidecar takes (10 s taking PHP's last events, 3 s closing its clients) and a
/// margin.
pub const STOP_GRACE: Duration = Duration::from_secs(15);

/// How a stopped server went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stopped {
    /// It exited on SIGTERM, within the grace period.
    Exited,
    /// It was still running after the grace period and was killed.
    Killed,
}

/// Sends SIGTERM to `pid` and waits up to `grace` for it to go; SIGKILL after that.
pub fn stop(pid: i32, grace: Duration) -> Result<Stopped, String> {
    let target = Pid::from_raw(pid);
    kill(target, Signal::SIGTERM).map_err(|e| format!("cannot signal process {pid}: {e}"))?;
    let deadline = Instant::now() + grace;
    while Instant::now() < deadline {
        if !alive(pid) {
            return Ok(Stopped::Exited);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = kill(target, Signal::SIGKILL);
    std::thread::sleep(Duration::from_millis(100));
    Ok(Stopped::Killed)
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
    fn only_a_held_lock_means_running_whatever_pid_the_file_names() {
        let dir = tempfile::tempdir().unwrap();
        let lock = dir.path().join("x.lock");
        // A file left by a crash, naming a live process (this one): not running.
        std::fs::write(&lock, format!("{{\"process\": {}}}", std::process::id())).unwrap();
        assert_eq!(running_pid(&lock), None);
        std::fs::write(&lock, "not json").unwrap();
        assert_eq!(running_pid(&lock), None);

        assert_eq!(running_socket(&lock), None);

        let socket = Path::new("/run/app/sidecast.sock");
        let held = Lock::acquire(lock.clone(), socket).unwrap();
        assert_eq!(running_pid(&lock), Some(std::process::id() as i32));
        assert_eq!(running_socket(&lock).as_deref(), Some(socket));
        assert!(matches!(
            Lock::acquire(lock.clone(), socket),
            Err(Held::Running(Some(_)))
        ));
        drop(held);
        assert!(!lock.exists(), "removed when released");
        assert_eq!(running_pid(&lock), None);
    }

    #[test]
    fn a_symbolic_link_where_the_lock_goes_is_refused_and_its_target_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("precious");
        std::fs::write(&target, "keep me").unwrap();
        let lock = dir.path().join("x.lock");
        std::os::unix::fs::symlink(&target, &lock).unwrap();
        let Err(Held::Error(why)) = Lock::acquire(lock.clone(), Path::new("s.sock")) else {
            panic!("a symlinked lock was taken");
        };
        assert!(why.contains("symbolic link"), "{why}");
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep me");
        assert_eq!(running_pid(&lock), None);

        let fifo = dir.path().join("fifo.lock");
        nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::S_IRWXU).unwrap();
        let Err(Held::Error(why)) = Lock::acquire(fifo, Path::new("s.sock")) else {
            panic!("a FIFO was taken for a lock file");
        };
        assert!(why.contains("not a regular file"), "{why}");
    }
}
