//! The last events published, kept only while someone watches them (the operator's
//! dashboard): while nobody does, a publication pays one atomic load for this. Bounded: the
//! last [`KEPT`] events, each with a name, a channel and a size — and its payload only when the
//! watcher asks for payloads (development mode), cut to [`PAYLOAD_SHOWN`] bytes.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Serialize;

use super::Hub;
use crate::message::Payload;
use crate::names::{ChannelName, EventName};

/// Events kept for the watcher.
pub const KEPT: usize = 200;
/// How long events are kept after the watcher last asked: a dashboard asks every second.
const WATCH_FOR: Duration = Duration::from_secs(10);
/// Bytes of a payload kept, in development mode.
pub const PAYLOAD_SHOWN: usize = 256;

/// Numbers events across every hub of the process, so several apps' events merge in order.
static SEQUENCE: AtomicU64 = AtomicU64::new(0);

/// One event as the watcher sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecentEvent {
    pub seq: u64,
    /// When it was published, in milliseconds since the Unix epoch.
    pub at_ms: u64,
    /// Its first channel.
    pub channel: String,
    /// How many channels it was published on.
    pub channels: usize,
    pub event: String,
    /// The payload's size in bytes.
    pub bytes: usize,
    /// A client event (whisper) rather than a server event.
    pub client_event: bool,
    /// The payload's first bytes, in development mode only.
    pub payload: Option<String>,
}

#[derive(Debug, Default)]
pub(crate) struct Recent {
    /// Until when events are kept (ms since the epoch); 0 when nobody watches.
    watched_until_ms: AtomicU64,
    keep_payloads: AtomicBool,
    events: Mutex<VecDeque<RecentEvent>>,
}

impl Recent {
    pub(crate) fn record(
        &self,
        channels: &[ChannelName],
        event: &EventName,
        payload: &Payload,
        client_event: bool,
    ) {
        let until = self.watched_until_ms.load(Ordering::Relaxed);
        if until == 0 {
            return;
        }
        let now = now_ms();
        if now > until {
            // Only if no watcher renewed it meanwhile.
            let expired = self.watched_until_ms.compare_exchange(
                until,
                0,
                Ordering::Relaxed,
                Ordering::Relaxed,
            );
            if expired.is_ok() {
                self.lock().clear();
            }
            return;
        }
        let text = payload.as_str();
        let shown = self.keep_payloads.load(Ordering::Relaxed).then(|| {
            let mut end = text.len().min(PAYLOAD_SHOWN);
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            text[..end].to_owned()
        });
        let mut events = self.lock();
        // Numbered under the lock, so a watcher never sees a number before a lower one.
        let recent = RecentEvent {
            seq: SEQUENCE.fetch_add(1, Ordering::Relaxed) + 1,
            at_ms: now,
            channel: channels
                .first()
                .map_or_else(String::new, ToString::to_string),
            channels: channels.len(),
            event: event.to_string(),
            bytes: text.len(),
            client_event,
            payload: shown,
        };
        if events.len() == KEPT {
            events.pop_front();
        }
        events.push_back(recent);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<RecentEvent>> {
        self.events.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Hub {
    /// The events kept with a number above `after`, oldest first; and keeps recording those
    /// published over the next seconds (with their payloads if `payloads`).
    pub fn watch_events(&self, after: u64, payloads: bool) -> Vec<RecentEvent> {
        let recent = &self.recent;
        recent.keep_payloads.store(payloads, Ordering::Relaxed);
        let until = now_ms() + WATCH_FOR.as_millis() as u64;
        recent.watched_until_ms.store(until, Ordering::Relaxed);
        recent
            .lock()
            .iter()
            .filter(|event| event.seq > after)
            .cloned()
            .collect()
    }
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_millis() as u64)
}

#[cfg(test)]
mod tests {
    use crate::{ChannelName, EventName, Hub, Payload, Publication};

    fn publish(hub: &Hub, channel: &str, payload: &str) {
        hub.publish(&Publication {
            channels: vec![ChannelName::new(channel).unwrap()],
            event: EventName::new("Shipped").unwrap(),
            payload: Payload::from_json(payload.as_bytes()).unwrap(),
            except: None,
            origin: crate::Origin::ThisNode,
        });
    }

    #[test]
    fn events_are_kept_only_once_watched_and_only_the_last_ones() {
        let hub = Hub::new();
        publish(&hub, "before", "{}");
        assert!(
            hub.watch_events(0, false).is_empty(),
            "nothing kept while nobody watched"
        );
        for i in 0..super::KEPT + 5 {
            publish(&hub, &format!("orders-{i}"), r#"{"secret":"s3cr3t"}"#);
        }
        let kept = hub.watch_events(0, false);
        assert_eq!(kept.len(), super::KEPT);
        assert_eq!(kept[0].channel, "orders-5");
        assert_eq!(kept.last().unwrap().bytes, r#"{"secret":"s3cr3t"}"#.len());
        assert!(
            kept.iter().all(|event| event.payload.is_none()),
            "no payload unless asked"
        );
        let last = kept.last().unwrap().seq;
        assert!(hub.watch_events(last, false).is_empty());

        hub.watch_events(last, true);
        publish(
            &hub,
            "orders",
            &format!(r#"{{"long":"{}"}}"#, "é".repeat(1000)),
        );
        let shown = hub.watch_events(last, true);
        let payload = shown[0].payload.as_deref().unwrap();
        assert!(payload.len() <= super::PAYLOAD_SHOWN && payload.starts_with(r#"{"long":"é"#));
    }
}
