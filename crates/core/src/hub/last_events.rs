//! Cache channels (`cache-`, `private-cache-`, `private-encrypted-cache-`, `presence-cache-`, as
//! Pusher names them): the last event published on each is kept for an hour, and a socket that
//! subscribes gets it right after its subscription takes effect — or is told there is none
//! ([`Notice::CacheMiss`]). Only published events count, not whispers.
//!
//! Kept per node: in a cluster every node receives every publication and keeps it too, but a
//! node that starts later knows only what was published since.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::message::{Message, Payload, Publication, SharedFrame};
use crate::names::{ChannelName, EventName};
use crate::subscriber::{Notice, Subscriber, Undelivered};

/// How long a channel's last event is replayed.
pub const LAST_EVENT_TTL: Duration = Duration::from_secs(3600);

/// Channels whose last event is kept at most; past it, expired ones are forgotten first and a
/// new channel is not kept until there is room.
pub const MAX_CACHE_CHANNELS: usize = 100_000;

/// Expired events are also forgotten after this many are kept, so that they do not stay in
/// memory until the limit is reached.
const PURGE_EVERY: usize = 1024;

pub(super) struct LastEvents {
    state: Mutex<State>,
    ttl: Duration,
}

#[derive(Default)]
struct State {
    entries: HashMap<ChannelName, LastEvent>,
    kept_since_purge: usize,
}

struct LastEvent {
    event: EventName,
    payload: Payload,
    at: Instant,
}

/// A cache channel's last event, as the HTTP API shows it (`info=cache`).
#[derive(Debug, Clone, PartialEq)]
pub struct CachedEvent {
    pub event: EventName,
    pub payload: Payload,
    /// How much longer it is kept.
    pub ttl: Duration,
}

impl Default for LastEvents {
    fn default() -> Self {
        Self::with_ttl(LAST_EVENT_TTL)
    }
}

impl LastEvents {
    pub(super) fn with_ttl(ttl: Duration) -> Self {
        LastEvents {
            state: Mutex::default(),
            ttl,
        }
    }

    /// Keeps `publication` as the last event of each of its cache channels. Called under the
    /// registry's read lock, so a socket subscribing meanwhile either receives the event or
    /// finds it here, never neither nor both.
    pub(super) fn keep(&self, publication: &Publication) {
        let mut cached = publication
            .channels
            .iter()
            .filter(|channel| channel.is_cache())
            .peekable();
        if cached.peek().is_none() {
            return;
        }
        let now = Instant::now();
        let mut state = self.lock();
        for channel in cached {
            let full = state.entries.len() >= MAX_CACHE_CHANNELS;
            if (full && !state.entries.contains_key(channel))
                || state.kept_since_purge >= PURGE_EVERY
            {
                state
                    .entries
                    .retain(|_, last| now.duration_since(last.at) < self.ttl);
                state.kept_since_purge = 0;
            }
            if state.entries.len() >= MAX_CACHE_CHANNELS && !state.entries.contains_key(channel) {
                tracing::warn!(%channel, limit = MAX_CACHE_CHANNELS, "cache channel limit reached; its last event is not kept");
                continue;
            }
            let last = LastEvent {
                event: publication.event.clone(),
                payload: publication.payload.clone(),
                at: now,
            };
            state.entries.insert(channel.clone(), last);
            state.kept_since_purge += 1;
        }
    }

    /// Gives a socket that just subscribed to a cache channel its last event, or tells it
    /// there is none.
    pub(super) fn replay(
        &self,
        subscriber: &dyn Subscriber,
        channel: &ChannelName,
    ) -> Result<(), Undelivered> {
        let state = self.lock();
        match state
            .entries
            .get(channel)
            .filter(|last| last.at.elapsed() < self.ttl)
        {
            Some(last) => subscriber.deliver(Message {
                channel,
                event: &last.event,
                payload: &last.payload,
                sender: None,
                shared: &SharedFrame::default(),
            }),
            None => subscriber.notify(Notice::CacheMiss { channel }),
        }
    }

    /// The last event of `channel` still kept, and how much longer it will be.
    pub(super) fn get(&self, channel: &ChannelName) -> Option<CachedEvent> {
        let state = self.lock();
        let last = state.entries.get(channel)?;
        let ttl = self
            .ttl
            .checked_sub(last.at.elapsed())
            .filter(|left| !left.is_zero())?;
        Some(CachedEvent {
            event: last.event.clone(),
            payload: last.payload.clone(),
            ttl,
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::Origin;

    struct Last(Mutex<Vec<String>>);

    impl Subscriber for Last {
        fn deliver(&self, message: Message<'_>) -> Result<(), Undelivered> {
            self.0.lock().unwrap().push(message.event.to_string());
            Ok(())
        }

        fn notify(&self, _: Notice<'_>) -> Result<(), Undelivered> {
            self.0.lock().unwrap().push("miss".into());
            Ok(())
        }
    }

    #[test]
    fn an_expired_last_event_is_a_miss() {
        let channel = ChannelName::new("cache-a").unwrap();
        let publication = Publication {
            channels: vec![channel.clone()],
            event: EventName::new("E").unwrap(),
            payload: Payload::from_json(b"{}").unwrap(),
            except: None,
            origin: Origin::ThisNode,
        };
        let fresh = LastEvents::default();
        let expired = LastEvents::with_ttl(Duration::ZERO);
        fresh.keep(&publication);
        expired.keep(&publication);
        let seen = Last(Mutex::default());
        fresh.replay(&seen, &channel).unwrap();
        expired.replay(&seen, &channel).unwrap();
        assert_eq!(*seen.0.lock().unwrap(), ["E", "miss"]);

        let kept = fresh.get(&channel).unwrap();
        assert_eq!((kept.event.as_str(), kept.payload.as_str()), ("E", "{}"));
        assert!(kept.ttl > Duration::ZERO && kept.ttl <= LAST_EVENT_TTL);
        assert_eq!(expired.get(&channel), None);
        assert_eq!(fresh.get(&ChannelName::new("cache-b").unwrap()), None);
    }
}
