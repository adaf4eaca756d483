//! From a decoded frame to a core publication.
//!
//! A frame can be well formed and still carry an event the core must not take: a channel name
//! over the core's limit, an empty socket id, a payload that is not JSON. Such an event is
//! refused on its own, with a reason for the log; the connection stays open, because it is still
//! at a frame boundary.

use sidecast_core::{
    ChannelName, EventName, InvalidName, InvalidPayload, Origin, Payload, Publication, SocketId,
};
use sidecast_wire::Publish;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum Refused {
    #[error(transparent)]
    Name(#[from] InvalidName),
    #[error(transparent)]
    Payload(#[from] InvalidPayload),
}

/// Checks every field of `publish` and builds the publication the hub delivers.
pub fn from_frame(publish: &Publish<'_>) -> Result<Publication, Refused> {
    let channels = publish
        .channels
        .iter()
        .map(|name| ChannelName::new(name))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Publication {
        channels,
        event: EventName::new(publish.event)?,
        payload: Payload::from_json(publish.payload)?,
        except: publish.socket_id.map(SocketId::new).transpose()?,
        origin: Origin::ThisNode,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn publish<'a>(
        channels: Vec<&'a str>,
        socket_id: Option<&'a str>,
        payload: &'a [u8],
    ) -> Publish<'a> {
        Publish {
            channels,
            event: "App\\Events\\ExampleEvent",
            socket_id,
            payload,
        }
    }

    #[test]
    fn writers_and_the_core_agree_on_name_limits() {
        // A name a PHP writer may encode must not be refused by the core, and the reverse.
        use sidecast_core::names;
        assert_eq!(
            sidecast_wire::MAX_CHANNEL_NAME_BYTES,
            names::MAX_CHANNEL_NAME_BYTES
        );
        assert_eq!(
            sidecast_wire::MAX_EVENT_NAME_BYTES,
            names::MAX_EVENT_NAME_BYTES
        );
        assert_eq!(
            sidecast_wire::MAX_SOCKET_ID_BYTES,
            names::MAX_SOCKET_ID_BYTES
        );
    }

    #[test]
    fn a_valid_frame_becomes_a_publication() {
        let publication =
            from_frame(&publish(vec!["a", "b"], Some("sock"), br#"{"x":1}"#)).unwrap();
        assert_eq!(publication.channels.len(), 2);
        assert_eq!(publication.event.as_str(), "App\\Events\\ExampleEvent");
        assert_eq!(
            publication.except.as_ref().map(SocketId::as_str),
            Some("sock")
        );
        assert_eq!(publication.payload.as_str(), r#"{"x":1}"#);
    }

    #[test]
    fn bad_fields_refuse_the_event_with_a_reason() {
        let long = "c".repeat(300);
        let cases: Vec<(Publish<'_>, &str)> = vec![
            (
                publish(vec![&long], None, b"{}"),
                "channel name is 300 bytes long; the limit is 200",
            ),
            (
                publish(vec!["ok", "bad\u{7}"], None, b"{}"),
                "channel name contains a control character",
            ),
            (
                publish(vec!["ok"], None, b"{not json"),
                "payload is not valid JSON",
            ),
            (
                publish(vec!["ok"], None, b"\xff"),
                "payload is not valid JSON",
            ),
        ];
        for (frame, reason) in cases {
            let error = from_frame(&frame).expect_err("refused").to_string();
            assert!(
                error.starts_with(reason),
                "{error:?} should start with {reason:?}"
            );
        }
    }
}
