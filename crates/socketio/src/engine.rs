//! Engine.IO, the transport under socket.io: its packets and, for long-polling, how several of
//! them share one HTTP body. Two versions are spoken: 3 (socket.io-client 2.x, Echo's classic
//! pairing with laravel-echo-server) and 4 (socket.io-client 3 and later).
//!
//! A packet is a type digit and its data, as text: `4` carries a socket.io packet, `2`/`3` are
//! ping and pong, `6` a no-op, `1` a close, `5` the upgrade to a WebSocket. Only text packets
//! exist here: Echo sends and receives JSON, never binary.

pub mod payload;

/// The Engine.IO protocol version a client speaks (`EIO` in its query).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    /// socket.io-client 2.x: the client pings, the server answers; polling bodies prefix each
    /// packet with its length.
    V3,
    /// socket.io-client 3.x and 4.x: the server pings, the client answers; polling bodies
    /// separate packets with a record separator.
    V4,
}

impl Version {
    pub fn from_query(eio: Option<&str>) -> Option<Self> {
        match eio {
            Some("3") => Some(Version::V3),
            Some("4") => Some(Version::V4),
            _ => None,
        }
    }
}

/// A packet a client sent, by type.
#[derive(Debug, PartialEq, Eq)]
pub enum Packet<'a> {
    Close,
    Ping(&'a str),
    Pong(&'a str),
    /// A socket.io packet.
    Message(&'a str),
    Upgrade,
    Noop,
}

/// A packet that is not Engine.IO: the session is closed, as Engine.IO servers do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not an Engine.IO packet")]
pub struct ParseError;

impl<'a> Packet<'a> {
    pub fn parse(text: &'a str) -> Result<Self, ParseError> {
        let (kind, data) = text.split_at_checked(1).ok_or(ParseError)?;
        Ok(match kind {
            "1" => Packet::Close,
            "2" => Packet::Ping(data),
            "3" => Packet::Pong(data),
            "4" => Packet::Message(data),
            "5" => Packet::Upgrade,
            "6" => Packet::Noop,
            // "0" (open) is the server's to send.
            _ => return Err(ParseError),
        })
    }
}

/// The packets the server sends, whole.
pub const PING: &[u8] = b"2";
pub const PONG: &[u8] = b"3";
pub const NOOP: &[u8] = b"6";
pub const CLOSE: &[u8] = b"1";
/// The answer to the probe a client sends over a new WebSocket before it upgrades.
pub const PROBE_ANSWER: &[u8] = b"3probe";

/// The `open` packet that starts a session.
pub fn open(
    sid: &str,
    upgrades: bool,
    ping_interval_ms: u128,
    ping_timeout_ms: u128,
    max_payload: u64,
) -> Vec<u8> {
    let upgrades = if upgrades { r#"["websocket"]"# } else { "[]" };
    format!(
        r#"0{{"sid":"{sid}","upgrades":{upgrades},"pingInterval":{ping_interval_ms},"pingTimeout":{ping_timeout_ms},"maxPayload":{max_payload}}}"#
    )
    .into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_packets_are_read_by_their_type_digit() {
        assert_eq!(Packet::parse("1"), Ok(Packet::Close));
        assert_eq!(Packet::parse("2probe"), Ok(Packet::Ping("probe")));
        assert_eq!(Packet::parse("3"), Ok(Packet::Pong("")));
        assert_eq!(
            Packet::parse(r#"42["subscribe",{}]"#),
            Ok(Packet::Message(r#"2["subscribe",{}]"#))
        );
        assert_eq!(Packet::parse("5"), Ok(Packet::Upgrade));
        assert_eq!(Packet::parse("6"), Ok(Packet::Noop));
        for bad in ["", "0{}", "7", "x", "é"] {
            assert_eq!(Packet::parse(bad), Err(ParseError), "{bad:?}");
        }
    }

    #[test]
    fn the_open_packet_names_the_session_and_its_timing() {
        assert_eq!(
            String::from_utf8(open("abc", true, 25000, 20000, 100000)).unwrap(),
            r#"0{"sid":"abc","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"maxPayload":100000}"#
        );
    }
}
