//! The stamp every measured event carries, and the clock it is read from.
//!
//! A stamp is the event's sequence number and the time it was handed to the ingest path, in
//! nanoseconds of `CLOCK_MONOTONIC`. That clock is system-wide, so a receiver in another
//! generator process on the same host could measure against it too; it never jumps with
//! wall-clock adjustments.

use nix::time::{ClockId, clock_gettime};
use serde::{Deserialize, Serialize};

/// The event name of measured events (`Echo.channel(…).listen('.Tick')`).
pub const TICK: &str = "Tick";
/// The event name of readiness probes, published until every client has seen one.
pub const PROBE: &str = "Probe";

/// Nanoseconds of `CLOCK_MONOTONIC`.
pub fn now_ns() -> u64 {
    let now = clock_gettime(ClockId::CLOCK_MONOTONIC).expect("CLOCK_MONOTONIC is always readable");
    // Both parts are non-negative for CLOCK_MONOTONIC.
    now.tv_sec() as u64 * 1_000_000_000 + now.tv_nsec() as u64
}

/// The part of an event's data the generator reads back. Other keys (Laravel's `socket`,
/// the padding) are ignored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stamp {
    pub seq: u64,
    pub sent_ns: u64,
}

impl Stamp {
    /// The event data as Laravel would send it: the stamp, `pad` with `padding` bytes when
    /// asked for, and `"socket": null` as Laravel leaves it in every payload.
    pub fn payload(&self, padding: &str) -> String {
        let pad = if padding.is_empty() {
            String::new()
        } else {
            format!(r#","pad":"{padding}""#)
        };
        format!(
            r#"{{"seq":{},"sent_ns":{}{pad},"socket":null}}"#,
            self.seq, self.sent_ns
        )
    }
}

/// Padding of `bytes` characters that need no escaping in JSON.
pub fn padding(bytes: usize) -> String {
    "x".repeat(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_payload_reads_back_as_its_stamp() {
        let stamp = Stamp {
            seq: 42,
            sent_ns: 1_234_567_890_123,
        };
        for pad in [String::new(), padding(200)] {
            let payload = stamp.payload(&pad);
            let value: serde_json::Value = serde_json::from_str(&payload).unwrap();
            assert_eq!(value["socket"], serde_json::Value::Null);
            assert_eq!(value.get("pad").is_some(), !pad.is_empty());
            assert_eq!(serde_json::from_str::<Stamp>(&payload).unwrap(), stamp);
        }
        assert_eq!(
            stamp.payload(""),
            r#"{"seq":42,"sent_ns":1234567890123,"socket":null}"#
        );
    }

    #[test]
    fn the_clock_moves_forward() {
        let first = now_ns();
        let second = now_ns();
        assert!(first > 0);
        assert!(second >= first);
    }
}
