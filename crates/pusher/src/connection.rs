//! The life of one Pusher connection: the handshake message, then reading and writing side by
//! side until either ends, then leaving the hub.
//!
//! Messages are handled one at a time in the order the client sent them, so a subscribe is in
//! effect before a client event sent after it, and an unsubscribe after a subscribe leaves the
//! connection out of the channel.

use std::sync::Arc;
use std::time::Instant;

use sidecast_core::SocketId;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadHalf};

use crate::FrontEnd;
use crate::commands;
use sidecast_websocket::frame::{self, Opcode};
use sidecast_websocket::{
    CLOSE_GRACE, Framing, Incoming, MessageReader, Refusal as Skipped, serve,
};

use crate::handshake::Refusal;
use crate::message_limit::MessageWindow;
use crate::metrics::METRICS;
use crate::protocol;
use crate::socket::Socket;

pub async fn run<Io>(front_end: Arc<FrontEnd>, io: Io)
where
    Io: AsyncRead + AsyncWrite + Send + Unpin + 'static,
{
    let (mut read, mut write) = tokio::io::split(io);
    let Some(socket) = register(&front_end) else {
        METRICS.refused_over_quota.inc();
        if let Some(held_back) = front_end.refusals_log.check() {
            tracing::info!(app = %front_end.config.app.id, limit = ?front_end.config.max_connections, like_these_since_last_line = held_back, "Pusher connection refused: over the connection quota");
        }
        return send_refusal(&mut write, OVER_QUOTA).await;
    };
    let _counted = METRICS.connections.open();
    socket.send(protocol::connection_established(
        socket.id.as_str(),
        front_end.config.activity_timeout.as_secs().max(1),
    ));
    tracing::debug!(socket = %socket.id, "Pusher client connected");

    serve(
        &socket.outbox,
        &mut write,
        Framing::Frames,
        read_all(&front_end, &socket, &mut read),
        |code| {
            socket.outbox.close(code, "");
        },
    )
    .await;

    front_end.sockets().remove(&socket.id);
    let left = front_end.hub.disconnect(&socket.id);
    tracing::debug!(socket = %socket.id, channels_left = left, "Pusher client disconnected");
}

const OVER_QUOTA: Refusal = Refusal {
    code: 4004,
    message: "Application is over connection quota",
};

/// Refuses a connection refused as it opened (see `handshake`).
pub async fn refuse<Io: AsyncWrite + Unpin>(mut io: Io, refusal: Refusal) {
    METRICS.refused(refusal.code);
    send_refusal(&mut io, refusal).await;
}

/// Sends a refusal on a connection that was never registered: `pusher:error`, then a close
/// frame with the same code.
async fn send_refusal<W: AsyncWrite + Unpin>(write: &mut W, Refusal { code, message }: Refusal) {
    let mut bytes = protocol::error(Some(code), message);
    bytes.extend(frame::encode_close(code, message));
    let _ = tokio::time::timeout(CLOSE_GRACE, write.write_all(&bytes)).await;
}

/// A new socket with a fresh id, known to the hub and to the front end; `None` if the app has
/// as many connections as it may. Counted and added under one lock, so the quota is exact.
fn register(front_end: &Arc<FrontEnd>) -> Option<Arc<Socket>> {
    let mut sockets = front_end.sockets();
    if front_end
        .config
        .max_connections
        .is_some_and(|max| sockets.len() >= max)
    {
        return None;
    }
    loop {
        let id = new_socket_id();
        let socket = Arc::new(Socket::new(
            id.clone(),
            front_end.config.max_queued_frames,
            front_end.config.max_queued_bytes,
            front_end.epoch,
        ));
        // Ids are random; a collision is retried rather than shared.
        if front_end.hub.connect(id.clone(), socket.clone()) {
            sockets.insert(id, socket.clone());
            return Some(socket);
        }
    }
}

/// `<u32>.<u32>` from the OS's random source, as Pusher servers make them. It cannot be a
/// socket.io id (those have no `.`), so `toOthers()` works across both front ends.
fn new_socket_id() -> SocketId {
    let id = format!("{}.{}", rand::random::<u32>(), rand::random::<u32>());
    SocketId::new(&id).expect("a short, printable id")
}

/// Handles what the client sends until the connection is to close; returns the code of the
/// close frame it gets (the client's own, echoed, when it closed).
async fn read_all<Io: AsyncRead>(
    front_end: &FrontEnd,
    socket: &Socket,
    read: &mut ReadHalf<Io>,
) -> u16 {
    let mut reader = MessageReader::new(front_end.config.max_message_bytes);
    let mut budget = front_end.config.message_limit.map(MessageWindow::new);
    loop {
        let incoming = match reader.next(read).await {
            Ok(incoming) => incoming,
            Err(error) => {
                tracing::debug!(socket = %socket.id, %error, "Pusher connection read ended");
                if let Some(code) = error.close_code() {
                    socket.outbox.close(code, &error.to_string());
                }
                return 1000;
            }
        };
        socket.heard();
        match incoming {
            Incoming::Text(_)
                if budget
                    .as_mut()
                    .is_some_and(|window| !window.admit(Instant::now())) =>
            {
                let terminate = budget.as_ref().is_some_and(MessageWindow::terminates);
                tracing::debug!(socket = %socket.id, terminate, "message over the connection's limit refused");
                if terminate {
                    socket.refuse(4301, "Rate limit exceeded");
                } else {
                    socket.send(protocol::error(Some(4301), "Rate limit exceeded"));
                }
            }
            Incoming::Text(text) => commands::handle(front_end, socket, &text).await,
            Incoming::Ping(payload) => {
                socket.send(frame::encode(Opcode::Pong, &payload));
            }
            Incoming::Pong => {}
            Incoming::Close(code) => {
                tracing::debug!(socket = %socket.id, ?code, "the client closed");
                return code.unwrap_or(1000);
            }
            Incoming::Refused(Skipped::Binary) => {
                tracing::debug!(socket = %socket.id, "binary message refused");
                socket.send(protocol::error(None, "Binary messages are not supported"));
            }
            Incoming::Refused(Skipped::TooLarge { bytes }) => {
                let limit = front_end.config.max_message_bytes;
                if let Some(held_back) = front_end.refusals_log.check() {
                    tracing::info!(socket = %socket.id, bytes, limit, like_these_since_last_line = held_back, "over-size message refused");
                }
                let message = format!("Message of {bytes} bytes refused: the limit is {limit}");
                socket.send(protocol::error(Some(4301), &message));
            }
        }
        if socket.outbox.is_closing() {
            return 1000;
        }
    }
}
