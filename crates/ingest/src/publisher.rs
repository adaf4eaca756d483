//! One publisher's connection: frames in, events to the hub, answers back.
//!
//! Frames are handled in order; the answers to them (acknowledgements, query results) go back
//! in the same order, those known together in one write (`replies`). A question whose answer
//! waits for the other nodes of a cluster does not hold up the events sent after it. A
//! malformed frame closes this connection only. When the sidecar stops, what the publisher has already sent is still read, handled and
//! acknowledged before the connection closes (for a bounded time), so a client that resends
//! what was not acknowledged neither loses nor duplicates an event across a restart. A
//! connection that asks to `LISTEN` is answered what it asked before, then handed over.

use std::time::Duration;

use bytes::{Buf, BytesMut};
use sidecast_core::metrics::Held;
use sidecast_core::{Core, Hub};
use sidecast_wire::{Ack, DecodeError, Frame, Kind, Limits, QueryResult};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::UnixStream;
use tokio::sync::watch;
use tokio::time::Instant;

use crate::metrics::METRICS;
use crate::replies::{MAX_WAITING, Replies};
use crate::{Handover, IngestLimits, Listeners, Report, answers, publication};

/// How much the reader asks the kernel for at a time; frames larger than this simply take
/// several reads.
const READ_CHUNK: usize = 64 * 1024;

/// At shutdown, how long a publisher's connection may stay quiet before it counts as drained.
const DRAIN_QUIET: Duration = Duration::from_millis(20);

/// At shutdown, how long a publisher's connection is read at most. A publisher that keeps
/// sending would otherwise hold the stop up for as long as it runs; what it sends after this
/// is not acknowledged, and the extension's writer sends it again to the next sidecar.
const DRAIN_AT_MOST: Duration = Duration::from_millis(200);

/// Why a connection is closed by the sidecar.
#[derive(Debug, thiserror::Error)]
enum Closing {
    #[error("malformed frame: {0}")]
    Malformed(#[from] DecodeError),
    #[error("a publisher sent an answer frame ({0:?}); answers only go from the sidecar to PHP")]
    WrongDirection(Kind),
    #[error("a CONFIRM on a connection that is not listening (send LISTEN first)")]
    NotListening,
}

/// Why a connection that asks to `LISTEN` is refused when no listener is served.
const NO_LISTENER: &str = "lifecycle events are not kept for a listener: start the sidecar with --listener (docs/lifecycle-events.md)";

/// What a publisher's frames reach: the app's hub and census, and the sidecar's whole report
/// for the `stats` question.
#[derive(Clone)]
pub(crate) struct Answering {
    pub(crate) core: Core,
    pub(crate) report: Option<Report>,
    pub(crate) listeners: Option<Listeners>,
}

impl std::ops::Deref for Answering {
    type Target = Core;

    fn deref(&self) -> &Core {
        &self.core
    }
}

impl Closing {
    fn decode_error(&self) -> Option<&DecodeError> {
        match self {
            Closing::Malformed(error) => Some(error),
            Closing::WrongDirection(_) | Closing::NotListening => None,
        }
    }
}

/// Serves one publisher until it disconnects, sends something malformed, or `stop` turns true.
pub(crate) async fn serve(
    mut stream: UnixStream,
    connection: u64,
    core: Answering,
    bounds: IngestLimits,
    mut stop: watch::Receiver<bool>,
) {
    let limits = bounds.frames;
    let _open = Held::new(&METRICS.publishers_open);
    let peer_pid = stream.peer_cred().ok().and_then(|cred| cred.pid());
    tracing::debug!(connection, ?peer_pid, "publisher connected");
    let mut buffer = BytesMut::with_capacity(READ_CHUNK);
    let mut replies = Replies::default();
    // When the frame now partly in the buffer began to arrive.
    let mut partial_since: Option<Instant> = None;
    loop {
        let buffered = buffer.len();
        let handled = handle(
            &mut buffer,
            &limits,
            &core,
            &mut replies,
            connection,
            peer_pid,
        );
        replies.collect();
        let ready = replies.take_ready();
        if !ready.is_empty()
            && let Err(error) = stream.write_all(&ready).await
        {
            tracing::warn!(connection, ?peer_pid, %error, "cannot answer the publisher");
            return;
        }
        let listen = match handled {
            Ok(listen) => listen,
            Err(closing) => {
                METRICS.frame_refused(closing.decode_error());
                tracing::warn!(connection, ?peer_pid, reason = %closing, "closing publisher connection");
                return;
            }
        };
        if let (Some(request_id), Some(listeners)) = (listen, &core.listeners) {
            if answer_all(&mut stream, &mut replies).await.is_ok() {
                tracing::debug!(connection, ?peer_pid, "publisher turned listener");
                listeners(Handover {
                    stream,
                    buffered: buffer,
                    request_id,
                });
            }
            return;
        }
        partial_since = match (buffer.is_empty(), partial_since) {
            (true, _) => None,
            (false, Some(since)) if buffer.len() >= buffered => Some(since),
            (false, _) => Some(Instant::now()),
        };
        let frame_due = async {
            match partial_since {
                Some(since) => tokio::time::sleep_until(since + bounds.frame_timeout).await,
                None => std::future::pending().await,
            }
        };
        buffer.reserve(READ_CHUNK);
        let read = tokio::select! {
            read = stream.read_buf(&mut buffer), if replies.waiting() < MAX_WAITING => Some(read),
            () = replies.next_known() => continue,
            _ = stop.wait_for(|stop| *stop) => None,
            () = frame_due, if replies.waiting() < MAX_WAITING => {
                METRICS.frames_incomplete.inc();
                tracing::warn!(connection, ?peer_pid, buffered = buffer.len(), timeout = ?bounds.frame_timeout, "closing publisher connection: it stopped in the middle of a frame");
                return;
            }
        };
        let Some(read) = read else {
            drain(
                &mut stream,
                &mut buffer,
                &limits,
                &core,
                &mut replies,
                connection,
                peer_pid,
            )
            .await;
            return;
        };
        match read {
            Ok(0) if buffer.is_empty() => break,
            Ok(0) => {
                METRICS.frames_incomplete.inc();
                tracing::warn!(
                    connection,
                    ?peer_pid,
                    discarded = buffer.len(),
                    "publisher disconnected in the middle of a frame"
                );
                break;
            }
            Ok(_) => {}
            Err(error) => {
                tracing::warn!(connection, ?peer_pid, %error, "publisher connection failed");
                break;
            }
        }
    }
    tracing::debug!(connection, ?peer_pid, "publisher disconnected");
}

/// Writes every answer owed, waiting for those not known yet.
async fn answer_all(stream: &mut UnixStream, replies: &mut Replies) -> std::io::Result<()> {
    while replies.waiting() > 0 {
        replies.next_known().await;
        replies.collect();
        stream.write_all(&replies.take_ready()).await?;
    }
    Ok(())
}

/// At shutdown: reads what is already there (for at most `DRAIN_AT_MOST`), handles and
/// answers it as it comes, then closes. Frames that arrive later stay unacknowledged; answers
/// not known by the deadline are not given.
async fn drain(
    stream: &mut UnixStream,
    buffer: &mut BytesMut,
    limits: &Limits,
    core: &Answering,
    replies: &mut Replies,
    connection: u64,
    peer_pid: Option<i32>,
) {
    let deadline = tokio::time::Instant::now() + DRAIN_AT_MOST;
    let mut handled = Ok(());
    // A read that finds nothing for a moment means the publisher has sent nothing more (the
    // reactor reports data already in the socket buffer at once).
    while handled.is_ok() && tokio::time::Instant::now() < deadline {
        buffer.reserve(READ_CHUNK);
        match tokio::time::timeout(DRAIN_QUIET, stream.read_buf(buffer)).await {
            Ok(Ok(read)) if read > 0 => {}
            _ => break,
        }
        let outcome = handle(buffer, limits, core, replies, connection, peer_pid);
        // Too late to listen: refused, and nothing after it is read.
        let listen = outcome.as_ref().ok().copied().flatten();
        if let Some(request_id) = listen {
            refuse_listener(replies, request_id, "the sidecar is stopping");
        }
        handled = outcome.map(|_| ());
        replies.collect();
        if stream.write_all(&replies.take_ready()).await.is_err() || listen.is_some() {
            break;
        }
    }
    let _ = tokio::time::timeout_at(deadline, async {
        while replies.waiting() > 0 {
            replies.next_known().await;
            replies.collect();
            if stream.write_all(&replies.take_ready()).await.is_err() {
                break;
            }
        }
    })
    .await;
    let _ = stream.shutdown().await;
    tracing::debug!(
        connection,
        ?peer_pid,
        left = buffer.len(),
        unanswered = replies.waiting(),
        ok = handled.is_ok(),
        "publisher connection drained at shutdown"
    );
}

/// Handles every complete frame in `buffer`, adding their answers to `replies`. Stops after
/// a `LISTEN` it can serve and returns its request id: what follows is the listener's.
fn handle(
    buffer: &mut BytesMut,
    limits: &Limits,
    core: &Answering,
    replies: &mut Replies,
    connection: u64,
    peer_pid: Option<i32>,
) -> Result<Option<u32>, Closing> {
    while let Some(size) = sidecast_wire::check(buffer, limits)? {
        match sidecast_wire::parse(&buffer[..size])? {
            Frame::Publish(publish) => {
                if let Err(reason) = publish_event(&core.hub, &publish) {
                    tracing::warn!(connection, ?peer_pid, event = publish.event, %reason, "event refused");
                }
            }
            Frame::PublishAcked {
                request_id,
                publish,
            } => {
                let refused = publish_event(&core.hub, &publish)
                    .inspect_err(|reason| tracing::warn!(connection, ?peer_pid, event = publish.event, %reason, "event refused"))
                    .err()
                    .map(|reason| reason.to_string());
                replies.push(|out| {
                    Ack {
                        request_id,
                        refused: refused.as_deref(),
                    }
                    .encode(out)
                });
            }
            Frame::Query(query) => {
                METRICS.questions.inc();
                let request_id = query.request_id;
                let answer =
                    answers::answer(core.census.clone(), core.report.clone(), query.question);
                replies.push_later(async move { encode_result(request_id, answer.await) });
            }
            Frame::Listen(listen) if core.listeners.is_some() => {
                buffer.advance(size);
                return Ok(Some(listen.request_id));
            }
            Frame::Listen(listen) => refuse_listener(replies, listen.request_id, NO_LISTENER),
            Frame::Confirm(_) => return Err(Closing::NotListening),
            answer @ (Frame::Ack(_) | Frame::Result(_) | Frame::Event(_)) => {
                return Err(Closing::WrongDirection(answer.kind()));
            }
        }
        buffer.advance(size);
    }
    Ok(None)
}

fn refuse_listener(replies: &mut Replies, request_id: u32, reason: &str) {
    replies.push(|out| {
        Ack {
            request_id,
            refused: Some(reason),
        }
        .encode(out)
    });
}

fn publish_event(
    hub: &Hub,
    publish: &sidecast_wire::Publish<'_>,
) -> Result<(), publication::Refused> {
    let publication =
        publication::from_frame(publish).inspect_err(|_| METRICS.events_refused.inc())?;
    METRICS.events.inc();
    hub.publish(&publication);
    Ok(())
}

/// The `RESULT` frame of a question: its JSON answer, or the reason there is none.
fn encode_result(request_id: u32, answer: Result<serde_json::Value, String>) -> Vec<u8> {
    let (ok, json) = match answer {
        Ok(answer) => (true, answer.to_string()),
        Err(reason) => (false, serde_json::Value::String(reason).to_string()),
    };
    let outcome = if ok {
        Ok(json.as_bytes())
    } else {
        Err(json.as_bytes())
    };
    let mut out = Vec::new();
    if let Err(error) = (QueryResult {
        request_id,
        outcome,
    })
    .encode(&mut out)
    {
        out.clear();
        let reason =
            serde_json::Value::String(format!("the answer is too large: {error}")).to_string();
        QueryResult {
            request_id,
            outcome: Err(reason.as_bytes()),
        }
        .encode(&mut out)
        .expect("a short error message always fits in a frame");
    }
    out
}
