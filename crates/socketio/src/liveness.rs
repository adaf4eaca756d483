//! One check for every session, rather than a timer each: Engine.IO 4 sessions are pinged
//! every interval and closed when the pong is late; Engine.IO 3 sessions are closed when
//! their own pings stop. Either way the check does not depend on what the outbox holds, so a
//! client that stopped reading cannot hide behind a full queue — and one whose outbox stays
//! full for the ping timeout is closed as well: it holds memory without reading it.

use std::sync::{Arc, Weak};
use std::time::Duration;

use sidecast_websocket::{Frame, sweep};

use crate::FrontEnd;
use crate::engine;
use crate::session::{Health, Session, Timing};

/// How often sessions are looked at, as a share of the shorter of the ping interval and
/// timeout: a ping or a close comes at most this much later than due.
const CHECKS_PER_PERIOD: u32 = 4;

pub(crate) async fn check(front_end: Weak<FrontEnd>) {
    let Some(period) = front_end.upgrade().map(|f| every(f.timing())) else {
        return;
    };
    sweep::every(period, front_end, sweep).await;
}

fn every(timing: Timing) -> Duration {
    (timing.ping_interval.min(timing.ping_timeout) / CHECKS_PER_PERIOD)
        .max(Duration::from_millis(50))
}

fn sweep(front_end: &FrontEnd) {
    let timing = front_end.timing();
    let sessions: Vec<Arc<Session>> = front_end.sessions().values().cloned().collect();
    let ping = Frame::from(engine::PING);
    for session in sessions {
        match session.health(timing) {
            Health::Alive => {}
            Health::PingDue => {
                session.mark_pinged();
                let _ = session.outbox.push_control(ping.clone());
            }
            Health::Dead(reason) => {
                tracing::debug!(socket = %session.socket_id, reason, "closing");
                session.close();
            }
            Health::NeverJoined => {
                tracing::debug!(socket = %session.socket_id, "never joined; closing");
                session.close();
            }
            Health::NotReading => {
                if session.close() {
                    front_end.not_reading(&session);
                }
            }
        }
    }
}
