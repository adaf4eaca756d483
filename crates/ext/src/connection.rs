//! Connections to sidecar sockets: one per socket path, opened on first use and kept for the
//! life of the PHP process, so a php-fpm worker connects once and reuses the connection across
//! requests.
//!
//! Nothing is opened at module start-up, and the pool remembers which process opened its
//! connections: php-fpm forks workers from its master, and a forked child must never write to
//! a socket it inherited (two processes interleaving bytes on one stream corrupt each other's
//! frames). A child therefore drops what it inherited and connects for itself.

use std::collections::HashMap;
use std::io::{self, ErrorKind};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

static POOL: Mutex<Option<Pool>> = Mutex::new(None);

/// What this process has done, for `phpinfo()`.
pub static EVENTS_SENT: AtomicU64 = AtomicU64::new(0);
pub static RECONNECTS: AtomicU64 = AtomicU64::new(0);
pub static FAILURES: AtomicU64 = AtomicU64::new(0);

struct Pool {
    pid: u32,
    streams: HashMap<PathBuf, Stream>,
}

struct Stream {
    socket: UnixStream,
    write_timeout: Duration,
}

/// Why an event could not be handed to the sidecar.
#[derive(Debug)]
pub enum SendError {
    Connect(io::Error),
    TimedOut,
    Write(io::Error),
}

impl SendError {
    /// A message that says what is wrong and what to do about it.
    pub fn describe(&self, path: &Path, timeout: Duration) -> String {
        let path = path.display();
        match self {
            SendError::Connect(e) if e.kind() == ErrorKind::NotFound => format!(
                "sidecast is not listening at {path} (no such socket file): start it with `sidecast start`, or point sidecast.socket (php.ini) or SIDECAST_SOCKET at the socket it listens on"
            ),
            SendError::Connect(e) if e.kind() == ErrorKind::ConnectionRefused => format!(
                "sidecast is not listening at {path} (the socket file is left from a sidecar that stopped): start it with `sidecast start`"
            ),
            SendError::Connect(e) if e.kind() == ErrorKind::PermissionDenied => format!(
                "no permission to connect to sidecast at {path}: the socket is mode 0660, so run PHP as the sidecar's user or in its group"
            ),
            SendError::Connect(e) => format!("cannot connect to sidecast at {path}: {e}"),
            SendError::TimedOut => format!(
                "sidecast at {path} did not take the event within {:.3} s; it may be overloaded or stopped (raise the `timeout` option if it is just slow)",
                timeout.as_secs_f64()
            ),
            SendError::Write(e) => format!("cannot send the event to sidecast at {path}: {e}"),
        }
    }
}

/// Writes one complete frame to the sidecar at `path`.
///
/// A kept connection that the sidecar has closed (it restarted) is noticed on the write;
/// the frame is then sent once more on a fresh connection. Other failures, and a timeout, drop
/// the connection: part of a frame may already be on it.
pub fn send(path: &Path, write_timeout: Duration, frame: &[u8]) -> Result<(), SendError> {
    let mut guard = POOL.lock().unwrap_or_else(PoisonError::into_inner);
    let pid = std::process::id();
    if guard.as_ref().is_none_or(|pool| pool.pid != pid) {
        *guard = Some(Pool {
            pid,
            streams: HashMap::new(),
        });
    }
    let pool = guard.as_mut().expect("pool initialized above");

    let reused = pool.streams.contains_key(path);
    let result = match pool.stream(path, write_timeout) {
        Ok(stream) => write_frame(stream, frame),
        Err(error) => Err(error),
    };
    let result = match result {
        Err(SendError::Write(e)) if reused && is_closed_by_peer(&e) => {
            pool.streams.remove(path);
            RECONNECTS.fetch_add(1, Ordering::Relaxed);
            pool.stream(path, write_timeout)
                .and_then(|stream| write_frame(stream, frame))
        }
        other => other,
    };
    match result {
        Ok(()) => {
            EVENTS_SENT.fetch_add(1, Ordering::Relaxed);
            Ok(())
        }
        Err(error) => {
            pool.streams.remove(path);
            FAILURES.fetch_add(1, Ordering::Relaxed);
            Err(error)
        }
    }
}

/// Sockets this process holds open.
pub fn open_connections() -> usize {
    let guard = POOL.lock().unwrap_or_else(PoisonError::into_inner);
    guard
        .as_ref()
        .filter(|pool| pool.pid == std::process::id())
        .map_or(0, |pool| pool.streams.len())
}

impl Pool {
    fn stream(&mut self, path: &Path, write_timeout: Duration) -> Result<&UnixStream, SendError> {
        if !self.streams.contains_key(path) {
            let socket = UnixStream::connect(path).map_err(SendError::Connect)?;
            socket
                .set_write_timeout(Some(write_timeout))
                .map_err(SendError::Connect)?;
            self.streams.insert(
                path.to_owned(),
                Stream {
                    socket,
                    write_timeout,
                },
            );
        }
        let stream = self.streams.get_mut(path).expect("inserted above");
        if stream.write_timeout != write_timeout {
            stream
                .socket
                .set_write_timeout(Some(write_timeout))
                .map_err(SendError::Write)?;
            stream.write_timeout = write_timeout;
        }
        Ok(&stream.socket)
    }
}

fn is_closed_by_peer(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        ErrorKind::BrokenPipe | ErrorKind::ConnectionReset | ErrorKind::NotConnected
    )
}

/// `send(2)` with `MSG_NOSIGNAL` until the whole frame is written: a closed peer must come back
/// as `EPIPE`, not as a SIGPIPE that some SAPIs do not ignore.
fn write_frame(socket: &UnixStream, mut frame: &[u8]) -> Result<(), SendError> {
    while !frame.is_empty() {
        // SAFETY: the pointer and length describe `frame`, which outlives the call.
        let written = unsafe {
            libc::send(
                socket.as_raw_fd(),
                frame.as_ptr().cast(),
                frame.len(),
                libc::MSG_NOSIGNAL,
            )
        };
        if written < 0 {
            let error = io::Error::last_os_error();
            match error.kind() {
                ErrorKind::Interrupted => continue,
                // SO_SNDTIMEO expired.
                ErrorKind::WouldBlock | ErrorKind::TimedOut => return Err(SendError::TimedOut),
                _ => return Err(SendError::Write(error)),
            }
        }
        frame = &frame[written as usize..];
    }
    Ok(())
}
