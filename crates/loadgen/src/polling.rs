//! The HTTP long-polling start of a socket.io connection, as socket.io-client makes it by
//! default (`transports: ['polling', 'websocket']`): the Engine.IO session is opened and the
//! namespace joined over polling, then the session moves to a WebSocket (see
//! [`client`](crate::client) for the upgrade itself).
//!
//! A polling response body, and a POST body, is a *payload* of one or more packets:
//!
//! | | EIO=3 (engine.io-parser 2) | EIO=4 (engine.io-parser 4+) |
//! |---|---|---|
//! | framing | `<length>:<packet>` repeated, the length counted in UTF-16 code units (JavaScript string length) | packets joined by the record separator `\x1e` |
//! | example | `97:0{"sid":…}2:40` | `0{"sid":…}\x1e40` |
//!
//! Payloads are parsed by [`decode_payload`], which returns an [`PayloadError`] for anything
//! malformed, never panics. Only text payloads are read: Echo sends no binary packets.

use thiserror::Error;

use crate::protocol::Eio;

/// Why a polling payload could not be split into packets.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum PayloadError {
    #[error("empty payload")]
    Empty,
    #[error("empty packet in the payload")]
    EmptyPacket,
    #[error("no `:` after the packet length")]
    MissingLength,
    #[error("invalid packet length {0:?}")]
    BadLength(String),
    #[error("the payload ends {missing} UTF-16 units short of a packet")]
    Truncated { missing: usize },
    #[error("a packet length ends inside a character")]
    SplitCharacter,
}

/// The packets of one polling payload, in order.
pub fn decode_payload(eio: Eio, body: &str) -> Result<Vec<&str>, PayloadError> {
    if body.is_empty() {
        return Err(PayloadError::Empty);
    }
    match eio {
        Eio::V4 => body
            .split('\x1e')
            .map(|packet| {
                if packet.is_empty() {
                    Err(PayloadError::EmptyPacket)
                } else {
                    Ok(packet)
                }
            })
            .collect(),
        Eio::V3 => decode_v3(body),
    }
}

fn decode_v3(mut body: &str) -> Result<Vec<&str>, PayloadError> {
    let mut packets = Vec::new();
    while !body.is_empty() {
        let (length, rest) = body.split_once(':').ok_or(PayloadError::MissingLength)?;
        if length.is_empty() || !length.bytes().all(|b| b.is_ascii_digit()) {
            return Err(PayloadError::BadLength(length.to_owned()));
        }
        let units: usize = length
            .parse()
            .map_err(|_| PayloadError::BadLength(length.to_owned()))?;
        if units == 0 {
            return Err(PayloadError::EmptyPacket);
        }
        let end = utf16_offset(rest, units)?;
        packets.push(&rest[..end]);
        body = &rest[end..];
    }
    Ok(packets)
}

/// The byte offset in `text` after `units` UTF-16 code units.
fn utf16_offset(text: &str, units: usize) -> Result<usize, PayloadError> {
    let mut counted = 0;
    for (offset, character) in text.char_indices() {
        if counted == units {
            return Ok(offset);
        }
        counted += character.len_utf16();
        if counted > units {
            return Err(PayloadError::SplitCharacter);
        }
    }
    if counted == units {
        Ok(text.len())
    } else {
        Err(PayloadError::Truncated {
            missing: units - counted,
        })
    }
}

/// Why a polling request failed.
#[derive(Debug, Error)]
pub enum PollingError {
    #[error("HTTP: {0}")]
    Http(#[from] reqwest::Error),
    #[error("HTTP status {0}")]
    Status(reqwest::StatusCode),
    #[error("polling payload: {0}")]
    Payload(#[from] PayloadError),
}

/// The HTTP client all polling clients of a run share: building one per client costs
/// milliseconds of CPU (it loads the system's root certificates when the workspace enables
/// TLS). It keeps no idle connection, so each request has its own, closed after the answer:
/// nothing of the polling phase stays open on the server once the clients have upgraded.
pub fn http_client() -> Result<reqwest::Client, PollingError> {
    Ok(reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()?)
}

/// The polling requests of one client.
#[derive(Debug)]
pub struct Poller<'a> {
    http: &'a reqwest::Client,
    eio: Eio,
}

impl<'a> Poller<'a> {
    /// Requests through `http` (from [`http_client`]).
    pub fn new(http: &'a reqwest::Client, eio: Eio) -> Self {
        Poller { http, eio }
    }

    /// One long-polling GET: the packets the server had queued, or the next ones it sends.
    pub async fn get(&self, url: &str) -> Result<Vec<String>, PollingError> {
        let response = self.http.get(url).send().await?;
        if !response.status().is_success() {
            return Err(PollingError::Status(response.status()));
        }
        let body = response.text().await?;
        Ok(decode_payload(self.eio, &body)?
            .into_iter()
            .map(str::to_owned)
            .collect())
    }

    /// Sends one packet with a POST.
    pub async fn post(&self, url: &str, packet: &str) -> Result<(), PollingError> {
        let response = self
            .http
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "text/plain;charset=UTF-8")
            .body(encode_packet(self.eio, packet))
            .send()
            .await?;
        if !response.status().is_success() {
            return Err(PollingError::Status(response.status()));
        }
        Ok(())
    }
}

/// A POST body carrying one packet.
pub fn encode_packet(eio: Eio, packet: &str) -> String {
    match eio {
        Eio::V3 => format!("{}:{packet}", packet.encode_utf16().count()),
        Eio::V4 => packet.to_owned(),
    }
}

/// The polling URL of a socket.io server whose HTTP base is `base`, before the session
/// exists (no `sid`).
pub fn handshake_url(eio: Eio, base: &str) -> String {
    format!(
        "{}/socket.io/?EIO={}&transport=polling",
        base.trim_end_matches('/'),
        eio.version()
    )
}

/// `url` with the session id added, for polling requests and the upgrading WebSocket.
pub fn with_sid(url: &str, sid: &str) -> String {
    let mut url = format!("{url}&sid=");
    for byte in sid.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            url.push(byte as char);
        } else {
            url.push_str(&format!("%{byte:02X}"));
        }
    }
    url
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eio4_payloads_are_split_at_record_separators() {
        assert_eq!(
            decode_payload(Eio::V4, "0{\"sid\":\"a\"}\x1e40"),
            Ok(vec!["0{\"sid\":\"a\"}", "40"])
        );
        assert_eq!(decode_payload(Eio::V4, "6"), Ok(vec!["6"]));
        // A `:` is data in EIO=4, not framing.
        assert_eq!(
            decode_payload(Eio::V4, "42[\"a:b\"]"),
            Ok(vec!["42[\"a:b\"]"])
        );
    }

    #[test]
    fn eio3_payloads_are_split_by_their_lengths() {
        assert_eq!(
            decode_payload(Eio::V3, "12:0{\"sid\":\"a\"}2:40"),
            Ok(vec!["0{\"sid\":\"a\"}", "40"])
        );
        // Lengths count UTF-16 units: `é` is one, `𝕊` two, though they take 2 and 4 bytes.
        assert_eq!(
            decode_payload(Eio::V3, "7:42[\"é\"]8:42[\"𝕊\"]1:6"),
            Ok(vec!["42[\"é\"]", "42[\"𝕊\"]", "6"])
        );
        // A `:` inside a packet is data.
        assert_eq!(
            decode_payload(Eio::V3, "9:42[\"a:b\"]"),
            Ok(vec!["42[\"a:b\"]"])
        );
    }

    #[test]
    fn malformed_payloads_are_errors() {
        use PayloadError::*;
        for (eio, body, error) in [
            (Eio::V4, "", Empty),
            (Eio::V4, "40\x1e", EmptyPacket),
            (Eio::V4, "\x1e40", EmptyPacket),
            (Eio::V3, "", Empty),
            (Eio::V3, "40", MissingLength),
            (Eio::V3, "2:40x", MissingLength),
            (Eio::V3, ":40", BadLength(String::new())),
            (Eio::V3, "x2:40", BadLength("x2".into())),
            (Eio::V3, "-1:4", BadLength("-1".into())),
            (
                Eio::V3,
                "99999999999999999999999:4",
                BadLength("99999999999999999999999".into()),
            ),
            (Eio::V3, "0:", EmptyPacket),
            (Eio::V3, "5:40", Truncated { missing: 3 }),
            (Eio::V3, "1:𝕊", SplitCharacter),
        ] {
            assert_eq!(decode_payload(eio, body), Err(error), "{body:?}");
        }
    }

    #[test]
    fn post_bodies_frame_one_packet() {
        assert_eq!(encode_packet(Eio::V4, "40"), "40");
        assert_eq!(encode_packet(Eio::V3, "40"), "2:40");
        assert_eq!(encode_packet(Eio::V3, "42[\"𝕊\"]"), "8:42[\"𝕊\"]");
        let body = encode_packet(Eio::V3, "42[\"é\"]");
        assert_eq!(decode_payload(Eio::V3, &body), Ok(vec!["42[\"é\"]"]));
    }

    #[test]
    fn urls_carry_the_revision_and_the_session() {
        let url = handshake_url(Eio::V3, "http://127.0.0.1:6001/");
        assert_eq!(
            url,
            "http://127.0.0.1:6001/socket.io/?EIO=3&transport=polling"
        );
        assert_eq!(
            with_sid(&url, "a-b_c+/="),
            "http://127.0.0.1:6001/socket.io/?EIO=3&transport=polling&sid=a-b_c%2B%2F%3D"
        );
    }
}
