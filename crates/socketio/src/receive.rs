//! What a client sends, whichever transport brought it: Engine.IO packets (pings, the close),
//! and inside them socket.io packets (joining the default namespace, Echo's `subscribe`,
//! `unsubscribe` and `client event`). Requests go to the session's inbox, to be applied in
//! order; what is refused at once — a flood of requests or whispers, another namespace — is
//! answered or dropped here.

use std::sync::Arc;

use crate::engine::{self, Version};
use crate::inbox::{self, Job, MAX_WAITING_REQUESTS};
use crate::packet::{self, DEFAULT_NAMESPACE, Incoming};
use crate::session::Session;
use crate::{FrontEnd, channels, whisper};

/// Handles one Engine.IO packet. A packet that is not Engine.IO closes the session, as
/// Engine.IO servers do; a socket.io packet that cannot be read is the client's mistake, and
/// is ignored.
pub(crate) fn engine_packet(front_end: &Arc<FrontEnd>, session: &Arc<Session>, text: &str) {
    session.heard();
    match engine::Packet::parse(text) {
        Ok(engine::Packet::Message(text)) => socket_io_packet(front_end, session, text),
        Ok(engine::Packet::Ping(data)) if session.version == Version::V3 => {
            let mut pong = engine::PONG.to_vec();
            pong.extend_from_slice(data.as_bytes());
            session.send(pong);
        }
        // A pong, a no-op, or a ping Engine.IO 4 clients do not send: being heard is all.
        Ok(engine::Packet::Ping(_) | engine::Packet::Pong(_) | engine::Packet::Noop) => {}
        Ok(engine::Packet::Close) => {
            tracing::debug!(socket = %session.socket_id, "the client closed");
            session.close();
        }
        Ok(engine::Packet::Upgrade) => {
            tracing::debug!(socket = %session.socket_id, "upgrade packet outside an upgrade ignored");
        }
        Err(error) => {
            tracing::debug!(socket = %session.socket_id, %error, "closing");
            session.close();
        }
    }
}

fn socket_io_packet(front_end: &Arc<FrontEnd>, session: &Arc<Session>, text: &str) {
    let id = &session.socket_id;
    let packet = match Incoming::parse(text) {
        Ok(packet) => packet,
        Err(error) => {
            front_end.refusals.record(id.as_str(), "packet", &error);
            return;
        }
    };
    match packet {
        Incoming::Connect { namespace } if namespace != DEFAULT_NAMESPACE => {
            tracing::debug!(socket = %id, namespace, "connect to another namespace refused");
            session.send(packet::connect_error(
                session.version,
                namespace,
                "Invalid namespace",
            ));
        }
        Incoming::Connect { .. } => {
            // socket.io-client 2 joined at once; a repeated connect changes nothing.
            if session.ask_to_join() {
                inbox::submit(front_end, session, Job::Join);
            }
        }
        Incoming::Disconnect { namespace } if namespace == DEFAULT_NAMESPACE => {
            tracing::debug!(socket = %id, "the client left");
            session.close();
        }
        Incoming::Event { .. } if !session.has_asked_to_join() => {
            tracing::debug!(socket = %id, "event before joining ignored");
        }
        Incoming::Event { name, argument } => request(front_end, session, &name, argument),
        Incoming::Disconnect { .. } | Incoming::Ignored(_) => {
            tracing::debug!(socket = %id, ?packet, "ignored");
        }
    }
}

fn request(
    front_end: &Arc<FrontEnd>,
    session: &Arc<Session>,
    name: &str,
    argument: serde_json::Value,
) {
    let id = session.socket_id.as_str();
    let (job, what) = match name {
        "subscribe" => (Job::Subscribe(argument), "subscribe"),
        "unsubscribe" => (Job::Unsubscribe(argument), "unsubscribe"),
        "client event" if !whisper::within_budget(front_end, session) => {
            tracing::debug!(socket = id, "client event dropped: over the rate limit");
            return;
        }
        "client event" => (Job::Whisper(argument), "client event"),
        _ => {
            tracing::debug!(socket = id, event = name, "unknown event ignored");
            return;
        }
    };
    let waiting = session.inbox.waiting();
    if waiting >= MAX_WAITING_REQUESTS {
        let reason = format!("{waiting} requests of this socket are waiting");
        front_end.refusals.record(id, what, &reason);
        if let Job::Subscribe(request) = &job
            && let Some(channel) = channels::channel_of(request)
        {
            channels::refuse(session, channel, channels::TOO_MANY);
        }
        return;
    }
    inbox::submit(front_end, session, job);
}
