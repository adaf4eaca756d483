//! Why a frame could not be decoded or encoded.
//!
//! Decoding errors are an enum rather than a boxed error because the ingest path logs them per
//! connection and counts them; every variant reads as a complete sentence in a log line.

use thiserror::Error;

/// A frame the decoder refuses. The connection it came from cannot be trusted to be at a frame
/// boundary any more, so the reader closes it after logging this.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DecodeError {
    #[error("frame of {size} bytes exceeds the limit of {limit} bytes")]
    TooLarge { size: u64, limit: usize },
    #[error("frame length {length} is too small to hold a version and a kind")]
    TooShort { length: u32 },
    #[error("unsupported protocol version {0} (this sidecar speaks version {version})", version = crate::frame::VERSION)]
    UnsupportedVersion(u8),
    #[error("unknown frame kind {0}")]
    UnknownKind(u8),
    #[error("frame ends inside the {0} field")]
    Truncated(&'static str),
    #[error("{0} trailing bytes after the last field of the frame")]
    TrailingBytes(usize),
    #[error("the {0} field is not valid UTF-8")]
    InvalidUtf8(&'static str),
    #[error("the {0} field is empty")]
    Empty(&'static str),
    #[error("unknown query {0}")]
    UnknownQuestion(u8),
    #[error("unknown status {0}")]
    UnknownStatus(u8),
}

/// Values that cannot be put into a frame. Raised before any byte is written.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum EncodeError {
    #[error("the {field} is {len} bytes long, more than the {max} bytes allowed")]
    TooLong {
        field: &'static str,
        len: usize,
        max: usize,
    },
    #[error("the {0} must not be empty")]
    Empty(&'static str),
    #[error("the {0} must not contain control characters")]
    ControlCharacter(&'static str),
    #[error("{len} channels are more than the {max} one frame can carry")]
    TooMany { len: usize, max: usize },
    #[error("an event needs at least one channel")]
    NoChannels,
    #[error("the frame would be {size} bytes, more than the protocol maximum of {max} bytes")]
    FrameTooLarge { size: usize, max: usize },
}
