//! A client's mistakes and floods — requests past its backlog, channels past the limit — are
//! answered or dropped one by one, but counted and logged together: at most one line per
//! interval (`LogLimit`), at info level, since they are the client's doing, not the server's.

use std::sync::atomic::{AtomicU64, Ordering};

use sidecast_core::LogLimit;

#[derive(Debug, Default)]
pub(crate) struct Refusals {
    since_start: AtomicU64,
    log: LogLimit,
}

impl Refusals {
    /// Counts one refusal of `what` (an event name) from `socket`, and logs it unless a line
    /// was written lately.
    pub(crate) fn record(&self, socket: &str, what: &'static str, reason: &dyn std::fmt::Display) {
        let total = self.since_start.fetch_add(1, Ordering::Relaxed) + 1;
        if let Some(held_back) = self.log.check() {
            tracing::info!(
                socket,
                event = what,
                %reason,
                refused_since_start = total,
                like_this_since_last_line = held_back,
                "a client's event was refused"
            );
        }
    }
}
