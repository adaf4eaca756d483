//! A session's requests are applied one at a time, in the order the client sent them, even
//! though authorizing a subscription means waiting for the Laravel app: a quick
//! subscribe-then-unsubscribe cannot leave the socket in the channel, a whisper is relayed
//! after the subscription sent before it, and the hub forgets a session only after its last
//! request. Requests wait in the session's inbox; a worker task runs while there are any and
//! ends when the inbox is empty, so an idle session costs no task.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use serde_json::Value;

use crate::metrics::METRICS;
use crate::session::Session;
use crate::{FrontEnd, channels, packet, whisper};

/// Requests waiting in one session's inbox past which further ones are refused (a
/// subscription with `subscription_error` 429): a client cannot queue work without bound
/// while the app is slow to answer.
pub(crate) const MAX_WAITING_REQUESTS: usize = 256;

#[derive(Debug, Default)]
pub(crate) struct Inbox(Mutex<Queue>);

#[derive(Debug, Default)]
struct Queue {
    jobs: VecDeque<Job>,
    /// A worker is draining the queue.
    working: bool,
}

/// What a session asks, in its order.
#[derive(Debug)]
pub(crate) enum Job {
    /// The client joins the default namespace: the hub learns of the socket.
    Join,
    Subscribe(Value),
    Unsubscribe(Value),
    Whisper(Value),
    /// The session ended: the hub forgets the socket.
    Leave,
}

impl Inbox {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Requests waiting, the one being handled included.
    pub fn waiting(&self) -> usize {
        let queue = self.lock();
        queue.jobs.len() + usize::from(queue.working)
    }

    /// Queues `job`; true when no worker runs and the caller must start one.
    fn push(&self, job: Job) -> bool {
        let mut queue = self.lock();
        queue.jobs.push_back(job);
        !std::mem::replace(&mut queue.working, true)
    }

    /// The next job, or `None` once the queue is empty (the worker then ends).
    fn next(&self) -> Option<Job> {
        let mut queue = self.lock();
        let job = queue.jobs.pop_front();
        queue.working = job.is_some();
        job
    }
}

/// Queues `job` in the session's inbox and starts a worker if none runs.
pub(crate) fn submit(front_end: &Arc<FrontEnd>, session: &Arc<Session>, job: Job) {
    if session.inbox.push(job) {
        tokio::spawn(work(front_end.clone(), session.clone()));
    }
}

async fn work(front_end: Arc<FrontEnd>, session: Arc<Session>) {
    let guard = Worker {
        front_end: &front_end,
        session: &session,
    };
    while let Some(job) = session.inbox.next() {
        match job {
            Job::Join => join(&front_end, &session),
            Job::Subscribe(request) => channels::subscribe(&front_end, &session, request).await,
            Job::Unsubscribe(request) => channels::unsubscribe(&front_end, &session, request),
            Job::Whisper(request) => whisper::relay(&front_end, &session, request),
            Job::Leave => leave(&front_end, &session),
        }
    }
    std::mem::forget(guard);
}

/// Keeps a session's requests flowing if the worker stops before the inbox is empty — a
/// request whose handling panicked, or the runtime dropping the task at shutdown: the rest,
/// the session's `Leave` included, go to a new worker. A worker that empties the inbox
/// forgets its guard.
struct Worker<'a> {
    front_end: &'a Arc<FrontEnd>,
    session: &'a Arc<Session>,
}

impl Drop for Worker<'_> {
    fn drop(&mut self) {
        let mut queue = self.session.inbox.lock();
        queue.working = !queue.jobs.is_empty();
        if queue.working {
            tokio::spawn(work(self.front_end.clone(), self.session.clone()));
        }
    }
}

/// The hub learns of the socket, then the client is told it is connected: its requests sent
/// before that answer come after this job.
fn join(front_end: &FrontEnd, session: &Arc<Session>) {
    if !session.handshake.origin_allowed {
        METRICS.refused_origin.inc();
        front_end
            .refusals
            .record(session.socket_id.as_str(), "connect", &"origin not allowed");
        session.send(packet::connect_error(
            session.version,
            packet::DEFAULT_NAMESPACE,
            "origin not allowed",
        ));
        session.close();
        return;
    }
    if session.is_closing() {
        return;
    }
    if !front_end
        .hub
        .connect(session.socket_id.clone(), session.clone())
    {
        tracing::warn!(socket = %session.socket_id, "socket id already in use; closing");
        session.close();
        return;
    }
    session.mark_registered();
    METRICS.connections(session.version).opened();
    tracing::debug!(socket = %session.socket_id, version = ?session.version, "client connected");
    session.send(packet::connected(
        session.version,
        session.socket_id.as_str(),
    ));
}

fn leave(front_end: &FrontEnd, session: &Session) {
    if session.is_registered() {
        let left = front_end.hub.disconnect(&session.socket_id);
        METRICS.connections(session.version).closed();
        tracing::debug!(socket = %session.socket_id, channels_left = left, "client disconnected");
    }
}
