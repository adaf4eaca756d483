//! A connection's message budget (`Config::message_limit`), kept by its reading loop: a fixed
//! window that opens at the first message and lasts its length, as Laravel's `RateLimiter`
//! counts Reverb's `rate_limiting` attempts.

use std::time::Instant;

use crate::config::MessageLimit;

#[derive(Debug)]
pub struct MessageWindow {
    limit: MessageLimit,
    opened: Instant,
    count: u32,
}

impl MessageWindow {
    pub fn new(limit: MessageLimit, now: Instant) -> Self {
        MessageWindow {
            limit,
            opened: now,
            count: 0,
        }
    }

    /// Whether a connection over the limit is closed rather than only refused.
    pub fn terminates(&self) -> bool {
        self.limit.terminate
    }

    /// Counts a message that arrived at `now`; false when it is over the limit.
    pub fn admit(&mut self, now: Instant) -> bool {
        if now.duration_since(self.opened) >= self.limit.window {
            self.opened = now;
            self.count = 0;
        }
        if self.count >= self.limit.max {
            return false;
        }
        self.count += 1;
        true
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn at_most_max_messages_per_window_then_a_new_window() {
        let limit = MessageLimit {
            max: 2,
            window: Duration::from_secs(60),
            terminate: false,
        };
        let start = Instant::now();
        let mut window = MessageWindow::new(limit, start);
        assert!(window.admit(start));
        assert!(window.admit(start + Duration::from_secs(59)));
        assert!(!window.admit(start + Duration::from_secs(59)));
        // Refused messages do not extend the window.
        assert!(window.admit(start + Duration::from_secs(60)));
        assert!(window.admit(start + Duration::from_secs(61)));
        assert!(!window.admit(start + Duration::from_secs(61)));
    }
}
