//! Client messages out of WebSocket frames: text messages reassembled from their fragments,
//! control frames as they come, and what is refused — binary messages and messages over the
//! size limit — skipped as it streams in, never buffered.
//!
//! The read buffer starts small (an idle connection holds only that) and is given back after a
//! large message.

use std::io;

use bytes::{Buf, BytesMut};
use thiserror::Error;
use tokio::io::{AsyncRead, AsyncReadExt};

use crate::frame::{FrameError, Opcode, parse_header, unmask};

/// What is read at a time; Pusher messages are a few hundred bytes.
const READ_CHUNK: usize = 512;

/// A buffer larger than this is given back once empty.
const KEPT_CAPACITY: usize = 4096;

/// The most the buffer grows by at a time while a frame's payload arrives.
const GROWTH_STEP: usize = 64 * 1024;

/// One thing a client sent.
#[derive(Debug, PartialEq, Eq)]
pub enum Incoming {
    Text(String),
    Ping(Vec<u8>),
    Pong,
    /// The client closes, with its status code if it gave one.
    Close(Option<u16>),
    /// A message that was skipped; the connection goes on.
    Refused(Refusal),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The Pusher protocol is JSON text; binary messages have no meaning.
    Binary,
    /// Over the size limit, with the size it would have had.
    TooLarge { bytes: u64 },
}

/// Why reading stopped: the connection is over.
#[derive(Debug, Error)]
pub enum ReadError {
    #[error("the connection ended")]
    Ended,
    #[error(transparent)]
    Io(#[from] io::Error),
    #[error(transparent)]
    Protocol(#[from] FrameError),
    #[error("a continuation frame came without a message to continue")]
    StrayContinuation,
    #[error("a new message started before the last one ended")]
    Interleaved,
    #[error("a text message or close reason is not UTF-8")]
    NotUtf8,
    #[error("a close frame with a code no peer may send")]
    BadClose,
}

impl ReadError {
    /// The close code the connection gets, if one can still be sent.
    pub fn close_code(&self) -> Option<u16> {
        match self {
            ReadError::Ended | ReadError::Io(_) => None,
            ReadError::NotUtf8 => Some(1007),
            _ => Some(1002),
        }
    }
}

/// The message being reassembled.
#[derive(Debug)]
struct Partial {
    /// Skipped rather than kept: binary, or over the limit.
    skipped: Option<Refusal>,
    text: Vec<u8>,
    /// Payload bytes announced so far, kept or not.
    announced: u64,
}

#[derive(Debug)]
pub struct MessageReader {
    buffer: BytesMut,
    max_message_bytes: usize,
    partial: Option<Partial>,
    /// Payload bytes still to skip, and whether the skipped message ends with them.
    skipping: u64,
    skipped_message_ends: bool,
}

impl MessageReader {
    pub fn new(max_message_bytes: usize) -> Self {
        MessageReader {
            buffer: BytesMut::new(),
            max_message_bytes,
            partial: None,
            skipping: 0,
            skipped_message_ends: false,
        }
    }

    /// The next message, control frame or refusal.
    pub async fn next(&mut self, io: &mut (impl AsyncRead + Unpin)) -> Result<Incoming, ReadError> {
        loop {
            if let Some(incoming) = self.take_buffered()? {
                if self.buffer.is_empty() && self.buffer.capacity() > KEPT_CAPACITY {
                    self.buffer = BytesMut::new();
                }
                return Ok(incoming);
            }
            if self.buffer.capacity() - self.buffer.len() < READ_CHUNK {
                self.buffer.reserve(READ_CHUNK);
            }
            if io.read_buf(&mut self.buffer).await? == 0 {
                return Err(ReadError::Ended);
            }
        }
    }

    /// Takes what the buffered bytes complete, if anything.
    fn take_buffered(&mut self) -> Result<Option<Incoming>, ReadError> {
        loop {
            if self.skipping > 0 || self.skipped_message_ends {
                let skipped = self.skipping.min(self.buffer.len() as u64);
                self.buffer.advance(skipped as usize);
                self.skipping -= skipped;
                if self.skipping > 0 {
                    return Ok(None);
                }
                if std::mem::take(&mut self.skipped_message_ends) {
                    let partial = self.partial.take().expect("a skipped message");
                    let refusal = match partial.skipped.expect("it was skipped") {
                        Refusal::TooLarge { .. } => Refusal::TooLarge {
                            bytes: partial.announced,
                        },
                        binary => binary,
                    };
                    return Ok(Some(Incoming::Refused(refusal)));
                }
            }
            let Some((header, header_len)) = parse_header(&self.buffer)? else {
                return Ok(None);
            };
            let len = header.payload_len;
            if header.opcode.is_control() {
                let Some(mut payload) = self.take_payload(header_len, len as usize) else {
                    return Ok(None);
                };
                unmask(&mut payload, header.mask, 0);
                return control(header.opcode, payload).map(Some);
            }
            // Nothing changes until the frame is taken: a frame not yet whole is parsed again.
            let (announced, skipped) = match (header.opcode, &self.partial) {
                (Opcode::Continuation, Some(partial)) => (partial.announced, partial.skipped),
                (Opcode::Continuation, None) => return Err(ReadError::StrayContinuation),
                (_, Some(_)) => return Err(ReadError::Interleaved),
                (opcode, None) => (0, (opcode == Opcode::Binary).then_some(Refusal::Binary)),
            };
            let announced = announced.saturating_add(len);
            let skipped = skipped.or_else(|| {
                (announced > self.max_message_bytes as u64)
                    .then_some(Refusal::TooLarge { bytes: 0 })
            });
            if skipped.is_some() {
                self.buffer.advance(header_len);
                self.skipping = len;
                self.skipped_message_ends = header.fin;
                self.partial = Some(Partial {
                    skipped,
                    text: Vec::new(),
                    announced,
                });
                continue;
            }
            let Some(mut payload) = self.take_payload(header_len, len as usize) else {
                return Ok(None);
            };
            unmask(&mut payload, header.mask, 0);
            let partial = self.partial.get_or_insert_with(|| Partial {
                skipped: None,
                text: Vec::new(),
                announced: 0,
            });
            partial.announced = announced;
            partial.text.extend_from_slice(&payload);
            if header.fin {
                let text = self.partial.take().expect("a message being read").text;
                let text = String::from_utf8(text).map_err(|_| ReadError::NotUtf8)?;
                return Ok(Some(Incoming::Text(text)));
            }
        }
    }

    /// The frame's payload, once all of it is buffered.
    fn take_payload(&mut self, header_len: usize, len: usize) -> Option<Vec<u8>> {
        if self.buffer.len() < header_len + len {
            // Grown as the bytes come, not for what a header announces before sending it.
            let missing = header_len + len - self.buffer.len();
            self.buffer.reserve(missing.min(GROWTH_STEP));
            return None;
        }
        self.buffer.advance(header_len);
        Some(self.buffer.split_to(len).to_vec())
    }
}

fn control(opcode: Opcode, payload: Vec<u8>) -> Result<Incoming, ReadError> {
    Ok(match opcode {
        Opcode::Ping => Incoming::Ping(payload),
        Opcode::Pong => Incoming::Pong,
        _ => Incoming::Close(close_code(&payload)?),
    })
}

/// A close frame's code, checked as RFC 6455 §7.4 says: none, or one a peer may send, with a
/// UTF-8 reason.
fn close_code(payload: &[u8]) -> Result<Option<u16>, ReadError> {
    match payload {
        [] => Ok(None),
        [_] => Err(ReadError::BadClose),
        [high, low, reason @ ..] => {
            let code = u16::from_be_bytes([*high, *low]);
            if !matches!(code, 1000..=1003 | 1007..=1014 | 3000..=4999) {
                return Err(ReadError::BadClose);
            }
            std::str::from_utf8(reason).map_err(|_| ReadError::NotUtf8)?;
            Ok(Some(code))
        }
    }
}

#[cfg(test)]
mod tests;
