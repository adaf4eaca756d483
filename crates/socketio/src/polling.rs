//! Engine.IO's long-polling transport: a session opens with a GET that returns the `open`
//! packet; then each GET waits until packets are queued and returns them all, and each POST
//! carries what the client sends. Once the session has moved to a WebSocket, polling ends.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::FrontEnd;
use crate::endpoint::{EngineError, new_session};
use crate::engine::{self, Version, payload};
use crate::receive;
use crate::session::{Handshake, PollRefused, Session};

/// Opens a session on polling: the answer is the `open` packet, offering the upgrade.
pub(crate) fn open(front_end: &Arc<FrontEnd>, version: Version, handshake: Handshake) -> Response {
    let session = new_session(front_end, version, handshake);
    let open = front_end.open_packet(&session, true);
    front_end.start(&session);
    tokio::spawn(end_when_closed(front_end.clone(), session));
    packets(version, &[open])
}

/// A session that polls is forgotten as soon as it closes, unless it moved to a WebSocket,
/// whose connection then does it.
async fn end_when_closed(front_end: Arc<FrontEnd>, session: Arc<Session>) {
    session.outbox.closing().await;
    if !session.transport.is_websocket() {
        front_end.forget(&session);
    }
}

/// A GET: waits for packets and returns them. A poll waiting when the session moves to its
/// WebSocket returns a no-op, so the client can finish the upgrade.
pub(crate) async fn poll(session: Arc<Session>) -> Response {
    let upgraded = session.transport.upgraded.notified();
    tokio::pin!(upgraded);
    upgraded.as_mut().enable();
    match session.transport.begin_poll() {
        Ok(()) => {}
        Err(PollRefused::Upgraded) => return EngineError::BadRequest.into_response(),
        Err(PollRefused::Overlap) => {
            tracing::debug!(socket = %session.socket_id, "two polls at once; closing");
            session.close();
            return EngineError::BadRequest.into_response();
        }
    }
    let _polling = PollEnds(&session);
    let mut batch = Vec::new();
    tokio::select! {
        _ = session.outbox.take(&mut batch) => {}
        () = upgraded => batch.push(engine::NOOP.into()),
    }
    packets(session.version, &batch)
}

/// Marks the poll over however it ends (the client may drop the request).
struct PollEnds<'a>(&'a Session);

impl Drop for PollEnds<'_> {
    fn drop(&mut self) {
        self.0.transport.end_poll();
    }
}

/// A POST: the packets the client sends. A body over the payload limit closes the session.
pub(crate) async fn post(
    front_end: &Arc<FrontEnd>,
    session: &Arc<Session>,
    body: Body,
) -> Response {
    if session.transport.is_websocket() {
        return EngineError::BadRequest.into_response();
    }
    let limit = front_end.config.max_payload as usize;
    let Ok(bytes) = axum::body::to_bytes(body, limit).await else {
        tracing::debug!(socket = %session.socket_id, limit, "polling body over the limit or broken; closing");
        session.close();
        return (StatusCode::PAYLOAD_TOO_LARGE, "Payload too large\n").into_response();
    };
    let decoded = std::str::from_utf8(&bytes)
        .ok()
        .and_then(|text| payload::decode(session.version, text).ok());
    let Some(packets) = decoded else {
        tracing::debug!(socket = %session.socket_id, "malformed polling body; closing");
        session.close();
        return EngineError::BadRequest.into_response();
    };
    // engine.io-parser 2 skips an empty packet (`0:`) rather than failing on it.
    for packet in packets.into_iter().filter(|packet| !packet.is_empty()) {
        receive::engine_packet(front_end, session, packet);
    }
    ([(header::CONTENT_TYPE, "text/html")], "ok").into_response()
}

fn packets(version: Version, packets: &[impl AsRef<[u8]>]) -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; charset=UTF-8")],
        payload::encode(version, packets),
    )
        .into_response()
}
