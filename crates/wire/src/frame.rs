//! Frame header and the two-phase decoder.
//!
//! Every frame starts with the same six bytes:
//!
//! | offset | size | field                                                      |
//! |--------|------|------------------------------------------------------------|
//! | 0      | 4    | `length`: bytes that follow this field, unsigned big-endian |
//! | 4      | 1    | `version`: [`VERSION`]                                     |
//! | 5      | 1    | `kind`: see [`Kind`]                                       |
//!
//! and the body of `length - 2` bytes follows. Decoding is split in two, as a stream reader
//! needs it: [`check`] looks only at the header and says whether a whole frame is buffered (so an
//! oversized or foreign frame is refused before its body is read), and [`parse`] then builds the
//! frame from exactly those bytes.

use crate::error::DecodeError;
use crate::listen::{Confirm, LifecycleEvent, Listen};
use crate::publish::Publish;
use crate::query::Query;
use crate::reader::Reader;
use crate::response::{Ack, QueryResult};

/// The protocol version this crate speaks.
pub const VERSION: u8 = 1;

/// Bytes before the body: length (4), version (1), kind (1).
pub const HEADER_LEN: usize = 6;

/// The largest frame the format allows, whatever a reader's [`Limits`] say. Writers refuse to
/// produce anything bigger.
pub const MAX_FRAME_BYTES: usize = 16 * 1024 * 1024;

/// What a frame carries. Values 1–127 are requests from PHP, 128–255 the sidecar's answers;
/// the unused ones are reserved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Kind {
    /// An event to broadcast; no answer is sent.
    Publish = 1,
    /// An event to broadcast, answered with an [`Ack`](Kind::Ack).
    PublishAcked = 2,
    /// A question about channels, answered with a [`Result`](Kind::Result).
    Query = 3,
    /// Turns the connection to listening for lifecycle events, answered with an
    /// [`Ack`](Kind::Ack), then [`Event`](Kind::Event)s.
    Listen = 4,
    /// The listener has handled the events up to a sequence number; not answered.
    Confirm = 5,
    /// The sidecar took or refused an acknowledged event.
    Ack = 128,
    /// The answer to a query.
    Result = 129,
    /// A lifecycle event, to a listening connection.
    Event = 130,
}

impl TryFrom<u8> for Kind {
    type Error = DecodeError;

    fn try_from(value: u8) -> Result<Self, Self::Error> {
        match value {
            1 => Ok(Kind::Publish),
            2 => Ok(Kind::PublishAcked),
            3 => Ok(Kind::Query),
            4 => Ok(Kind::Listen),
            5 => Ok(Kind::Confirm),
            128 => Ok(Kind::Ack),
            129 => Ok(Kind::Result),
            130 => Ok(Kind::Event),
            other => Err(DecodeError::UnknownKind(other)),
        }
    }
}

/// Limits a reader applies to incoming frames.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest accepted frame, header included, in bytes. At most [`MAX_FRAME_BYTES`].
    pub max_frame_bytes: usize,
}

impl Default for Limits {
    /// One mebibyte: far above any Laravel event payload, far below what a stuck writer could
    /// make the sidecar buffer.
    fn default() -> Self {
        Limits {
            max_frame_bytes: 1024 * 1024,
        }
    }
}

/// A decoded frame, borrowing its strings and payload from the read buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame<'a> {
    Publish(Publish<'a>),
    PublishAcked {
        request_id: u32,
        publish: Publish<'a>,
    },
    Query(Query<'a>),
    Listen(Listen),
    Confirm(Confirm),
    Ack(Ack<'a>),
    Result(QueryResult<'a>),
    Event(LifecycleEvent<'a>),
}

impl Frame<'_> {
    /// The kind this frame is sent as.
    pub fn kind(&self) -> Kind {
        match self {
            Frame::Publish(_) => Kind::Publish,
            Frame::PublishAcked { .. } => Kind::PublishAcked,
            Frame::Query(_) => Kind::Query,
            Frame::Listen(_) => Kind::Listen,
            Frame::Confirm(_) => Kind::Confirm,
            Frame::Ack(_) => Kind::Ack,
            Frame::Result(_) => Kind::Result,
            Frame::Event(_) => Kind::Event,
        }
    }
}

/// Phase one: is a whole, acceptable frame at the start of `buf`?
///
/// Returns `Ok(None)` while more bytes are needed (the normal state of a stream reader), and
/// `Ok(Some(n))` once the first `n` bytes of `buf` are one complete frame. The header is
/// validated as soon as it is here, so a frame that is too large, of another version or of an
/// unknown kind is refused without waiting for its body.
pub fn check(buf: &[u8], limits: &Limits) -> Result<Option<usize>, DecodeError> {
    let Some(length_field) = buf.first_chunk::<4>() else {
        return Ok(None);
    };
    let length = u32::from_be_bytes(*length_field);
    let size = 4 + u64::from(length);
    let limit = limits.max_frame_bytes.min(MAX_FRAME_BYTES);
    if size > limit as u64 {
        return Err(DecodeError::TooLarge { size, limit });
    }
    if length < 2 {
        return Err(DecodeError::TooShort { length });
    }
    if let Some(&version) = buf.get(4)
        && version != VERSION
    {
        return Err(DecodeError::UnsupportedVersion(version));
    }
    if let Some(&kind) = buf.get(5) {
        Kind::try_from(kind)?;
    }
    // `size` fits in usize: it is at most `limit`.
    let size = size as usize;
    Ok((buf.len() >= size).then_some(size))
}

/// Phase two: parse one complete frame, as delimited by [`check`].
pub fn parse(frame: &[u8]) -> Result<Frame<'_>, DecodeError> {
    if frame.len() < HEADER_LEN {
        return Err(DecodeError::Truncated("header"));
    }
    let (header, body) = frame.split_at(HEADER_LEN);
    let declared = u32::from_be_bytes([header[0], header[1], header[2], header[3]]) as usize;
    if declared + 4 != frame.len() {
        return Err(DecodeError::Truncated("body"));
    }
    if header[4] != VERSION {
        return Err(DecodeError::UnsupportedVersion(header[4]));
    }
    let mut reader = Reader(body);
    Ok(match Kind::try_from(header[5])? {
        Kind::Publish => {
            let publish = Publish::read(&mut reader)?;
            reader.finish()?;
            Frame::Publish(publish)
        }
        Kind::PublishAcked => {
            let request_id = reader.u32("request id")?;
            let publish = Publish::read(&mut reader)?;
            reader.finish()?;
            Frame::PublishAcked {
                request_id,
                publish,
            }
        }
        Kind::Query => Frame::Query(Query::read(reader)?),
        Kind::Listen => Frame::Listen(Listen::read(reader)?),
        Kind::Confirm => Frame::Confirm(Confirm::read(reader)?),
        Kind::Ack => Frame::Ack(Ack::read(reader)?),
        Kind::Result => Frame::Result(QueryResult::read(reader)?),
        Kind::Event => Frame::Event(LifecycleEvent::read(reader)?),
    })
}

/// Both phases at once: the next frame in `buf` and how many bytes it used, or `None` if
/// the frame is not complete yet.
pub fn decode<'a>(
    buf: &'a [u8],
    limits: &Limits,
) -> Result<Option<(Frame<'a>, usize)>, DecodeError> {
    match check(buf, limits)? {
        Some(size) => Ok(Some((parse(&buf[..size])?, size))),
        None => Ok(None),
    }
}

/// Writes a header for a body of `body_len` bytes. Used by the body encoders.
pub(crate) fn write_header(out: &mut Vec<u8>, kind: Kind, body_len: usize) {
    // Callers have checked `HEADER_LEN + body_len <= MAX_FRAME_BYTES`, which fits in u32.
    let length = (body_len + 2) as u32;
    out.extend_from_slice(&length.to_be_bytes());
    out.push(VERSION);
    out.push(kind as u8);
}
