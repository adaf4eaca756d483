//! One publisher's connection: frames in, events to the hub, answers back.
//!
//! Frames are handled in order; the answers to a batch of them (acknowledgements, query
//! results) go back in one write, in the same order. A malformed frame closes this connection
//! only. When the sidecar stops, what the publisher has already sent is still read, handled and
//! acknowledged before the connection closes (for a bounded time), so a client that resends
//! what was not acknowledged neither loses nor duplicates an event across a restart.

use std::sync::Arc;
use std::time::Duration;

use bytes::{Buf, BytesMut};
use sidecast_core::Hub;
use sidecast_wire::{Ack, DecodeError, Frame, Limits, QueryResult};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::UnixStream;
use tokio::sync::watch;

use crate::{answers, publication};

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
    #[error("a publisher sent an answer frame (kind {0}); answers only go from the sidecar to PHP")]
    WrongDirection(u8),
}

/// Serves one publisher until it disconnects, sends something malformed, or `stop` turns true.
pub(crate) async fn serve(
    mut stream: UnixStream,
    connection: u64,
    hub: Arc<Hub>,
    limits: Limits,
    mut stop: watch::Receiver<bool>,
) {
    let peer_pid = stream.peer_cred().ok().and_then(|cred| cred.pid());
    tracing::debug!(connection, ?peer_pid, "publisher connected");
    let mut buffer = BytesMut::with_capacity(READ_CHUNK);
    let mut replies = Vec::new();
    loop {
        let handled = handle(
            &mut buffer,
            &limits,
            &hub,
            &mut replies,
            connection,
            peer_pid,
        );
        if !replies.is_empty() {
            if let Err(error) = stream.write_all(&replies).await {
                tracing::warn!(connection, ?peer_pid, %error, "cannot answer the publisher");
                return;
            }
            replies.clear();
        }
        if let Err(closing) = handled {
            tracing::warn!(connection, ?peer_pid, reason = %closing, "closing publisher connection");
            return;
        }
        buffer.reserve(READ_CHUNK);
        let read = tokio::select! {
            read = stream.read_buf(&mut buffer) => Some(read),
            _ = stop.wait_for(|stop| *stop) => None,
        };
        let Some(read) = read else {
            drain(
                &mut stream,
                &mut buffer,
                &limits,
                &hub,
                connection,
                peer_pid,
            )
            .await;
            return;
        };
        match read {
            Ok(0) if buffer.is_empty() => break,
            Ok(0) => {
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

/// At shutdown: reads what is already there (for at most `DRAIN_AT_MOST`), handles and
/// answers it as it comes, then closes. Frames that arrive later stay unacknowledged.
async fn drain(
    stream: &mut UnixStream,
    buffer: &mut BytesMut,
    limits: &Limits,
    hub: &Hub,
    connection: u64,
    peer_pid: Option<i32>,
) {
    let deadline = tokio::time::Instant::now() + DRAIN_AT_MOST;
    let mut replies = Vec::new();
    let mut handled = Ok(());
    // A read that finds nothing for a moment means the publisher has sent nothing more (the
    // reactor reports data already in the socket buffer at once).
    while handled.is_ok() && tokio::time::Instant::now() < deadline {
        buffer.reserve(READ_CHUNK);
        match tokio::time::timeout(DRAIN_QUIET, stream.read_buf(buffer)).await {
            Ok(Ok(read)) if read > 0 => {}
            _ => break,
        }
        handled = handle(buffer, limits, hub, &mut replies, connection, peer_pid);
        if stream.write_all(&replies).await.is_err() {
            break;
        }
        replies.clear();
    }
    let _ = stream.shutdown().await;
    tracing::debug!(
        connection,
        ?peer_pid,
        left = buffer.len(),
        ok = handled.is_ok(),
        "publisher connection drained at shutdown"
    );
}

/// Handles every complete frame in `buffer`, appending answers to `replies`.
fn handle(
    buffer: &mut BytesMut,
    limits: &Limits,
    hub: &Hub,
    replies: &mut Vec<u8>,
    connection: u64,
    peer_pid: Option<i32>,
) -> Result<(), Closing> {
    while let Some(size) = sidecast_wire::check(buffer, limits)? {
        match sidecast_wire::parse(&buffer[..size])? {
            Frame::Publish(publish) => match publication::from_frame(&publish) {
                Ok(publication) => {
                    hub.publish(&publication);
                }
                Err(reason) => {
                    tracing::warn!(connection, ?peer_pid, event = publish.event, %reason, "event refused")
                }
            },
            Frame::PublishAcked {
                request_id,
                publish,
            } => {
                let refused = match publication::from_frame(&publish) {
                    Ok(publication) => {
                        hub.publish(&publication);
                        None
                    }
                    Err(reason) => {
                        tracing::warn!(connection, ?peer_pid, event = publish.event, %reason, "event refused");
                        Some(reason.to_string())
                    }
                };
                Ack {
                    request_id,
                    refused: refused.as_deref(),
                }
                .encode(replies);
            }
            Frame::Query(query) => {
                let (ok, json) = match answers::answer(hub, query.question) {
                    Ok(answer) => (true, answer.to_string()),
                    Err(reason) => (false, serde_json::Value::String(reason).to_string()),
                };
                let outcome = if ok {
                    Ok(json.as_bytes())
                } else {
                    Err(json.as_bytes())
                };
                let result = QueryResult {
                    request_id: query.request_id,
                    outcome,
                };
                if let Err(error) = result.encode(replies) {
                    let reason =
                        serde_json::Value::String(format!("the answer is too large: {error}"))
                            .to_string();
                    QueryResult {
                        request_id: query.request_id,
                        outcome: Err(reason.as_bytes()),
                    }
                    .encode(replies)
                    .expect("a short error message always fits in a frame");
                }
            }
            Frame::Ack(_) => return Err(Closing::WrongDirection(128)),
            Frame::Result(_) => return Err(Closing::WrongDirection(129)),
        }
        buffer.advance(size);
    }
    Ok(())
}
