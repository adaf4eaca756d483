//! One check for every connection, rather than a timer each: connections the server has heard
//! nothing from for the ping interval get a `pusher:ping`; those still silent after the pong
//! timeout are closed with 4201, which tells pusher-js to reconnect at once. A client that
//! receives events steadily never pings on its own, so the server cannot wait for it to. One
//! whose outbox has stayed full for as long as a pong may take is closed with 4100: it does
//! not read.

use std::sync::{Arc, Weak};
use std::time::Duration;

use sidecast_websocket::sweep;

use crate::socket::{Silence, Socket};
use crate::{FrontEnd, protocol};

/// How often connections are looked at, as a share of the ping interval: a connection is
/// pinged at most this much later than due.
const CHECKS_PER_INTERVAL: u32 = 4;

pub async fn check(front_end: Weak<FrontEnd>) {
    let Some(period) = front_end.upgrade().map(|f| every(f.config.ping_interval)) else {
        return;
    };
    sweep::every(period, front_end, sweep).await;
}

fn every(ping_interval: Duration) -> Duration {
    (ping_interval / CHECKS_PER_INTERVAL).max(Duration::from_millis(50))
}

fn sweep(front_end: &FrontEnd) {
    let config = &front_end.config;
    let ping_after = config.ping_interval.as_millis() as u64;
    let pong_wait = config.pong_timeout.min(config.ping_interval);
    let dead_after = ping_after + pong_wait.as_millis() as u64;
    let sockets: Vec<Arc<Socket>> = front_end.sockets().values().cloned().collect();
    let ping = Arc::<[u8]>::from(protocol::ping());
    for socket in sockets {
        // A client whose outbox has refused events for as long as a pong may take holds up to its byte
        // budget without reading it, and may still ping on its own: it is not reading.
        if socket
            .outbox
            .full_since()
            .is_some_and(|since| since.elapsed() >= pong_wait)
        {
            if let Some(held_back) = front_end.refusals_log.check() {
                tracing::info!(socket = %socket.id, limit_bytes = config.max_queued_bytes, like_these_since_last_line = held_back, "Pusher client closed: its buffer stayed full for as long as a pong may take, it does not read");
            }
            socket.refuse(4100, "Over capacity: the client is not reading");
            continue;
        }
        match socket.silence(ping_after, dead_after) {
            Silence::PingDue => {
                socket.mark_pinged();
                // Whatever the outbox holds: a client that neither reads nor answers goes.
                let _ = socket.outbox.push_control(ping.clone());
            }
            Silence::Dead => {
                tracing::debug!(socket = %socket.id, "no pong in time; closing");
                socket.refuse(4201, "Pong reply not received in time");
            }
            Silence::Recent | Silence::Waiting => {}
        }
    }
}
