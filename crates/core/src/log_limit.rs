//! Log lines a client or a flood could repeat without end — an event dropped for a slow
//! subscriber, a client's events dropped past its backlog — are written at most once per
//! interval, each saying how many like it were held back since the last. The counters behind
//! them count every occurrence; the log only shows that it is happening.

use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// How often one kind of line may be written.
pub const LOG_INTERVAL: Duration = Duration::from_secs(10);

#[derive(Debug, Default)]
pub struct LogLimit(Mutex<State>);

#[derive(Debug, Default)]
struct State {
    last: Option<Instant>,
    held_back: u64,
}

impl LogLimit {
    /// Whether to write the line now: `Some(held_back)`, the lines not written since the last
    /// one, at most once per [`LOG_INTERVAL`]; `None` to hold this one back.
    pub fn check(&self) -> Option<u64> {
        self.check_at(Instant::now())
    }

    fn check_at(&self, now: Instant) -> Option<u64> {
        let mut state = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        match state.last {
            Some(last) if now.duration_since(last) < LOG_INTERVAL => {
                state.held_back += 1;
                None
            }
            _ => {
                state.last = Some(now);
                Some(std::mem::take(&mut state.held_back))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_per_interval_says_how_many_were_held_back() {
        let limit = LogLimit::default();
        let start = Instant::now();
        assert_eq!(limit.check_at(start), Some(0));
        for n in 1..=5_000 {
            assert_eq!(limit.check_at(start + Duration::from_micros(n)), None);
        }
        assert_eq!(limit.check_at(start + LOG_INTERVAL), Some(5_000));
        assert_eq!(limit.check_at(start + LOG_INTERVAL), None);
        assert_eq!(limit.check_at(start + LOG_INTERVAL * 3), Some(1));
    }
}
