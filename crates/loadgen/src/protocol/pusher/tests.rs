use super::*;
use crate::protocol::Protocol;
use crate::stamp::Stamp;

#[test]
fn the_url_names_the_app_and_the_protocol_revision() {
    let url = websocket_url("https://ws.test:8080/", "app-key");
    assert!(
        url.starts_with("wss://ws.test:8080/app/app-key?protocol=7&client=sidecast-loadgen&"),
        "{url}"
    );
    let pusher = Protocol::Pusher {
        app_key: "k".into(),
    };
    assert!(
        pusher
            .websocket_url("http://127.0.0.1:1/prefix")
            .starts_with("ws://127.0.0.1:1/prefix/app/k?")
    );
    assert_eq!(pusher.label(), "Pusher 7");
    assert!(!pusher.has_namespaces() && !pusher.client_pings());
    assert_eq!(pusher.connect_request(), None);
}

#[test]
fn the_session_opens_with_the_socket_id_and_activity_timeout_string_encoded_or_not() {
    for text in [
        r#"{"event":"pusher:connection_established","data":"{\"socket_id\":\"1.2\",\"activity_timeout\":30}"}"#,
        r#"{"event":"pusher:connection_established","data":{"socket_id":"1.2","activity_timeout":30}}"#,
    ] {
        assert_eq!(
            decode(text),
            Ok(Packet::Open(Handshake {
                sid: "1.2".into(),
                ping_interval: 30_000,
                ping_timeout: 30_000,
            })),
            "{text}"
        );
    }
}

#[test]
fn pings_pongs_errors_and_notices() {
    let pusher = Protocol::Pusher {
        app_key: "k".into(),
    };
    assert_eq!(
        decode(r#"{"event":"pusher:ping","data":"{}"}"#),
        Ok(Packet::Ping)
    );
    assert_eq!(decode(r#"{"event":"pusher:pong"}"#), Ok(Packet::Pong));
    assert_eq!(pusher.pong(), r#"{"event":"pusher:pong","data":{}}"#);
    assert_eq!(
        decode(r#"{"event":"pusher:error","data":{"code":4001,"message":"no"}}"#),
        Ok(Packet::ConnectError(r#"{"code":4001,"message":"no"}"#))
    );
    for notice in [
        r#"{"event":"pusher_internal:subscription_succeeded","channel":"a","data":"{}"}"#,
        r#"{"event":"pusher_internal:subscription_count","channel":"a","data":"{\"subscription_count\":2}"}"#,
        r#"{"event":"pusher:subscription_error","channel":"a","data":"{}"}"#,
        r#"{"event":"pusher:cache_miss","channel":"cache-a"}"#,
    ] {
        assert_eq!(decode(notice), Ok(Packet::Notice), "{notice}");
    }
}

#[test]
fn an_event_reads_as_channel_and_data_and_its_stamp_reads_back() {
    let text = r#"{"event":"Tick","channel":"loadgen.0","data":"{\"seq\":7,\"sent_ns\":99,\"socket\":null}"}"#;
    let Ok(Packet::Event(event)) = decode(text) else {
        panic!("{text}");
    };
    assert_eq!(event.name, "Tick");
    assert_eq!(event.args[0].get(), r#""loadgen.0""#);
    assert_eq!(
        Stamp::read(event.args[1]),
        Some(Stamp {
            seq: 7,
            sent_ns: 99
        })
    );
}

#[test]
fn the_subscription_is_pusher_js_s() {
    let value: serde_json::Value = serde_json::from_str(&subscribe("loadgen.3")).unwrap();
    assert_eq!(
        value,
        serde_json::json!({"event": "pusher:subscribe", "data": {"channel": "loadgen.3"}})
    );
}

#[test]
fn what_cannot_be_read_is_an_error_never_a_panic() {
    for bad in [
        "",
        "not json",
        "[]",
        r#"{"channel":"a"}"#,
        r#"{"event":"Tick","data":"{}"}"#,
        r#"{"event":"Tick","channel":"a"}"#,
        r#"{"event":"pusher:surprise"}"#,
        r#"{"event":"pusher:connection_established"}"#,
        r#"{"event":"pusher:connection_established","data":"{\"socket_id\":1}"}"#,
        r#"{"event":"pusher:connection_established","data":"\"unterminated"}"#,
    ] {
        assert!(decode(bad).is_err(), "{bad:?}");
    }
}
