//! Reading the app's answer to an authorization request.
//!
//! Laravel's broadcasters answer 200 with `true` for a private channel (the `sidecast` driver
//! with `{"user_id": …}`, naming the user for client events), and for a presence channel with
//! `{"channel_data": {"user_id": …, "user_info": …}}` — an object from the `redis` and `sidecast`
//! drivers, a JSON string from the `pusher` driver. Both forms are accepted.

use serde_json::Value;
use serde_json::value::RawValue;
use sidecast_core::{Access, AuthDenied, ChannelKind, ChannelName, Member};

/// Largest answer read, in bytes: far above any member description.
pub const MAX_ANSWER_BYTES: usize = 64 * 1024;

/// The body of a 200 answer, refusing more than [`MAX_ANSWER_BYTES`].
pub(crate) async fn read_limited(mut response: reqwest::Response) -> Result<Vec<u8>, AuthDenied> {
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|error| AuthDenied::Failed(format!("reading the app's answer: {error}")))?
    {
        if body.len() + chunk.len() > MAX_ANSWER_BYTES {
            return Err(AuthDenied::Unusable(format!(
                "the answer is longer than {MAX_ANSWER_BYTES} bytes"
            )));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// What a 200 answer grants on `channel`. Any 200 authorizes a private channel, as it did for
/// laravel-echo-server (with the user it names, if it names one); a presence channel needs a
/// member with a `user_id`.
pub fn access(channel: &ChannelName, body: &[u8]) -> Result<Access, AuthDenied> {
    match channel.kind() {
        ChannelKind::Public => Ok(Access::Public),
        ChannelKind::Private => Ok(match named_user(body) {
            Some(user) => Access::PrivateAs(user),
            None => Access::Private,
        }),
        ChannelKind::Presence => member(body)
            .map(Access::Presence)
            .map_err(AuthDenied::Unusable),
    }
}

/// The user a private channel's answer names: `{"user_id": "7"}` or `{"user_id": 7}`.
fn named_user(body: &[u8]) -> Option<String> {
    match serde_json::from_slice::<Value>(body).ok()?.get("user_id")? {
        Value::String(id) if !id.is_empty() => Some(id.clone()),
        Value::Number(id) => Some(id.to_string()),
        _ => None,
    }
}

fn member(body: &[u8]) -> Result<Member, String> {
    let answer: Value =
        serde_json::from_slice(body).map_err(|e| format!("the answer is not JSON: {e}"))?;
    let channel_data = match answer.get("channel_data") {
        Some(Value::String(text)) => serde_json::from_str(text)
            .map_err(|e| format!("channel_data is a string but not JSON: {e}"))?,
        Some(data @ Value::Object(_)) => data.clone(),
        Some(_) => return Err("channel_data is neither an object nor a JSON string".to_owned()),
        None => return Err("the answer for a presence channel has no channel_data".to_owned()),
    };
    let user_id = channel_data.get("user_id").cloned().unwrap_or(Value::Null);
    let user_info = channel_data.get("user_info").unwrap_or(&Value::Null);
    let user_info = RawValue::from_string(user_info.to_string()).map_err(|e| e.to_string())?;
    Member::new(user_id, user_info).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn presence() -> ChannelName {
        ChannelName::new("presence-room.1").unwrap()
    }

    fn member_json(body: &str) -> Result<String, AuthDenied> {
        match access(&presence(), body.as_bytes())? {
            Access::Presence(member) => Ok(serde_json::to_string(&member).unwrap()),
            other => panic!("expected presence access, got {other:?}"),
        }
    }

    #[test]
    fn private_channels_need_only_the_200() {
        let private = ChannelName::new("private-orders.1").unwrap();
        assert!(matches!(access(&private, b"true"), Ok(Access::Private)));
        assert!(matches!(access(&private, b""), Ok(Access::Private)));
        assert!(matches!(
            access(&private, br#"{"user_id":""}"#),
            Ok(Access::Private)
        ));
        assert!(matches!(
            access(&private, br#"{"user_id":[7]}"#),
            Ok(Access::Private)
        ));
        for (body, user) in [
            (&br#"{"user_id":7}"#[..], "7"),
            (br#"{"user_id":"ann"}"#, "ann"),
        ] {
            match access(&private, body) {
                Ok(Access::PrivateAs(named)) => assert_eq!(named, user),
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn presence_members_come_as_an_object_or_as_a_json_string() {
        let expected = r#"{"user_id":7,"user_info":{"name":"Ann"}}"#;
        assert_eq!(
            member_json(r#"{"channel_data":{"user_id":7,"user_info":{"name":"Ann"}}}"#).unwrap(),
            expected
        );
        assert_eq!(member_json(r#"{"auth":"k:s","channel_data":"{\"user_id\":7,\"user_info\":{\"name\":\"Ann\"}}"}"#).unwrap(), expected);
        assert_eq!(
            member_json(r#"{"channel_data":{"user_id":"u-1"}}"#).unwrap(),
            r#"{"user_id":"u-1","user_info":null}"#
        );
    }

    #[test]
    fn presence_answers_without_a_usable_member_are_refused_with_status_0() {
        for body in [
            "true",
            "{}",
            "not json",
            r#"{"channel_data":5}"#,
            r#"{"channel_data":"{oops"}"#,
            r#"{"channel_data":{"user_info":{}}}"#,
        ] {
            let denied = access(&presence(), body.as_bytes()).unwrap_err();
            assert!(
                matches!(denied, AuthDenied::Unusable(_)),
                "{body}: {denied:?}"
            );
            assert_eq!(denied.status(), 0);
        }
    }
}
