//! socket.io packets, inside Engine.IO `4` (message) packets: what Echo sends (connect,
//! disconnect, events) and what it receives (connect, connect errors, events).
//!
//! A packet is a type digit, then a namespace (`/admin,`) unless it is the default `/`, then
//! an acknowledgement id (digits) if the sender wants one, then JSON. Echo uses the default
//! namespace only and never asks for acknowledgements. socket.io-client 2 speaks socket.io
//! protocol 4 over Engine.IO 3, later clients protocol 5 over Engine.IO 4, so the Engine.IO
//! [`Version`] tells them apart; they differ in the connect and connect-error packets only.

use serde::Serialize;
use serde_json::Value;
use serde_json::value::RawValue;

use crate::engine::Version;

/// The namespace Echo connects to; other namespaces are refused.
pub const DEFAULT_NAMESPACE: &str = "/";

/// A packet a client sent.
#[derive(Debug, PartialEq)]
pub enum Incoming<'a> {
    Connect {
        namespace: &'a str,
    },
    Disconnect {
        namespace: &'a str,
    },
    /// An event in the default namespace: its name and its first argument (Echo sends one).
    Event {
        name: String,
        argument: Value,
    },
    /// Something the server ignores: an event in another namespace, an acknowledgement, a
    /// binary event (Echo sends none).
    Ignored(&'static str),
}

/// A packet that cannot be read: ignored, and logged at debug level as the client's mistake.
#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    #[error("unknown socket.io packet type")]
    UnknownType,
    #[error("an event must be a JSON array starting with its name: {0}")]
    BadEvent(String),
}

impl<'a> Incoming<'a> {
    pub fn parse(text: &'a str) -> Result<Self, ParseError> {
        let (kind, rest) = text.split_at_checked(1).ok_or(ParseError::UnknownType)?;
        let (namespace, rest) = split_namespace(rest);
        Ok(match kind {
            "0" => Incoming::Connect { namespace },
            "1" => Incoming::Disconnect { namespace },
            "2" if namespace != DEFAULT_NAMESPACE => {
                Incoming::Ignored("event in another namespace")
            }
            "2" => {
                let json = rest.trim_start_matches(|c: char| c.is_ascii_digit());
                parse_event(json)?
            }
            "3" | "6" => Incoming::Ignored("acknowledgement"),
            "4" => Incoming::Ignored("error"),
            "5" => Incoming::Ignored("binary event"),
            _ => return Err(ParseError::UnknownType),
        })
    }
}

/// `/admin,rest` → (`/admin`, `rest`); `/admin` alone → (`/admin`, ``); anything else is in
/// the default namespace.
fn split_namespace(text: &str) -> (&str, &str) {
    if !text.starts_with('/') {
        return (DEFAULT_NAMESPACE, text);
    }
    text.split_once(',').unwrap_or((text, ""))
}

fn parse_event(json: &str) -> Result<Incoming<'static>, ParseError> {
    let bad = |reason: &str| ParseError::BadEvent(reason.to_owned());
    let arguments: Vec<Value> =
        serde_json::from_str(json).map_err(|error| ParseError::BadEvent(error.to_string()))?;
    let mut arguments = arguments.into_iter();
    let Some(Value::String(name)) = arguments.next() else {
        return Err(bad("no event name"));
    };
    Ok(Incoming::Event {
        name,
        argument: arguments.next().unwrap_or(Value::Null),
    })
}

/// The engine message carrying the server's answer to a connect to the default namespace.
/// socket.io protocol 5 names the socket; protocol 4's socket id is the session's.
pub fn connected(version: Version, socket_id: &str) -> Vec<u8> {
    match version {
        Version::V3 => b"40".to_vec(),
        Version::V4 => format!(r#"40{{"sid":"{socket_id}"}}"#).into_bytes(),
    }
}

/// The engine message refusing a connect to `namespace`, with a reason for the client.
pub fn connect_error(version: Version, namespace: &str, message: &str) -> Vec<u8> {
    let mut text = String::from("44");
    if namespace != DEFAULT_NAMESPACE {
        text.push_str(namespace);
        text.push(',');
    }
    let reason = match version {
        Version::V3 => serde_json::to_string(message),
        Version::V4 => serde_json::to_string(&serde_json::json!({ "message": message })),
    };
    text.push_str(&reason.expect("strings always serialize"));
    text.into_bytes()
}

/// The engine message of an event Echo listens for: `(eventName, channel, data)`, the data's
/// JSON embedded as it came.
pub fn event(name: &str, channel: &str, data: &RawValue) -> Vec<u8> {
    let mut text = Vec::with_capacity(name.len() + channel.len() + data.get().len() + 16);
    text.extend_from_slice(b"42[");
    serde_json::to_writer(&mut text, name).expect("strings always serialize");
    text.push(b',');
    serde_json::to_writer(&mut text, channel).expect("strings always serialize");
    text.push(b',');
    text.extend_from_slice(data.get().as_bytes());
    text.push(b']');
    text
}

/// The engine message of an event given as a tuple: its name, then its arguments.
pub fn emit<A: Serialize + ?Sized>(name_and_arguments: &A) -> Vec<u8> {
    let mut text = b"42".to_vec();
    serde_json::to_writer(&mut text, name_and_arguments).expect("event arguments serialize");
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn echo_packets_are_read() {
        assert_eq!(
            Incoming::parse("0").unwrap(),
            Incoming::Connect { namespace: "/" }
        );
        assert_eq!(
            Incoming::parse(r#"0{"headers":{}}"#).unwrap(),
            Incoming::Connect { namespace: "/" }
        );
        assert_eq!(
            Incoming::parse("0/admin,").unwrap(),
            Incoming::Connect {
                namespace: "/admin"
            }
        );
        assert_eq!(
            Incoming::parse("1").unwrap(),
            Incoming::Disconnect { namespace: "/" }
        );
        assert_eq!(
            Incoming::parse(r#"2["subscribe",{"channel":"news"}]"#).unwrap(),
            Incoming::Event {
                name: "subscribe".into(),
                argument: serde_json::json!({"channel": "news"})
            }
        );
        assert_eq!(
            Incoming::parse(r#"27["unsubscribe"]"#).unwrap(),
            Incoming::Event {
                name: "unsubscribe".into(),
                argument: Value::Null
            }
        );
        assert!(matches!(
            Incoming::parse(r#"2/admin,["subscribe",{}]"#).unwrap(),
            Incoming::Ignored(_)
        ));
    }

    #[test]
    fn malformed_packets_are_errors() {
        for bad in ["", "9", "2", "2{}", "2[1]", "2[", r#"2["a""#] {
            assert!(Incoming::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn server_packets_are_encoded_per_protocol() {
        assert_eq!(connected(Version::V3, "x"), b"40");
        assert_eq!(connected(Version::V4, "x"), br#"40{"sid":"x"}"#);
        assert_eq!(
            connect_error(Version::V3, "/", "origin not allowed"),
            br#"44"origin not allowed""#
        );
        assert_eq!(
            connect_error(Version::V4, "/admin", "Invalid namespace"),
            br#"44/admin,{"message":"Invalid namespace"}"#
        );
        let data = RawValue::from_string(r#"{"id": 7}"#.into()).unwrap();
        assert_eq!(
            String::from_utf8(event("Shipped", "orders", &data)).unwrap(),
            r#"42["Shipped","orders",{"id": 7}]"#
        );
        assert_eq!(
            String::from_utf8(emit(&("subscription_error", "private-x", 403))).unwrap(),
            r#"42["subscription_error","private-x",403]"#
        );
    }
}
