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
use std::time::{Duration, Instant};

use socket2::{Domain, SockAddr, Socket, Type};

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
    /// The `SO_SNDTIMEO` currently set on the socket.
    write_timeout: Option<Duration>,
}

/// How far the socket's write timeout may differ from what is left of a call's deadline before
/// it is set again. Re-arming costs a system call; a few milliseconds either way do not matter
/// to a caller who asked for a timeout in seconds.
const TIMEOUT_SLACK: Duration = Duration::from_millis(5);

/// Why an event could not be handed to the sidecar.
#[derive(Debug)]
pub enum SendError {
    Connect(io::Error),
    /// The sidecar's accept queue stayed full until the deadline.
    ConnectTimedOut,
    /// The sidecar did not read the frame before the deadline.
    WriteTimedOut,
    Write(io::Error),
}

impl SendError {
    /// A message that says what is wrong and what to do about it.
    pub fn describe(&self, path: &Path, timeout: Duration) -> String {
        let path = path.display();
        let seconds = timeout.as_secs_f64();
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
            SendError::ConnectTimedOut => format!(
                "sidecast at {path} did not accept a connection within {seconds:.3} s; it may be overloaded or stopped (raise the `timeout` option if it is just slow)"
            ),
            SendError::WriteTimedOut => format!(
                "sidecast at {path} did not take the event within {seconds:.3} s; it may be overloaded or stopped (raise the `timeout` option if it is just slow)"
            ),
            SendError::Write(e) => format!("cannot send the event to sidecast at {path}: {e}"),
        }
    }
}

/// Writes one complete frame to the sidecar at `path`, giving up after `timeout` in all
/// (connecting included).
///
/// A kept connection that the sidecar has closed (it restarted) is noticed on the write;
/// the frame is then sent once more on a fresh connection. Other failures, and a timeout, drop
/// the connection: part of a frame may already be on it.
pub fn send(path: &Path, timeout: Duration, frame: &[u8]) -> Result<(), SendError> {
    let deadline = Instant::now() + timeout;
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
    let result = pool
        .stream(path, deadline)
        .and_then(|stream| stream.write_frame(frame, deadline));
    let result = match result {
        Err(SendError::Write(e)) if reused && is_closed_by_peer(&e) => {
            pool.streams.remove(path);
            RECONNECTS.fetch_add(1, Ordering::Relaxed);
            pool.stream(path, deadline)
                .and_then(|stream| stream.write_frame(frame, deadline))
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
    fn stream(&mut self, path: &Path, deadline: Instant) -> Result<&mut Stream, SendError> {
        if !self.streams.contains_key(path) {
            let socket = connect(path, deadline)?;
            self.streams.insert(
                path.to_owned(),
                Stream {
                    socket,
                    write_timeout: None,
                },
            );
        }
        Ok(self.streams.get_mut(path).expect("inserted above"))
    }
}

/// Connects without ever blocking past `deadline`: a blocking `connect(2)` on a Unix socket
/// waits as long as the listener's accept queue is full, which would hang PHP with a wedged
/// sidecar.
fn connect(path: &Path, deadline: Instant) -> Result<UnixStream, SendError> {
    let address = SockAddr::unix(path).map_err(SendError::Connect)?;
    let socket =
        Socket::new(Domain::UNIX, Type::STREAM.cloexec(), None).map_err(SendError::Connect)?;
    socket.set_nonblocking(true).map_err(SendError::Connect)?;
    loop {
        match socket.connect(&address) {
            Ok(()) => break,
            // EAGAIN: the accept queue is full; a Unix socket cannot be polled for this.
            Err(e) if e.kind() == ErrorKind::WouldBlock => {
                if Instant::now() >= deadline {
                    return Err(SendError::ConnectTimedOut);
                }
                std::thread::sleep(Duration::from_millis(1));
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(SendError::Connect(e)),
        }
    }
    socket.set_nonblocking(false).map_err(SendError::Connect)?;
    Ok(socket.into())
}

impl Stream {
    /// `send(2)` with `MSG_NOSIGNAL` until the whole frame is written or `deadline` passes:
    /// a closed peer must come back as `EPIPE`, not as a SIGPIPE that some SAPIs do not ignore.
    fn write_frame(&mut self, mut frame: &[u8], deadline: Instant) -> Result<(), SendError> {
        while !frame.is_empty() {
            let remaining = deadline
                .checked_duration_since(Instant::now())
                .filter(|left| !left.is_zero())
                .ok_or(SendError::WriteTimedOut)?;
            // SO_SNDTIMEO bounds one send(2); re-arming it with what is left of the deadline
            // keeps a frame that drains slowly, part by part, within the one timeout. Calls
            // of the same instance with the same timeout skip the system call.
            let wanted = Some(remaining.max(Duration::from_millis(1)));
            if self.write_timeout.is_none_or(|set| {
                set > remaining + TIMEOUT_SLACK || set + TIMEOUT_SLACK < remaining
            }) {
                self.socket
                    .set_write_timeout(wanted)
                    .map_err(SendError::Write)?;
                self.write_timeout = wanted;
            }
            // SAFETY: the pointer and length describe `frame`, which outlives the call.
            let written = unsafe {
                libc::send(
                    self.socket.as_raw_fd(),
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
                    ErrorKind::WouldBlock | ErrorKind::TimedOut => {
                        return Err(SendError::WriteTimedOut);
                    }
                    _ => return Err(SendError::Write(error)),
                }
            }
            frame = &frame[written as usize..];
        }
        Ok(())
    }
}

fn is_closed_by_peer(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        ErrorKind::BrokenPipe | ErrorKind::ConnectionReset | ErrorKind::NotConnected
    )
}
