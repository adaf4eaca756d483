//! Lifecycle events for `php artisan sidecast:listen`: the one connection that turns from
//! requests to listening.
//!
//! - `LISTEN` (4): `u32` request id. Answered by an `ACK`: accepted, or refused with the reason
//!   (lifecycle events are off, another listener is connected). After an accepted `ACK` the
//!   connection carries only `EVENT` frames to the listener and `CONFIRM` frames back.
//! - `CONFIRM` (5): `u64` sequence number: the listener has handled every event up to it, and
//!   the sidecar may forget them. Not answered.
//! - `EVENT` (130): `u64` sequence number (from 1, one more per event), `u64` when it happened
//!   (milliseconds since the Unix epoch), `u32` how many events were dropped right before this
//!   one unconfirmed (no listener within the buffer's bounds), `u32` length + JSON (the event as
//!   Pusher's webhooks write it: `{"name": "member_added", "channel": …, "user_id": …}`).

use crate::error::{DecodeError, EncodeError};
use crate::frame::{HEADER_LEN, Kind, MAX_FRAME_BYTES, write_header};
use crate::reader::Reader;

/// Asks the sidecar to send lifecycle events on this connection from now on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Listen {
    pub request_id: u32,
}

impl Listen {
    pub fn encode(&self, out: &mut Vec<u8>) {
        write_header(out, Kind::Listen, 4);
        out.extend_from_slice(&self.request_id.to_be_bytes());
    }

    pub(crate) fn read(mut reader: Reader<'_>) -> Result<Self, DecodeError> {
        let request_id = reader.u32("request id")?;
        reader.finish()?;
        Ok(Listen { request_id })
    }
}

/// The listener has handled every event up to `seq`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Confirm {
    pub seq: u64,
}

impl Confirm {
    pub fn encode(&self, out: &mut Vec<u8>) {
        write_header(out, Kind::Confirm, 8);
        out.extend_from_slice(&self.seq.to_be_bytes());
    }

    pub(crate) fn read(mut reader: Reader<'_>) -> Result<Self, DecodeError> {
        let seq = reader.u64("sequence number")?;
        reader.finish()?;
        Ok(Confirm { seq })
    }
}

/// One lifecycle event, sent to the listener.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LifecycleEvent<'a> {
    pub seq: u64,
    pub time_ms: u64,
    /// Events dropped, never confirmed, right before this one.
    pub missed: u32,
    /// The event as a webhook carries it, one JSON object.
    pub json: &'a [u8],
}

impl<'a> LifecycleEvent<'a> {
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        let body_len = 8 + 8 + 4 + 4 + self.json.len();
        if HEADER_LEN + body_len > MAX_FRAME_BYTES {
            return Err(EncodeError::FrameTooLarge {
                size: HEADER_LEN + body_len,
                max: MAX_FRAME_BYTES,
            });
        }
        write_header(out, Kind::Event, body_len);
        out.extend_from_slice(&self.seq.to_be_bytes());
        out.extend_from_slice(&self.time_ms.to_be_bytes());
        out.extend_from_slice(&self.missed.to_be_bytes());
        out.extend_from_slice(&(self.json.len() as u32).to_be_bytes());
        out.extend_from_slice(self.json);
        Ok(())
    }

    pub(crate) fn read(mut reader: Reader<'a>) -> Result<Self, DecodeError> {
        let seq = reader.u64("sequence number")?;
        let time_ms = reader.u64("time")?;
        let missed = reader.u32("missed count")?;
        let len = reader.u32("event length")? as usize;
        let json = reader.take(len, "event")?;
        reader.finish()?;
        Ok(LifecycleEvent {
            seq,
            time_ms,
            missed,
            json,
        })
    }
}
