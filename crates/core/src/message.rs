//! What travels from the ingest step to the subscribers.

use std::any::TypeId;
use std::fmt;
use std::sync::{Arc, OnceLock};

use serde_json::value::RawValue;
use thiserror::Error;

use crate::names::{ChannelName, EventName, SocketId};
use crate::presence::Member;

/// An event's data: JSON text, checked once when it enters the sidecar and then shared, never
/// re-parsed, by every delivery. Front ends embed it verbatim in their own framing.
#[derive(Clone)]
pub struct Payload(Arc<RawValue>);

/// A payload that is not JSON.
#[derive(Debug, Error)]
#[error("payload is not valid JSON: {0}")]
pub struct InvalidPayload(#[from] serde_json::Error);

impl Payload {
    /// Checks that `bytes` are one JSON value (whitespace around it is kept as is).
    pub fn from_json(bytes: &[u8]) -> Result<Self, InvalidPayload> {
        let text = std::str::from_utf8(bytes)
            .map_err(|e| InvalidPayload(<serde_json::Error as serde::de::Error>::custom(e)))?;
        let raw = RawValue::from_string(text.to_owned())?;
        Ok(Payload(Arc::from(raw)))
    }

    /// A payload from raw JSON a deserializer has already checked.
    pub fn from_raw(raw: Box<RawValue>) -> Self {
        Payload(Arc::from(raw))
    }

    /// A payload from a value already parsed (what a client sent).
    pub fn from_value(value: &serde_json::Value) -> Self {
        let raw =
            serde_json::value::to_raw_value(value).expect("a serde_json::Value always serializes");
        Payload(Arc::from(raw))
    }

    /// The payload as a raw JSON value, for front ends that serialize it with serde.
    pub fn as_raw(&self) -> &RawValue {
        &self.0
    }

    pub fn as_str(&self) -> &str {
        self.0.get()
    }
}

impl PartialEq for Payload {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl fmt::Debug for Payload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Payload").field(&self.0.get()).finish()
    }
}

/// One event for one or more channels, as a publisher (Laravel) sent it.
#[derive(Debug, Clone)]
pub struct Publication {
    pub channels: Vec<ChannelName>,
    pub event: EventName,
    pub payload: Payload,
    /// The connection that caused the event; it does not receive it (`toOthers()`), on
    /// whichever node it is connected.
    pub except: Option<SocketId>,
    /// Where it entered, which decides whether other nodes must be told of it.
    pub origin: Origin,
}

/// Where a publication entered the cluster. Every event enters at exactly one place, and
/// only an event that entered at this node is passed on to the others: passing on what every
/// node receives anyway would deliver it twice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// At this node: PHP over the Unix socket, the HTTP API.
    ThisNode,
    /// At every node on its own: Laravel's `redis` broadcaster, which each node subscribes to.
    EveryNode,
    /// At another node, which passed it on.
    OtherNode,
}

/// A client event (Echo's `whisper`): sent by one client to the others in a private or
/// presence channel.
#[derive(Debug, Clone)]
pub struct Whisper {
    pub channel: ChannelName,
    /// `client-…`, as Echo names whispers.
    pub event: EventName,
    pub payload: Payload,
}

/// What one subscriber receives: the event, on the channel it subscribed to.
#[derive(Debug, Clone, Copy)]
pub struct Message<'a> {
    pub channel: &'a ChannelName,
    pub event: &'a EventName,
    pub payload: &'a Payload,
    /// For a client event in a presence channel: the user who sent it. The Pusher protocol
    /// tells the receivers (`user_id`); socket.io does not.
    pub sender: Option<&'a Member>,
    /// The message as a front end encodes it for all of its sockets alike, made by the first
    /// of them to receive it. The hub makes one per channel of a publication.
    pub shared: &'a SharedFrame,
}

/// The encodings of a [`Message`], each shared by every socket of the front end that made it:
/// a front end whose sockets all receive the same bytes for a message encodes it once per
/// channel instead of once per socket. Each front end names its encoding by a type of its
/// own, so the core knows none of them.
#[derive(Default)]
pub struct SharedFrame([OnceLock<(TypeId, Arc<[u8]>)>; ENCODINGS]);

/// How many front ends' encodings a message keeps; a further front end encodes for each of
/// its sockets.
const ENCODINGS: usize = 2;

impl SharedFrame {
    /// The encoding named by `E`, made by `encode` if no socket has needed it yet.
    pub fn get_or_encode<E: 'static>(&self, encode: impl FnOnce() -> Vec<u8>) -> Arc<[u8]> {
        let wanted = TypeId::of::<E>();
        let mut encode = Some(encode);
        for slot in &self.0 {
            let (kind, bytes) = slot.get_or_init(|| {
                let encode = encode.take().expect("one slot is filled per call");
                (wanted, Arc::from(encode()))
            });
            // A slot just filled by this call holds the wanted encoding.
            if *kind == wanted {
                return bytes.clone();
            }
        }
        Arc::from(encode.map(|encode| encode()).unwrap_or_default())
    }
}

impl fmt::Debug for SharedFrame {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let encoded: Vec<usize> = self
            .0
            .iter()
            .filter_map(|slot| slot.get().map(|(_, bytes)| bytes.len()))
            .collect();
        f.debug_struct("SharedFrame")
            .field("encoded", &encoded)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_front_end_gets_its_own_encoding_made_once() {
        struct First;
        struct Second;
        struct Third;
        let shared = SharedFrame::default();
        assert_eq!(&*shared.get_or_encode::<First>(|| b"one".to_vec()), b"one");
        assert_eq!(&*shared.get_or_encode::<Second>(|| b"two".to_vec()), b"two");
        assert_eq!(&*shared.get_or_encode::<First>(|| unreachable!()), b"one");
        assert_eq!(&*shared.get_or_encode::<Second>(|| unreachable!()), b"two");
        // Past the slots, still the right bytes, made each time.
        assert_eq!(&*shared.get_or_encode::<Third>(|| b"3".to_vec()), b"3");
    }

    #[test]
    fn payloads_must_be_json() {
        assert_eq!(
            Payload::from_json(br#"{"a":[1,2]}"#)
                .map(|p| p.as_str().to_owned())
                .ok(),
            Some(r#"{"a":[1,2]}"#.to_owned())
        );
        assert!(Payload::from_json(b"\"text\"").is_ok());
        for bad in [
            &b""[..],
            b"{",
            b"{} {}",
            b"nope",
            b"\xff\xfe",
            b"{\"a\":1}x",
        ] {
            let error = Payload::from_json(bad).expect_err("not JSON");
            assert!(error.to_string().starts_with("payload is not valid JSON"));
        }
    }
}
