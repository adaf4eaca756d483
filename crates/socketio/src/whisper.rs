//! Echo's `whisper`: the `client event` a client sends to the others in a private or presence
//! channel.
//!
//! The hub decides who may whisper where (private and presence channels, subscribers only,
//! `client-…` names). This side enforces the size and rate limits, because they are about what
//! one socket sends. Whatever is refused is dropped and logged at debug level, as
//! laravel-echo-server did: a refusal has no reply in Echo's protocol.

use serde::Deserialize;
use serde_json::Value;
use sidecast_core::{ChannelName, EventName, Payload, Whisper};

use crate::FrontEnd;
use crate::session::Session;

/// `{channel, event, data}`; laravel-echo-server also took the whole object as a JSON string.
#[derive(Debug, Deserialize)]
struct ClientEvent {
    channel: String,
    event: String,
    data: Option<Value>,
}

/// Whether the session's whisper budget allows one more, spent as whispers arrive (a flood is
/// dropped at once instead of waiting in the inbox).
pub(crate) fn within_budget(front_end: &FrontEnd, session: &Session) -> bool {
    session
        .whisper_budget(|| front_end.config.client_events.limiter())
        .allow()
}

pub(crate) fn relay(front_end: &FrontEnd, session: &Session, request: Value) {
    let id = &session.socket_id;
    let whisper = match parse(request, front_end.config.client_events.max_bytes) {
        Ok(whisper) => whisper,
        Err(reason) => {
            tracing::debug!(socket = %id, %reason, "client event dropped");
            return;
        }
    };
    match front_end.hub.whisper(id, &whisper) {
        Ok(report) => {
            tracing::trace!(socket = %id, channel = %whisper.channel, delivered = report.delivered, "client event relayed")
        }
        Err(refused) => tracing::debug!(socket = %id, reason = %refused, "client event dropped"),
    }
}

fn parse(request: Value, max_bytes: usize) -> Result<Whisper, String> {
    let fields: ClientEvent = match request {
        Value::String(text) if text.len() > max_bytes => {
            return Err(format!(
                "{} bytes, over the limit of {max_bytes}",
                text.len()
            ));
        }
        Value::String(text) => serde_json::from_str(&text),
        object => serde_json::from_value(object),
    }
    .map_err(|e| format!("not a client event: {e}"))?;
    let payload = Payload::from_value(&fields.data.unwrap_or(Value::Null));
    let size = payload.as_str().len();
    if size > max_bytes {
        return Err(format!(
            "data of {size} bytes, over the limit of {max_bytes}"
        ));
    }
    Ok(Whisper {
        channel: ChannelName::new(&fields.channel).map_err(|e| e.to_string())?,
        event: EventName::new(&fields.event).map_err(|e| e.to_string())?,
        payload,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(json: &str) -> Result<Whisper, String> {
        parse(serde_json::from_str(json).unwrap(), 64)
    }

    #[test]
    fn echo_whispers_and_json_string_whispers_are_understood() {
        let object =
            parsed(r#"{"channel":"private-chat","event":"client-typing","data":{"a":1}}"#).unwrap();
        assert_eq!(
            (
                object.channel.as_str(),
                object.event.as_str(),
                object.payload.as_str()
            ),
            ("private-chat", "client-typing", r#"{"a":1}"#)
        );
        let text = parsed(r#""{\"channel\":\"private-chat\",\"event\":\"client-x\",\"data\":2}""#)
            .unwrap();
        assert_eq!(text.payload.as_str(), "2");
        let no_data = parsed(r#"{"channel":"private-chat","event":"client-x"}"#).unwrap();
        assert_eq!(no_data.payload.as_str(), "null");
    }

    #[test]
    fn oversized_and_malformed_client_events_are_refused_with_a_reason() {
        let big = format!(
            r#"{{"channel":"private-chat","event":"client-x","data":"{}"}}"#,
            "x".repeat(100)
        );
        assert!(parsed(&big).unwrap_err().contains("over the limit of 64"));
        assert!(
            parsed(r#"{"channel":"","event":"client-x","data":1}"#)
                .unwrap_err()
                .contains("channel name is empty")
        );
        assert!(parsed(r#"{"event":"client-x"}"#).is_err());
        assert!(
            parsed(r#""not json""#)
                .unwrap_err()
                .starts_with("not a client event")
        );
    }
}
