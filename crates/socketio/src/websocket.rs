//! Engine.IO over a WebSocket: either a session that starts on one (Echo's `transports:
//! ['websocket']`), or a polling session upgrading. The upgrade goes: the client opens a
//! WebSocket naming its session and sends the probe `2probe`; the server answers `3probe`
//! and makes a waiting poll return; the client, its polling paused, sends `5`, and from then
//! on the WebSocket carries the session. Frames, reading and the outbox are
//! `sidecast-websocket`'s; each queued packet is framed as it is written.

use std::sync::Arc;
use std::time::Duration;

use sidecast_core::metrics::Held;
use sidecast_websocket::frame::{self, Opcode};
use sidecast_websocket::upgrade::Stream;
use sidecast_websocket::{CLOSE_GRACE, Framing, Incoming, MessageReader, Refusal, serve};
use tokio::io::{AsyncWriteExt, ReadHalf, WriteHalf};

use crate::FrontEnd;
use crate::endpoint::new_session;
use crate::engine::{self, Packet, Version};
use crate::metrics::METRICS;
use crate::receive;
use crate::session::{Handshake, Session};

/// How long an upgrade may take from the WebSocket's opening to the client's `5`.
const UPGRADE_TIMEOUT: Duration = Duration::from_secs(10);

/// How often a poll left waiting during an upgrade is told to return.
const NUDGE_EVERY: Duration = Duration::from_millis(100);

/// Opens a session on this WebSocket and runs it.
pub(crate) async fn open(
    front_end: Arc<FrontEnd>,
    version: Version,
    handshake: Handshake,
    io: Stream,
) {
    let session = new_session(&front_end, version, handshake);
    session.transport.start_on_websocket();
    session.send(front_end.open_packet(&session, false));
    front_end.start(&session);
    let (read, write) = tokio::io::split(io);
    let reader = MessageReader::new(front_end.config.max_payload as usize);
    carry(&front_end, &session, reader, read, write).await;
}

/// Moves a polling session to this WebSocket, then runs it here.
pub(crate) async fn upgrade(front_end: Arc<FrontEnd>, session: Arc<Session>, io: Stream) {
    let (mut read, mut write) = tokio::io::split(io);
    let mut reader = MessageReader::new(front_end.config.max_payload as usize);
    if !session.transport.begin_upgrade() {
        tracing::debug!(socket = %session.socket_id, "second upgrade refused");
        let _ = write.write_all(&frame::encode_close(1008, "")).await;
        return;
    }
    let upgraded = tokio::time::timeout(
        UPGRADE_TIMEOUT,
        probe(&session, &mut reader, &mut read, &mut write),
    )
    .await;
    if !matches!(upgraded, Ok(true)) {
        tracing::debug!(socket = %session.socket_id, "upgrade not completed; polling goes on");
        session.transport.abandon_upgrade();
        let _ = tokio::time::timeout(CLOSE_GRACE, write.write_all(&frame::encode_close(1000, "")))
            .await;
        return;
    }
    tracing::debug!(socket = %session.socket_id, "upgraded to a WebSocket");
    carry(&front_end, &session, reader, read, write).await;
}

/// The upgrade's exchange; true once the client sent `5`.
async fn probe(
    session: &Session,
    reader: &mut MessageReader,
    read: &mut ReadHalf<Stream>,
    write: &mut WriteHalf<Stream>,
) -> bool {
    let mut probed = false;
    let mut nudges = tokio::time::interval(NUDGE_EVERY);
    loop {
        let incoming = tokio::select! {
            incoming = reader.next(read) => incoming,
            _ = nudges.tick() => {
                nudge(session, probed);
                continue;
            }
        };
        let Ok(Incoming::Text(text)) = incoming else {
            // Control frames have no place in an upgrade's few messages; the end of the
            // connection ends it.
            if matches!(incoming, Ok(Incoming::Ping(_) | Incoming::Pong)) {
                continue;
            }
            return false;
        };
        if session.is_closing() {
            return false;
        }
        match Packet::parse(&text) {
            Ok(Packet::Ping("probe")) if !probed => {
                let answer = frame::encode(Opcode::Text, engine::PROBE_ANSWER);
                if write.write_all(&answer).await.is_err() {
                    return false;
                }
                probed = true;
                nudge(session, probed);
            }
            Ok(Packet::Upgrade) if probed => {
                session.heard();
                session.transport.finish_upgrade();
                return true;
            }
            _ => return false,
        }
    }
}

/// Makes a poll that is waiting return (with a no-op), so the client can pause polling.
fn nudge(session: &Session, probed: bool) {
    if probed && session.transport.is_polled() {
        let _ = session.outbox.push_control(engine::NOOP.into());
    }
}

/// Reads and writes the session until either ends, then forgets it.
async fn carry(
    front_end: &Arc<FrontEnd>,
    session: &Arc<Session>,
    mut reader: MessageReader,
    mut read: ReadHalf<Stream>,
    mut write: WriteHalf<Stream>,
) {
    let _on_websocket = Held::new(&METRICS.websockets);
    serve(
        &session.outbox,
        &mut write,
        Framing::Texts,
        read_all(front_end, session, &mut reader, &mut read),
        |()| {
            session.close();
        },
    )
    .await;
    session.close();
    front_end.forget(session);
}

/// Handles what the client sends until it closes, the connection ends, or the session closes.
async fn read_all(
    front_end: &Arc<FrontEnd>,
    session: &Arc<Session>,
    reader: &mut MessageReader,
    read: &mut ReadHalf<Stream>,
) {
    loop {
        let incoming = match reader.next(read).await {
            Ok(incoming) => incoming,
            Err(error) => {
                tracing::debug!(socket = %session.socket_id, %error, "WebSocket read ended");
                return;
            }
        };
        match incoming {
            Incoming::Text(text) => receive::engine_packet(front_end, session, &text),
            // socket.io clients do not ping at the WebSocket level; a ping still shows life.
            Incoming::Ping(_) | Incoming::Pong => session.heard(),
            Incoming::Close(code) => {
                tracing::debug!(socket = %session.socket_id, ?code, "the client closed");
                return;
            }
            Incoming::Refused(Refusal::Binary) => {
                tracing::debug!(socket = %session.socket_id, "binary message ignored");
            }
            Incoming::Refused(Refusal::TooLarge { bytes }) => {
                let limit = front_end.config.max_payload;
                front_end.refusals.record(
                    session.socket_id.as_str(),
                    "message",
                    &format!("{bytes} bytes, over the limit of {limit}; closing"),
                );
                return;
            }
        }
        if session.is_closing() {
            return;
        }
    }
}
