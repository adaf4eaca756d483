//! Several Engine.IO packets in one long-polling HTTP body.
//!
//! - Version 4 separates them with the record separator, `\x1e`, which JSON text cannot hold
//!   unescaped.
//! - Version 3 prefixes each with its length and a colon, `6:42[…]`. The length is counted as
//!   JavaScript counts a string's length: in UTF-16 code units, not bytes or characters.

use super::Version;

const SEPARATOR: u8 = 0x1e;

/// A body that does not split into packets.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed polling payload")]
pub struct MalformedPayload;

/// Joins `packets` into one body.
pub fn encode(version: Version, packets: &[impl AsRef<[u8]>]) -> Vec<u8> {
    let size: usize = packets.iter().map(|packet| packet.as_ref().len() + 8).sum();
    let mut body = Vec::with_capacity(size);
    for (index, packet) in packets.iter().enumerate() {
        let packet = packet.as_ref();
        match version {
            Version::V4 => {
                if index > 0 {
                    body.push(SEPARATOR);
                }
            }
            Version::V3 => {
                let units = utf16_length(packet);
                body.extend_from_slice(units.to_string().as_bytes());
                body.push(b':');
            }
        }
        body.extend_from_slice(packet);
    }
    body
}

/// Splits a body into its packets.
pub fn decode(version: Version, body: &str) -> Result<Vec<&str>, MalformedPayload> {
    match version {
        Version::V4 => Ok(body.split('\u{1e}').collect()),
        Version::V3 => decode_prefixed(body),
    }
}

fn decode_prefixed(mut body: &str) -> Result<Vec<&str>, MalformedPayload> {
    let mut packets = Vec::new();
    while !body.is_empty() {
        let (length, rest) = body.split_once(':').ok_or(MalformedPayload)?;
        if length.is_empty() || length.len() > 10 || !length.bytes().all(|b| b.is_ascii_digit()) {
            return Err(MalformedPayload);
        }
        let units: usize = length.parse().map_err(|_| MalformedPayload)?;
        let end = byte_offset_of_units(rest, units).ok_or(MalformedPayload)?;
        packets.push(&rest[..end]);
        body = &rest[end..];
    }
    Ok(packets)
}

/// The length JavaScript would give `text` (UTF-16 code units). Server packets are UTF-8 that
/// the server made itself; anything else counts byte by byte.
fn utf16_length(text: &[u8]) -> usize {
    match std::str::from_utf8(text) {
        Ok(text) => text.chars().map(char::len_utf16).sum(),
        Err(_) => text.len(),
    }
}

/// Where the first `units` UTF-16 code units of `text` end, if they end on a character.
fn byte_offset_of_units(text: &str, units: usize) -> Option<usize> {
    let mut counted = 0;
    for (at, ch) in text.char_indices() {
        if counted == units {
            return Some(at);
        }
        counted += ch.len_utf16();
        if counted > units {
            return None;
        }
    }
    (counted == units).then_some(text.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_4_separates_packets() {
        let body = encode(Version::V4, &[&b"40"[..], b"42[\"a\"]"]);
        assert_eq!(body, b"40\x1e42[\"a\"]");
        assert_eq!(
            decode(Version::V4, "2\u{1e}42[\"a\"]"),
            Ok(vec!["2", "42[\"a\"]"])
        );
    }

    #[test]
    fn version_3_prefixes_each_packet_with_its_javascript_length() {
        let body = encode(Version::V3, &["40".as_bytes(), "42[\"é😀\"]".as_bytes()]);
        // `42["é😀"]` is 9 UTF-16 units (13 bytes): the emoji counts twice, é once.
        assert_eq!(String::from_utf8(body).unwrap(), "2:409:42[\"é😀\"]");
        assert_eq!(
            decode(Version::V3, "1:29:42[\"é😀\"]"),
            Ok(vec!["2", "42[\"é😀\"]"])
        );
    }

    #[test]
    fn malformed_version_3_bodies_are_refused() {
        for bad in [
            "2",
            ":2",
            "x:2",
            "3:2",
            "99999999999:2",
            "1:😀",
            "-1:2",
            "1:21",
        ] {
            assert_eq!(decode(Version::V3, bad), Err(MalformedPayload), "{bad:?}");
        }
        assert_eq!(decode(Version::V3, ""), Ok(vec![]));
    }
}
