//! A connection's message budget (`AppConfig::message_limit`), kept by its reading loop: a fixed
//! window that opens at the first message and lasts its length, as Laravel's `RateLimiter`
//! counts Reverb's `rate_limiting` attempts.

use std::time::Instant;

use crate::config::MessageLimit;

#[derive(Debug)]
pub struct MessageWindow {
    limit: MessageLimit,
    /// When the current window opened; none before the first message.
    opened: Option<Instant>,
    count: u32,
}

impl MessageWindow {
    pub fn new(limit: MessageLimit) -> Self {
        MessageWindow {
            limit,
            opened: None,
            count: 0,
        }
    }

    /// Whether a connection over the limit is closed rather than only refused.
    pub fn terminates(&self) -> bool {
        self.limit.terminate
    }

    /// Counts a message that arrived at `now`; false when it is over the limit.
    pub fn admit(&mut self, now: Instant) -> bool {
        let open = self
            .opened
            .is_some_and(|opened| now.duration_since(opened) < self.limit.window);
        if !open {
            self.opened = Some(now);
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
    fn the_window_opens_at_the_first_message_not_at_the_start() {
        let limit = MessageLimit {
            max: 1,
            window: Duration::from_secs(60),
            terminate: false,
        };
        let start = Instant::now();
        let mut window = MessageWindow::new(limit);
        let first = start + Duration::from_secs(50);
        assert!(window.admit(first));
        assert!(!window.admit(start + Duration::from_secs(100)));
        assert!(window.admit(first + Duration::from_secs(60)));
    }

    #[test]
    fn at_most_max_messages_per_window_then_a_new_window() {
        let limit = MessageLimit {
            max: 2,
            window: Duration::from_secs(60),
            terminate: false,
        };
        let start = Instant::now();
        let mut window = MessageWindow::new(limit);
        assert!(window.admit(start));
        assert!(window.admit(start + Duration::from_secs(59)));
        assert!(!window.admit(start + Duration::from_secs(59)));
        // Refused messages do not extend the window.
        assert!(window.admit(start + Duration::from_secs(60)));
        assert!(window.admit(start + Duration::from_secs(61)));
        assert!(!window.admit(start + Duration::from_secs(61)));
    }
}
