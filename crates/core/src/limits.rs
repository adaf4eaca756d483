//! Limits on what clients send (whispers), the same for every front end.

use std::sync::{Mutex, PoisonError};
use std::time::Instant;

/// How much one connection may send as client events (whispers). What is over a limit is
/// dropped. `Default` gives the values documented in `docs/configuration.md`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientEventLimits {
    /// Largest `data` of one client event, in bytes.
    pub max_bytes: usize,
    /// Client events one connection may send per second, on average…
    pub per_second: u32,
    /// …and in a burst.
    pub burst: u32,
}

impl Default for ClientEventLimits {
    fn default() -> Self {
        ClientEventLimits {
            max_bytes: 16 * 1024,
            per_second: 50,
            burst: 100,
        }
    }
}

impl ClientEventLimits {
    /// A fresh budget for one connection.
    pub fn limiter(&self) -> RateLimiter {
        RateLimiter::new(self.per_second, self.burst)
    }
}

/// A token bucket: `per_second` tokens a second, up to `burst` saved up.
#[derive(Debug)]
pub struct RateLimiter {
    per_second: f64,
    burst: f64,
    state: Mutex<(f64, Instant)>,
}

impl RateLimiter {
    pub fn new(per_second: u32, burst: u32) -> Self {
        let burst = f64::from(burst.max(1));
        RateLimiter {
            per_second: f64::from(per_second),
            burst,
            state: Mutex::new((burst, Instant::now())),
        }
    }

    /// Takes one token if there is one.
    pub fn allow(&self) -> bool {
        self.allow_at(Instant::now())
    }

    fn allow_at(&self, now: Instant) -> bool {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let (tokens, last) = &mut *state;
        let elapsed = now.saturating_duration_since(*last);
        *tokens = (*tokens + elapsed.as_secs_f64() * self.per_second).min(self.burst);
        *last = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn a_burst_is_allowed_then_the_rate_refills_it() {
        let limiter = RateLimiter::new(10, 3);
        let start = Instant::now();
        assert!((0..3).all(|_| limiter.allow_at(start)));
        assert!(!limiter.allow_at(start));
        assert!(limiter.allow_at(start + Duration::from_millis(100)));
        assert!(!limiter.allow_at(start + Duration::from_millis(100)));
        // A long pause refills at most the burst.
        let later = start + Duration::from_secs(60);
        assert!((0..3).all(|_| limiter.allow_at(later)));
        assert!(!limiter.allow_at(later));
    }
}
