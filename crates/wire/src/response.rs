//! The sidecar's answers, on the connection the request came from, in the order of the
//! requests.
//!
//! - `ACK` (128): `u32` request id, `u8` status (0 accepted, 1 refused), `u16` length + UTF-8
//!   reason (empty when accepted). Answers `PUBLISH_ACKED`.
//! - `RESULT` (129): `u32` request id, `u8` status (0 ok, 1 error), `u32` length + JSON (the
//!   answer, or the error message as a JSON string). Answers `QUERY`.

use crate::error::{DecodeError, EncodeError};
use crate::frame::{Kind, MAX_FRAME_BYTES, write_header};
use crate::reader::Reader;

/// The answer to an acknowledged publish.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ack<'a> {
    pub request_id: u32,
    /// Why the sidecar did not take the event, if it did not.
    pub refused: Option<&'a str>,
}

impl<'a> Ack<'a> {
    pub fn encode(&self, out: &mut Vec<u8>) {
        // A reason longer than a u16 can count is cut at a character boundary.
        let reason = self.refused.map_or("", |reason| {
            let mut end = reason.len().min(usize::from(u16::MAX));
            while !reason.is_char_boundary(end) {
                end -= 1;
            }
            &reason[..end]
        });
        write_header(out, Kind::Ack, 4 + 1 + 2 + reason.len());
        out.extend_from_slice(&self.request_id.to_be_bytes());
        out.push(u8::from(self.refused.is_some()));
        out.extend_from_slice(&(reason.len() as u16).to_be_bytes());
        out.extend_from_slice(reason.as_bytes());
    }

    pub(crate) fn read(mut reader: Reader<'a>) -> Result<Self, DecodeError> {
        let request_id = reader.u32("request id")?;
        let status = reader.u8("status")?;
        let reason = reader.str("reason")?;
        reader.finish()?;
        match status {
            0 => Ok(Ack {
                request_id,
                refused: None,
            }),
            1 => Ok(Ack {
                request_id,
                refused: Some(reason),
            }),
            other => Err(DecodeError::UnknownStatus(other)),
        }
    }
}

/// The answer to a query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueryResult<'a> {
    pub request_id: u32,
    /// `Ok(json)` with the answer, or `Err(json)` with the error message as a JSON string.
    pub outcome: Result<&'a [u8], &'a [u8]>,
}

impl<'a> QueryResult<'a> {
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        let (status, json) = match self.outcome {
            Ok(json) => (0u8, json),
            Err(json) => (1, json),
        };
        let size = crate::frame::HEADER_LEN + 4 + 1 + 4 + json.len();
        if size > MAX_FRAME_BYTES {
            return Err(EncodeError::FrameTooLarge {
                size,
                max: MAX_FRAME_BYTES,
            });
        }
        write_header(out, Kind::Result, 4 + 1 + 4 + json.len());
        out.extend_from_slice(&self.request_id.to_be_bytes());
        out.push(status);
        out.extend_from_slice(&(json.len() as u32).to_be_bytes());
        out.extend_from_slice(json);
        Ok(())
    }

    pub(crate) fn read(mut reader: Reader<'a>) -> Result<Self, DecodeError> {
        let request_id = reader.u32("request id")?;
        let status = reader.u8("status")?;
        let len = reader.u32("result length")? as usize;
        let json = reader.take(len, "result")?;
        reader.finish()?;
        let outcome = match status {
            0 => Ok(json),
            1 => Err(json),
            other => return Err(DecodeError::UnknownStatus(other)),
        };
        Ok(QueryResult {
            request_id,
            outcome,
        })
    }
}
