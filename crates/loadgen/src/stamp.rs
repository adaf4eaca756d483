//! The stamp every measured event carries, and the clock it is read from.
//!
//! A stamp is the event's sequence number and the time it was handed to the ingest path, in
//! nanoseconds of `CLOCK_MONOTONIC`. That clock is system-wide, so a receiver in another
//! generator process on the same host could measure against it too; it never jumps with
//! wall-clock adjustments. Moments a bench has to set against its own actions (a process it
//! killed, a server it restarted) are reported by the wall clock as well, see [`unix_ms`].

use nix::time::{ClockId, clock_gettime};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::protocol::json_text;

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

/// The wall-clock time of `monotonic_ns` (a reading of [`now_ns`]), in milliseconds since the
/// Unix epoch: what `date +%s%3N` prints at that moment. Both clocks are read now and the
/// distance is carried back, so only a wall-clock step in between would shift it.
pub fn unix_ms(monotonic_ns: u64) -> f64 {
    let wall = clock_gettime(ClockId::CLOCK_REALTIME).expect("CLOCK_REALTIME is always readable");
    let wall_ns = wall.tv_sec() as f64 * 1e9 + wall.tv_nsec() as f64;
    let ago_ns = now_ns() as f64 - monotonic_ns as f64;
    (wall_ns - ago_ns) / 1e6
}

/// The part of an event's data the generator reads back. Other keys (Laravel's `socket`,
/// the padding) are ignored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stamp {
    pub seq: u64,
    pub sent_ns: u64,
}

impl Stamp {
    /// The stamp in an event's data, which a socket.io server passes as the JSON object and a
    /// Pusher server as a JSON string holding it; `None` when neither holds a stamp.
    pub fn read(data: &RawValue) -> Option<Stamp> {
        serde_json::from_str(&json_text(data).ok()?).ok()
    }

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
    fn a_monotonic_reading_is_placed_on_the_wall_clock() {
        let wall = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs_f64()
            * 1000.0;
        let second_ago = unix_ms(now_ns() - 1_000_000_000);
        assert!(
            (wall - 1000.0 - second_ago).abs() < 50.0,
            "{wall} {second_ago}"
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
