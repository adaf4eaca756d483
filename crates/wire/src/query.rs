//! `QUERY`: a question to the sidecar about its channels, answered by a `RESULT` frame.
//!
//! Body: `u32` request id, `u8` question (1 channels, 2 channel, 3 members, 4 stats), then the
//! argument as `u16` length + UTF-8 (a channel-name prefix for `channels`, a channel name for
//! `channel` and `members`, empty for `stats`).

use crate::error::{DecodeError, EncodeError};
use crate::frame::{Kind, MAX_FRAME_BYTES, write_header};
use crate::reader::Reader;

/// What is asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Question<'a> {
    /// Occupied channels whose names start with the prefix.
    Channels { prefix: &'a str },
    /// Subscriber and user counts of one channel.
    Channel { name: &'a str },
    /// The members of a presence channel.
    Members { channel: &'a str },
    /// The sidecar's counters.
    Stats,
}

/// A question with the id its answer will carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Query<'a> {
    pub request_id: u32,
    pub question: Question<'a>,
}

impl<'a> Query<'a> {
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        let (code, argument) = match self.question {
            Question::Channels { prefix } => (1u8, prefix),
            Question::Channel { name } => (2, name),
            Question::Members { channel } => (3, channel),
            Question::Stats => (4, ""),
        };
        if argument.len() > usize::from(u16::MAX) {
            return Err(EncodeError::TooLong {
                field: "query argument",
                len: argument.len(),
                max: usize::from(u16::MAX),
            });
        }
        let body_len = 4 + 1 + 2 + argument.len();
        debug_assert!(body_len < MAX_FRAME_BYTES);
        write_header(out, Kind::Query, body_len);
        out.extend_from_slice(&self.request_id.to_be_bytes());
        out.push(code);
        out.extend_from_slice(&(argument.len() as u16).to_be_bytes());
        out.extend_from_slice(argument.as_bytes());
        Ok(())
    }

    pub(crate) fn read(mut reader: Reader<'a>) -> Result<Self, DecodeError> {
        let request_id = reader.u32("request id")?;
        let code = reader.u8("question")?;
        let argument = reader.str("query argument")?;
        reader.finish()?;
        let question = match code {
            1 => Question::Channels { prefix: argument },
            2 => Question::Channel { name: argument },
            3 => Question::Members { channel: argument },
            4 => Question::Stats,
            other => return Err(DecodeError::UnknownQuestion(other)),
        };
        Ok(Query {
            request_id,
            question,
        })
    }
}
