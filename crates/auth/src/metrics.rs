//! What channel authorization did, for the server's census: outcomes by method, and how long
//! the app took to answer.

use serde::Serialize;
use sidecast_core::AuthDenied;
use sidecast_core::metrics::{Counter, Histogram, HistogramSnapshot, Stopwatch};

/// This process's authorization figures.
pub static METRICS: AuthMetrics = AuthMetrics::new();

#[derive(Debug)]
pub struct AuthMetrics {
    asked: Outcomes,
    signed: Outcomes,
    /// From sending the request to the app to its answer, waiting for a slot included.
    latency: Histogram,
}

#[derive(Debug)]
struct Outcomes {
    allowed: Counter,
    refused: Counter,
    failed: Counter,
    unusable: Counter,
    bad_signature: Counter,
}

impl Outcomes {
    const fn new() -> Self {
        Outcomes {
            allowed: Counter::new(),
            refused: Counter::new(),
            failed: Counter::new(),
            unusable: Counter::new(),
            bad_signature: Counter::new(),
        }
    }

    fn count<T>(&self, result: &Result<T, AuthDenied>) {
        match result {
            Ok(_) => self.allowed.inc(),
            Err(AuthDenied::Refused(_)) => self.refused.inc(),
            Err(AuthDenied::Failed(_)) => self.failed.inc(),
            Err(AuthDenied::Unusable(_)) => self.unusable.inc(),
            Err(AuthDenied::BadSignature(_)) => self.bad_signature.inc(),
        }
    }

    fn snapshot(&self) -> OutcomeCounts {
        OutcomeCounts {
            allowed: self.allowed.get(),
            refused: self.refused.get(),
            failed: self.failed.get(),
            unusable: self.unusable.get(),
            bad_signature: self.bad_signature.get(),
        }
    }
}

impl AuthMetrics {
    const fn new() -> Self {
        AuthMetrics {
            asked: Outcomes::new(),
            signed: Outcomes::new(),
            latency: Histogram::new(),
        }
    }

    pub(crate) fn asked<T>(&self, result: &Result<T, AuthDenied>, started: Stopwatch) {
        self.asked.count(result);
        self.latency.observe_since(started);
    }

    pub(crate) fn signed<T>(&self, result: &Result<T, AuthDenied>) {
        self.signed.count(result);
    }

    pub fn snapshot(&self) -> AuthFigures {
        AuthFigures {
            asked_app: self.asked.snapshot(),
            signature: self.signed.snapshot(),
            app_latency: self.latency.snapshot(),
        }
    }
}

/// Authorizations since start-up.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct AuthFigures {
    /// Those decided by asking the Laravel app (socket.io clients).
    pub asked_app: OutcomeCounts,
    /// Those decided by checking the app's signature (Pusher clients, sign-ins).
    pub signature: OutcomeCounts,
    /// How long the app took to answer.
    pub app_latency: HistogramSnapshot,
}

/// Authorizations by outcome; see [`AuthDenied`] for the refusals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct OutcomeCounts {
    pub allowed: u64,
    /// The app answered with a status other than 200.
    pub refused: u64,
    /// The app could not be asked: unreachable, too slow, or too many requests waiting.
    pub failed: u64,
    /// The app's answer could not be used.
    pub unusable: u64,
    /// The signature was not the app's.
    pub bad_signature: u64,
}
