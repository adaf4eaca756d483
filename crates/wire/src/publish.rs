//! The `PUBLISH` frame: one event for one or more channels.
//!
//! Body layout (all integers unsigned big-endian):
//!
//! | size          | field                                                     |
//! |---------------|-----------------------------------------------------------|
//! | 2             | channel count, at least 1                                 |
//! | 2 + n, each   | channel name: length, then UTF-8 bytes (not empty)        |
//! | 2 + n         | event name: length, then UTF-8 bytes (not empty)          |
//! | 2 + n         | socket id to exclude: length (0 = none), then UTF-8 bytes |
//! | 4 + n         | payload: length, then the bytes (JSON text)               |
//!
//! Names are limited further than their length fields allow, so that whatever a writer can
//! encode the sidecar accepts: channel names at most [`MAX_CHANNEL_NAME_BYTES`], event names at
//! most [`MAX_EVENT_NAME_BYTES`], socket ids at most [`MAX_SOCKET_ID_BYTES`], none of them with
//! control characters. The decoder checks only the structure; the sidecar's core applies the
//! same name rules. The payload is not looked into here: writers and the sidecar check that it
//! is JSON.

use crate::error::{DecodeError, EncodeError};
use crate::frame::{HEADER_LEN, Kind, MAX_FRAME_BYTES, write_header};
use crate::reader::Reader;

/// Longest channel name a writer may send, in bytes.
pub const MAX_CHANNEL_NAME_BYTES: usize = 200;
/// Longest event name a writer may send, in bytes.
pub const MAX_EVENT_NAME_BYTES: usize = 255;
/// Longest socket id a writer may send, in bytes.
pub const MAX_SOCKET_ID_BYTES: usize = 64;

/// An event to broadcast, as it travels on the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Publish<'a> {
    /// Channel names exactly as Laravel formats them (`orders`, `private-orders.1`, …).
    pub channels: Vec<&'a str>,
    /// The event name clients listen for (`App\Events\OrderShipped`, or `broadcastAs()`).
    pub event: &'a str,
    /// The socket that caused the event, excluded from delivery (`toOthers()`).
    pub socket_id: Option<&'a str>,
    /// The event's data as JSON text.
    pub payload: &'a [u8],
}

impl<'a> Publish<'a> {
    /// Appends this event as one complete `PUBLISH` frame to `out`. Nothing is written on
    /// error.
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        let body_len = self.body_len(0)?;
        out.reserve(HEADER_LEN + body_len);
        write_header(out, Kind::Publish, body_len);
        self.write_body(out);
        Ok(())
    }

    /// Appends this event as one `PUBLISH_ACKED` frame: the sidecar answers `request_id` with
    /// an [`Ack`](crate::Ack) once it has accepted or refused the event.
    pub fn encode_acked(&self, request_id: u32, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        let body_len = self.body_len(4)?;
        out.reserve(HEADER_LEN + body_len);
        write_header(out, Kind::PublishAcked, body_len);
        out.extend_from_slice(&request_id.to_be_bytes());
        self.write_body(out);
        Ok(())
    }

    fn write_body(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&(self.channels.len() as u16).to_be_bytes());
        for channel in &self.channels {
            put_short(out, channel.as_bytes());
        }
        put_short(out, self.event.as_bytes());
        put_short(out, self.socket_id.unwrap_or("").as_bytes());
        out.extend_from_slice(&(self.payload.len() as u32).to_be_bytes());
        out.extend_from_slice(self.payload);
    }

    /// Validates every field against the format and returns the body's size, `extra` bytes
    /// before the event included.
    fn body_len(&self, extra: usize) -> Result<usize, EncodeError> {
        if self.channels.is_empty() {
            return Err(EncodeError::NoChannels);
        }
        if self.channels.len() > usize::from(u16::MAX) {
            return Err(EncodeError::TooMany {
                len: self.channels.len(),
                max: usize::from(u16::MAX),
            });
        }
        let mut len = extra + 2;
        for channel in &self.channels {
            len += 2 + name_len("channel name", channel, MAX_CHANNEL_NAME_BYTES)?;
        }
        len += 2 + name_len("event name", self.event, MAX_EVENT_NAME_BYTES)?;
        if let Some(socket_id) = self.socket_id {
            len += 2 + name_len("socket id", socket_id, MAX_SOCKET_ID_BYTES)?;
        } else {
            len += 2;
        }
        len += 4 + self.payload.len();
        let size = HEADER_LEN + len;
        if size > MAX_FRAME_BYTES {
            return Err(EncodeError::FrameTooLarge {
                size,
                max: MAX_FRAME_BYTES,
            });
        }
        Ok(len)
    }

    /// Reads an event from `reader` (the rest of a `PUBLISH` or `PUBLISH_ACKED` body).
    pub(crate) fn read(reader: &mut Reader<'a>) -> Result<Self, DecodeError> {
        let count = reader.u16("channel count")?;
        if count == 0 {
            return Err(DecodeError::Empty("channel list"));
        }
        let mut channels = Vec::with_capacity(usize::from(count).min(64));
        for _ in 0..count {
            channels.push(reader.non_empty_str("channel name")?);
        }
        let event = reader.non_empty_str("event name")?;
        let socket_id = reader.str("socket id")?;
        let payload_len = reader.u32("payload length")? as usize;
        let payload = reader.take(payload_len, "payload")?;
        Ok(Publish {
            channels,
            event,
            socket_id: (!socket_id.is_empty()).then_some(socket_id),
            payload,
        })
    }
}

/// Checks a name against the rules above and returns its length.
fn name_len(field: &'static str, value: &str, max: usize) -> Result<usize, EncodeError> {
    if value.is_empty() {
        return Err(EncodeError::Empty(field));
    }
    if value.len() > max {
        return Err(EncodeError::TooLong {
            field,
            len: value.len(),
            max,
        });
    }
    if value.chars().any(char::is_control) {
        return Err(EncodeError::ControlCharacter(field));
    }
    Ok(value.len())
}

fn put_short(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(&(bytes.len() as u16).to_be_bytes());
    out.extend_from_slice(bytes);
}
