//! The background writer: one per socket path and process, between `broadcast()` and the
//! sidecar.
//!
//! `broadcast()` puts its frame in a bounded buffer and returns; the writer thread
//! (`thread.rs`) batches what is buffered into few writes, and the answer reader (`answers.rs`)
//! takes the sidecar's acknowledgements off the same connection. Every event travels as an
//! acknowledged publish, so the buffer knows which events the sidecar has taken: when the
//! connection breaks (the sidecar restarted), everything not yet acknowledged is sent again on
//! the next connection. The sidecar acknowledges everything it read before it stops, so a
//! graceful restart neither loses nor duplicates an event; a crash of the sidecar may deliver
//! an event twice (at least once).
//!
//! While the sidecar is down the buffer holds up to its limits in frames and bytes; beyond
//! them a new event is refused and the caller decides (drop with a warning, or throw).

mod answers;
mod thread;

use std::collections::VecDeque;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// What this process has done, for `phpinfo()` and `stats()`.
pub static COUNTERS: Counters = Counters {
    sent: AtomicU64::new(0),
    acknowledged: AtomicU64::new(0),
    refused: AtomicU64::new(0),
    dropped: AtomicU64::new(0),
    reconnects: AtomicU64::new(0),
};

#[derive(Debug)]
pub struct Counters {
    /// Requests written to the sidecar (each once, however often it was sent again after a
    /// reconnect).
    pub sent: AtomicU64,
    /// Events the sidecar acknowledged.
    pub acknowledged: AtomicU64,
    /// Events the sidecar refused (a name over its limit, a payload it would not take).
    pub refused: AtomicU64,
    /// Events not buffered because the buffer was full.
    pub dropped: AtomicU64,
    /// Connections opened after the first, per writer.
    pub reconnects: AtomicU64,
}

/// The buffer's size and the connection's patience.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_bytes: usize,
    pub max_frames: usize,
    /// How long one connect or one write may block.
    pub io_timeout: Duration,
}

/// How a request ended, for the caller waiting on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Accepted,
    Refused(String),
    /// A query's answer: the JSON, or the error message as JSON.
    Answer(Result<Vec<u8>, Vec<u8>>),
}

/// Where a caller waits for its request's outcome.
#[derive(Debug, Default)]
pub struct Waiter {
    outcome: Mutex<Option<Outcome>>,
    ready: Condvar,
}

impl Waiter {
    fn complete(&self, outcome: Outcome) {
        *lock(&self.outcome) = Some(outcome);
        self.ready.notify_all();
    }
}

/// Why a request could not be buffered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Full {
    pub frames: usize,
    pub bytes: usize,
}

/// Why a waited-for request has no outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoOutcome {
    /// Never sent: taken back out of the buffer. `reason` says why the sidecar was not
    /// reached, once an attempt has failed; `connected` whether a connection was open.
    NotSent {
        reason: Option<String>,
        connected: bool,
    },
    /// Sent, but not answered in time: the sidecar may still take it.
    Unanswered,
}

pub(crate) struct Item {
    id: u32,
    frame: Vec<u8>,
    waiter: Option<Arc<Waiter>>,
    /// Written at least once, on this connection or an earlier one.
    sent: bool,
    /// Connections that ended with this request the oldest unanswered one.
    broken_at: u8,
}

#[derive(Default)]
pub(crate) struct State {
    /// Not yet written on the current connection.
    queue: VecDeque<Item>,
    /// Written, waiting for an answer.
    in_flight: VecDeque<Item>,
    /// Bytes of the frames in `queue` and `in_flight`.
    bytes: usize,
    /// The writer thread waits for work (and wants a wake-up).
    writer_idle: bool,
    connected: bool,
    /// Why the last attempt to reach the sidecar failed.
    last_error: Option<String>,
    /// The writer is to close its connection and end, leaving what is buffered.
    stopping: bool,
    /// The current connection, so that stopping can break off a blocked connect, write or read.
    stream: Option<UnixStream>,
}

pub(crate) struct Shared {
    path: PathBuf,
    limits: Limits,
    state: Mutex<State>,
    /// Wakes the writer thread: work arrived, the connection broke, or it is to stop.
    wake_writer: Condvar,
    /// Wakes callers waiting for the buffer to empty (`flush`).
    progress: Condvar,
}

/// One socket path's writer.
pub struct Writer {
    shared: Arc<Shared>,
    thread: Mutex<Option<JoinHandle<()>>>,
    /// When a problem was last handed out for reporting (`claim_report`).
    reported_at: Mutex<Option<std::time::Instant>>,
}

static NEXT_REQUEST_ID: AtomicU32 = AtomicU32::new(1);

/// A fresh request id; they are only compared for equality, so wrapping is harmless.
pub fn next_request_id() -> u32 {
    NEXT_REQUEST_ID.fetch_add(1, Ordering::Relaxed)
}

impl Writer {
    /// Starts the writer thread for `path`.
    pub fn start(path: &Path, limits: Limits) -> std::io::Result<Self> {
        let shared = Arc::new(Shared {
            path: path.to_owned(),
            limits,
            state: Mutex::new(State::default()),
            wake_writer: Condvar::new(),
            progress: Condvar::new(),
        });
        let worker = shared.clone();
        let thread = std::thread::Builder::new()
            .name("sidecast-writer".into())
            .spawn(move || thread::run(&worker))?;
        Ok(Writer {
            shared,
            thread: Mutex::new(Some(thread)),
            reported_at: Mutex::new(None),
        })
    }

    /// Buffers a request (a frame carrying `id`); `waiter`, if any, learns its outcome.
    pub fn submit(&self, id: u32, frame: Vec<u8>, waiter: Option<Arc<Waiter>>) -> Result<(), Full> {
        let limits = self.shared.limits;
        let mut state = self.shared.lock();
        let frames = state.queue.len() + state.in_flight.len();
        // An empty buffer takes any frame, so that every event the wire can carry can be sent
        // whatever the buffer's size.
        let fits = frames == 0
            || (frames < limits.max_frames && state.bytes + frame.len() <= limits.max_bytes);
        if !fits {
            COUNTERS.dropped.fetch_add(1, Ordering::Relaxed);
            return Err(Full {
                frames,
                bytes: state.bytes,
            });
        }
        state.bytes += frame.len();
        state.queue.push_back(Item {
            id,
            frame,
            waiter,
            sent: false,
            broken_at: 0,
        });
        // A wake-up is a system call; a busy writer finds the frame on its next round.
        if state.writer_idle {
            self.shared.wake_writer.notify_one();
        }
        Ok(())
    }

    /// Waits until `waiter`'s request has an outcome, or `timeout` passes. A request still in
    /// the buffer then is taken back out, so it is never sent.
    pub fn wait(&self, id: u32, waiter: &Waiter, timeout: Duration) -> Result<Outcome, NoOutcome> {
        let deadline = Instant::now() + timeout;
        let mut outcome = lock(&waiter.outcome);
        loop {
            if let Some(outcome) = outcome.take() {
                return Ok(outcome);
            }
            let Some(left) = deadline.checked_duration_since(Instant::now()) else {
                break;
            };
            outcome = waiter
                .ready
                .wait_timeout(outcome, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        drop(outcome);
        let mut state = self.shared.lock();
        if let Some(position) = state.queue.iter().position(|item| item.id == id) {
            let item = state
                .queue
                .remove(position)
                .expect("position is in the queue");
            state.bytes -= item.frame.len();
            return Err(NoOutcome::NotSent {
                reason: state.last_error.clone(),
                connected: state.connected,
            });
        }
        // It may have been answered between the timeout and taking the lock.
        if let Some(outcome) = lock(&waiter.outcome).take() {
            return Ok(outcome);
        }
        Err(NoOutcome::Unanswered)
    }

    /// Waits until everything buffered has been answered; `false` if `timeout` passed first.
    pub fn flush(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let mut state = self.shared.lock();
        while !state.queue.is_empty() || !state.in_flight.is_empty() {
            let Some(left) = deadline.checked_duration_since(Instant::now()) else {
                return false;
            };
            state = self
                .shared
                .progress
                .wait_timeout(state, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        true
    }

    /// Flushes for at most `timeout`, then ends the writer's threads, which must not outlive
    /// the extension's code: PHP unloads it after module shutdown. Returns what was left
    /// undelivered, in events and bytes.
    pub fn shut_down(&self, timeout: Duration) -> (usize, usize) {
        self.flush(timeout);
        let undelivered = self.pending();
        {
            let mut state = self.shared.lock();
            state.stopping = true;
            if let Some(stream) = &state.stream {
                // Wakes a thread blocked in a write or a read on it.
                let _ = stream.shutdown(std::net::Shutdown::Both);
            }
        }
        self.shared.wake_writer.notify_all();
        if let Some(thread) = lock(&self.thread).take() {
            let _ = thread.join();
        }
        undelivered
    }

    /// Events buffered and not yet answered, and their bytes.
    pub fn pending(&self) -> (usize, usize) {
        let state = self.shared.lock();
        (state.queue.len() + state.in_flight.len(), state.bytes)
    }

    pub fn connected(&self) -> bool {
        self.shared.lock().connected
    }

    pub fn last_error(&self) -> Option<String> {
        self.shared.lock().last_error.clone()
    }

    pub fn path(&self) -> &Path {
        &self.shared.path
    }

    /// Whether a problem may be reported now: not within `every` of the last report. The
    /// writer outlives requests, so this holds across a php-fpm worker's requests.
    pub fn claim_report(&self, every: std::time::Duration) -> bool {
        let mut reported_at = self.reported_at.lock().unwrap_or_else(|e| e.into_inner());
        let now = std::time::Instant::now();
        if reported_at.is_some_and(|at| now.duration_since(at) < every) {
            return false;
        }
        *reported_at = Some(now);
        true
    }
}

impl std::fmt::Debug for Writer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Writer")
            .field("path", &self.shared.path)
            .finish_non_exhaustive()
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        lock(&self.state)
    }

    /// Records the answer to request `id`.
    fn answered(&self, id: u32, outcome: Outcome) {
        let mut state = self.lock();
        let Some(position) = state.in_flight.iter().position(|item| item.id == id) else {
            return; // Its caller gave up and nobody else waits for it.
        };
        let item = state
            .in_flight
            .remove(position)
            .expect("position is in flight");
        state.bytes -= item.frame.len();
        match &outcome {
            Outcome::Accepted => COUNTERS.acknowledged.fetch_add(1, Ordering::Relaxed),
            Outcome::Refused(_) => COUNTERS.refused.fetch_add(1, Ordering::Relaxed),
            Outcome::Answer(_) => 0,
        };
        if let Some(waiter) = item.waiter {
            waiter.complete(outcome);
        }
        if state.queue.is_empty() && state.in_flight.is_empty() {
            self.progress.notify_all();
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
