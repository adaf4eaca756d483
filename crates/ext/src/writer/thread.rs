//! The writer thread: connects, batches buffered frames into few writes, and starts over on a
//! new connection when one breaks, sending again what was not acknowledged.

use std::io::{self, ErrorKind};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use socket2::{Domain, SockAddr, Socket, Type};

use super::{COUNTERS, Shared, answers};

/// First and longest wait between attempts to reach the sidecar.
const MIN_BACKOFF: Duration = Duration::from_millis(10);
const MAX_BACKOFF: Duration = Duration::from_millis(500);
/// Most bytes gathered into one write.
const BATCH_BYTES: usize = 256 * 1024;
/// How many connections may end with the same request the oldest unanswered one before it is
/// given up. The sidecar answers in order and closes a connection only on a frame it cannot
/// read (one over its `--max-frame-bytes`), so a request that keeps being the first without an
/// answer is the cause, and sending it again would block every event behind it for good.
const MAX_BROKEN_AT: u8 = 3;

/// One open connection and its answer reader.
struct Link {
    stream: UnixStream,
    closing: Arc<AtomicBool>,
    reader: JoinHandle<()>,
}

impl Link {
    /// Stops writing, lets the reader take every answer still coming, then forgets the
    /// connection. Only then may unanswered requests be sent again without duplicates.
    fn close(self) {
        let _ = self.stream.shutdown(std::net::Shutdown::Write);
        self.closing.store(true, Ordering::Release);
        let _ = self.reader.join();
    }

    fn reader_finished(&self) -> bool {
        self.reader.is_finished()
    }
}

pub(super) fn run(shared: &Arc<Shared>) {
    let mut link: Option<Link> = None;
    let mut connections = 0u64;
    let mut backoff = MIN_BACKOFF;
    let mut batch = Vec::with_capacity(BATCH_BYTES);
    loop {
        if shared.lock().stopping {
            if let Some(link) = link.take() {
                link.close();
            }
            return;
        }
        if link.is_none() {
            match connect(shared) {
                Ok(stream) => {
                    link = Some(open(shared, stream));
                    connections += 1;
                    if connections > 1 {
                        COUNTERS.reconnects.fetch_add(1, Ordering::Relaxed);
                    }
                    backoff = MIN_BACKOFF;
                }
                Err(reason) => {
                    let mut state = shared.lock();
                    state.connected = false;
                    state.last_error = Some(reason);
                    if state.stopping {
                        continue;
                    }
                    let _ = shared.wake_writer.wait_timeout(state, backoff);
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                    continue;
                }
            }
        }
        let current = link.as_ref().expect("connected above");

        // Wait for work, or for the connection to end.
        let mut state = shared.lock();
        loop {
            if current.reader_finished() {
                break;
            }
            if !state.queue.is_empty() || state.stopping {
                break;
            }
            state.writer_idle = true;
            state = shared
                .wake_writer
                .wait_timeout(state, Duration::from_millis(100))
                .unwrap_or_else(PoisonError::into_inner)
                .0;
            state.writer_idle = false;
        }
        if state.stopping {
            continue;
        }
        if current.reader_finished() {
            drop(state);
            broken(
                shared,
                &mut link,
                "the sidecar closed the connection".to_owned(),
            );
            continue;
        }

        // Move a batch from the queue to in flight, and write it.
        batch.clear();
        let mut first_sends = 0;
        while batch.len() < BATCH_BYTES {
            let Some(mut item) = state.queue.pop_front() else {
                break;
            };
            batch.extend_from_slice(&item.frame);
            if !item.sent {
                item.sent = true;
                first_sends += 1;
            }
            state.in_flight.push_back(item);
        }
        drop(state);
        COUNTERS.sent.fetch_add(first_sends, Ordering::Relaxed);
        if let Err(error) = write_all(&current.stream, &batch, shared.limits.io_timeout) {
            broken(
                shared,
                &mut link,
                format!(
                    "cannot write to sidecast at {}: {error}",
                    shared.path.display()
                ),
            );
        }
    }
}

/// Registers a new connection: starts its reader; what was in flight on the last one is sent
/// again first.
fn open(shared: &Arc<Shared>, stream: UnixStream) -> Link {
    let closing = Arc::new(AtomicBool::new(false));
    let reader = {
        let shared = shared.clone();
        let closing = closing.clone();
        let stream = stream
            .try_clone()
            .expect("a connected socket can be duplicated");
        std::thread::Builder::new()
            .name("sidecast-answers".into())
            .spawn(move || answers::read(&shared, stream, &closing))
            .expect("a thread can be started")
    };
    let mut state = shared.lock();
    if let Some(oldest) = state.in_flight.front_mut() {
        oldest.broken_at += 1;
        if oldest.broken_at >= MAX_BROKEN_AT {
            let given_up = state.in_flight.pop_front().expect("front exists");
            state.bytes -= given_up.frame.len();
            COUNTERS.refused.fetch_add(1, Ordering::Relaxed);
            let reason = format!(
                "sidecast at {} closed the connection {MAX_BROKEN_AT} times on this request without answering it; the frame ({} bytes) is probably larger than its --max-frame-bytes",
                shared.path.display(),
                given_up.frame.len()
            );
            eprintln!("sidecast: a request was given up: {reason}");
            if let Some(waiter) = given_up.waiter {
                waiter.complete(super::Outcome::Refused(reason));
            }
        }
    }
    let resend: Vec<_> = state.in_flight.drain(..).collect();
    for item in resend.into_iter().rev() {
        state.queue.push_front(item);
    }
    state.connected = true;
    state.last_error = None;
    state.stream = stream.try_clone().ok();
    Link {
        stream,
        closing,
        reader,
    }
}

fn broken(shared: &Shared, link: &mut Option<Link>, reason: String) {
    if let Some(old) = link.take() {
        old.close();
    }
    let mut state = shared.lock();
    state.connected = false;
    state.stream = None;
    state.last_error = Some(reason);
}

/// Connects without ever blocking past the I/O timeout, or past a request to stop: a blocking
/// `connect(2)` on a Unix socket waits as long as the listener's accept queue is full.
fn connect(shared: &Shared) -> Result<UnixStream, String> {
    let (path, timeout) = (shared.path.as_path(), shared.limits.io_timeout);
    let describe = |e: io::Error| crate::errors::connect_failure(path, &e);
    crate::owner::check(path)?;
    let deadline = Instant::now() + timeout;
    let address = SockAddr::unix(path).map_err(describe)?;
    let socket = Socket::new(Domain::UNIX, Type::STREAM.cloexec(), None).map_err(describe)?;
    socket.set_nonblocking(true).map_err(describe)?;
    loop {
        match socket.connect(&address) {
            Ok(()) => break,
            Err(e) if e.kind() == ErrorKind::WouldBlock => {
                if Instant::now() >= deadline || shared.lock().stopping {
                    return Err(format!(
                        "sidecast at {} did not accept a connection within {:.3} s; it may be overloaded or stopped",
                        path.display(),
                        timeout.as_secs_f64()
                    ));
                }
                std::thread::sleep(Duration::from_millis(1));
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(describe(e)),
        }
    }
    socket.set_nonblocking(false).map_err(describe)?;
    Ok(socket.into())
}

/// `send(2)` with `MSG_NOSIGNAL` until everything is written or `timeout` passes: a closed peer
/// must come back as `EPIPE`, not as a SIGPIPE that some SAPIs do not ignore.
fn write_all(stream: &UnixStream, mut bytes: &[u8], timeout: Duration) -> io::Result<()> {
    let deadline = Instant::now() + timeout;
    while !bytes.is_empty() {
        let left = deadline
            .checked_duration_since(Instant::now())
            .filter(|left| !left.is_zero())
            .ok_or_else(|| io::Error::new(ErrorKind::TimedOut, "the sidecar is not reading"))?;
        stream.set_write_timeout(Some(left))?;
        // SAFETY: the pointer and length describe `bytes`, which outlives the call.
        let written = unsafe {
            libc::send(
                stream.as_raw_fd(),
                bytes.as_ptr().cast(),
                bytes.len(),
                libc::MSG_NOSIGNAL,
            )
        };
        if written < 0 {
            let error = io::Error::last_os_error();
            if error.kind() == ErrorKind::Interrupted {
                continue;
            }
            if error.kind() == ErrorKind::WouldBlock {
                return Err(io::Error::new(
                    ErrorKind::TimedOut,
                    "the sidecar is not reading",
                ));
            }
            return Err(error);
        }
        bytes = &bytes[written as usize..];
    }
    Ok(())
}
