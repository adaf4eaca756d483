//! WebSocket framing (RFC 6455), the server's side: the frames clients send are read from a
//! header and a masked payload, and the frames the server sends are encoded whole, once, so
//! the same bytes can go to every socket (a server's frames are not masked).
//!
//! No extension is negotiated, so the reserved bits must be clear.

use thiserror::Error;

/// What a frame carries, from its opcode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Opcode {
    Continuation,
    Text,
    Binary,
    Close,
    Ping,
    Pong,
}

impl Opcode {
    fn from_bits(bits: u8) -> Option<Self> {
        Some(match bits {
            0x0 => Opcode::Continuation,
            0x1 => Opcode::Text,
            0x2 => Opcode::Binary,
            0x8 => Opcode::Close,
            0x9 => Opcode::Ping,
            0xA => Opcode::Pong,
            _ => return None,
        })
    }

    fn bits(self) -> u8 {
        match self {
            Opcode::Continuation => 0x0,
            Opcode::Text => 0x1,
            Opcode::Binary => 0x2,
            Opcode::Close => 0x8,
            Opcode::Ping => 0x9,
            Opcode::Pong => 0xA,
        }
    }

    pub fn is_control(self) -> bool {
        matches!(self, Opcode::Close | Opcode::Ping | Opcode::Pong)
    }
}

/// A frame's header, as a client sent it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    pub fin: bool,
    pub opcode: Opcode,
    pub mask: [u8; 4],
    pub payload_len: u64,
}

/// A frame that breaks the protocol: the connection is closed with 1002.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum FrameError {
    #[error("reserved bits are set, but no extension was negotiated")]
    ReservedBits,
    #[error("unknown opcode {0:#x}")]
    UnknownOpcode(u8),
    #[error("client frames must be masked")]
    Unmasked,
    #[error("control frames must be whole and at most 125 bytes")]
    BadControlFrame,
    #[error("the payload length is not in its shortest form or is over 2^63")]
    BadLength,
}

/// Reads a header from the start of `bytes`: `Ok(None)` if more bytes are needed, otherwise
/// the header and its length in bytes.
pub fn parse_header(bytes: &[u8]) -> Result<Option<(Header, usize)>, FrameError> {
    let [first, second, ..] = *bytes else {
        return Ok(None);
    };
    if first & 0x70 != 0 {
        return Err(FrameError::ReservedBits);
    }
    let opcode = Opcode::from_bits(first & 0x0F).ok_or(FrameError::UnknownOpcode(first & 0x0F))?;
    let fin = first & 0x80 != 0;
    if second & 0x80 == 0 {
        return Err(FrameError::Unmasked);
    }
    let (payload_len, length_bytes) = match second & 0x7F {
        126 => match bytes.get(2..4) {
            Some(&[a, b]) => (u64::from(u16::from_be_bytes([a, b])), 2),
            _ => return Ok(None),
        },
        127 => match bytes.get(2..10) {
            Some(eight) => {
                let len = u64::from_be_bytes(eight.try_into().expect("eight bytes"));
                (len, 8)
            }
            None => return Ok(None),
        },
        short => (u64::from(short), 0),
    };
    // The shortest form only, and the most significant bit clear (RFC 6455 §5.2).
    if (length_bytes == 2 && payload_len < 126)
        || (length_bytes == 8 && (payload_len <= 0xFFFF || payload_len >> 63 != 0))
    {
        return Err(FrameError::BadLength);
    }
    if opcode.is_control() && (!fin || payload_len > 125) {
        return Err(FrameError::BadControlFrame);
    }
    let mask_at = 2 + length_bytes;
    let Some(mask) = bytes.get(mask_at..mask_at + 4) else {
        return Ok(None);
    };
    let header = Header {
        fin,
        opcode,
        mask: mask.try_into().expect("four bytes"),
        payload_len,
    };
    Ok(Some((header, mask_at + 4)))
}

/// Unmasks `payload` in place; `offset` is where it starts within the frame's payload.
pub fn unmask(payload: &mut [u8], mask: [u8; 4], offset: usize) {
    for (at, byte) in payload.iter_mut().enumerate() {
        *byte ^= mask[(offset + at) % 4];
    }
}

/// A whole, final, unmasked frame, as the server sends it.
pub fn encode(opcode: Opcode, payload: &[u8]) -> Vec<u8> {
    let mut frame = Vec::with_capacity(payload.len() + 10);
    append_header(opcode, payload.len(), &mut frame);
    frame.extend_from_slice(payload);
    frame
}

/// Appends the header of a whole, final, unmasked frame of `len` payload bytes to `out`.
pub fn append_header(opcode: Opcode, len: usize, out: &mut Vec<u8>) {
    out.push(0x80 | opcode.bits());
    match len {
        0..=125 => out.push(len as u8),
        126..=0xFFFF => {
            out.push(126);
            out.extend_from_slice(&(len as u16).to_be_bytes());
        }
        _ => {
            out.push(127);
            out.extend_from_slice(&(len as u64).to_be_bytes());
        }
    }
}

/// A close frame with a status code and a reason, cut to fit a control frame.
pub fn encode_close(code: u16, reason: &str) -> Vec<u8> {
    let mut payload = code.to_be_bytes().to_vec();
    let mut end = reason.len().min(123);
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    payload.extend_from_slice(&reason.as_bytes()[..end]);
    encode(Opcode::Close, &payload)
}

#[cfg(test)]
pub(crate) mod tests;
