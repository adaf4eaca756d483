use serde_json::json;
use sidecast_core::{ChannelName, EventName, Payload, SharedFrame};

use super::*;

/// The JSON text of a server frame (short frames only: a 2-byte header, or 4 with a 16-bit
/// length), with `data` decoded as pusher-js decodes it.
fn decoded(frame: &[u8]) -> Value {
    assert_eq!(frame[0], 0x81, "a final text frame");
    let body = if frame[1] == 126 {
        &frame[4..]
    } else {
        &frame[2..]
    };
    let mut value: Value = serde_json::from_slice(body).unwrap();
    let data = value["data"].as_str().expect("data is a string").to_owned();
    value["data"] = serde_json::from_str(&data).unwrap();
    value
}

fn member(id: Value, info: &str) -> Member {
    Member::new(id, RawValue::from_string(info.to_owned()).unwrap()).unwrap()
}

#[test]
fn events_carry_their_payload_as_a_string_and_whispers_their_sender() {
    let channel = ChannelName::new("presence-room").unwrap();
    let event = EventName::new("client-typing").unwrap();
    let payload = Payload::from_json(br#"{"text":"h\u00e9 \"quoted\""}"#).unwrap();
    let sender = member(json!(7), r#"{"name":"Ann"}"#);
    let shared = SharedFrame::default();
    let mut message = Message {
        channel: &channel,
        event: &event,
        payload: &payload,
        sender: Some(&sender),
        shared: &shared,
    };
    assert_eq!(
        decoded(&super::event(&message)),
        json!({"event":"client-typing","channel":"presence-room","data":{"text":"hé \"quoted\""},"user_id":7})
    );
    message.sender = None;
    let text = super::event(&message);
    assert!(!String::from_utf8_lossy(&text).contains("user_id"));
    // A payload that is a JSON string round-trips to that string.
    let payload = Payload::from_json(br#""plain""#).unwrap();
    message.payload = &payload;
    assert_eq!(decoded(&super::event(&message))["data"], json!("plain"));
}

#[test]
fn presence_notices_have_pusher_js_shapes() {
    let channel = ChannelName::new("presence-room").unwrap();
    let ann = member(json!(1), r#"{"name":"Ann"}"#);
    let bob = member(json!("b"), "null");
    let notice = Notice::Subscribed {
        channel: &channel,
        members: Some(&[&ann, &bob]),
    };
    assert_eq!(
        decoded(&super::notice(&notice)),
        json!({"event":"pusher_internal:subscription_succeeded","channel":"presence-room",
            "data":{"presence":{"ids":["1","b"],"hash":{"1":{"name":"Ann"},"b":null},"count":2}}})
    );
    let public = ChannelName::new("orders").unwrap();
    let notice = Notice::Subscribed {
        channel: &public,
        members: None,
    };
    assert_eq!(decoded(&super::notice(&notice))["data"], json!({}));
    let notice = Notice::Joining {
        channel: &channel,
        member: &ann,
    };
    assert_eq!(
        decoded(&super::notice(&notice)),
        json!({"event":"pusher_internal:member_added","channel":"presence-room",
            "data":{"user_id":1,"user_info":{"name":"Ann"}}})
    );
    let notice = Notice::Leaving {
        channel: &channel,
        member: &bob,
    };
    assert_eq!(
        decoded(&super::notice(&notice))["data"],
        json!({"user_id":"b"})
    );
}

#[test]
fn a_subscription_count_names_its_channel() {
    let channel = ChannelName::new("orders").unwrap();
    let notice = Notice::SubscriptionCount {
        channel: &channel,
        count: 3,
        shared: &SharedFrame::default(),
    };
    assert_eq!(
        decoded(&super::notice(&notice)),
        json!({"event":"pusher_internal:subscription_count","channel":"orders",
            "data":{"subscription_count":3}})
    );
}

#[test]
fn connection_messages_match_what_pusher_js_reads() {
    assert_eq!(
        decoded(&connection_established("12.34", 30)),
        json!({"event":"pusher:connection_established","data":{"socket_id":"12.34","activity_timeout":30}})
    );
    assert_eq!(
        decoded(&error(Some(4001), "Application does not exist")),
        json!({"event":"pusher:error","data":{"code":4001,"message":"Application does not exist"}})
    );
    assert_eq!(decoded(&error(None, "x"))["data"]["code"], Value::Null);
    assert_eq!(
        decoded(&subscription_error("private-a", "AuthError", "bad", 401)),
        json!({"event":"pusher:subscription_error","channel":"private-a",
            "data":{"type":"AuthError","error":"bad","status":401}})
    );
    assert_eq!(decoded(&pong())["event"], "pusher:pong");
    assert_eq!(
        decoded(&signin_success(r#"{"id":"1"}"#))["data"],
        json!({"user_data":"{\"id\":\"1\"}"})
    );
}

#[test]
fn subscribe_data_is_read_as_an_object_or_as_a_string() {
    let object: ClientMessage = serde_json::from_str(
        r#"{"event":"pusher:subscribe","data":{"auth":"k:s","channel":"presence-a","channel_data":"{\"user_id\":1}"}}"#,
    )
    .unwrap();
    let data: SubscribeData = data_as(object.data.as_deref()).unwrap();
    assert_eq!(data.channel, "presence-a");
    assert_eq!(data.channel_data.as_deref(), Some(r#"{"user_id":1}"#));
    let string: ClientMessage = serde_json::from_str(
        r#"{"event":"pusher:subscribe","data":"{\"channel\":\"orders\",\"auth\":\"\"}"}"#,
    )
    .unwrap();
    let data: SubscribeData = data_as(string.data.as_deref()).unwrap();
    assert_eq!(
        (data.channel.as_str(), data.auth.as_deref()),
        ("orders", Some(""))
    );
    for bad in [
        r#"{"event":"pusher:subscribe"}"#,
        r#"{"event":"pusher:subscribe","data":{"channel":5}}"#,
        r#"{"event":"pusher:subscribe","data":"not json"}"#,
        r#"{"event":"pusher:subscribe","data":[1]}"#,
    ] {
        let message: ClientMessage = serde_json::from_str(bad).unwrap();
        assert!(
            data_as::<SubscribeData>(message.data.as_deref()).is_err(),
            "{bad}"
        );
    }
}
