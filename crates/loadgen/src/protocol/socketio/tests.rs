use super::*;
use crate::protocol::Handshake;

fn event(text: &str) -> Event<'_> {
    match decode(text) {
        Ok(Packet::Event(event)) => event,
        other => panic!("expected an event from {text:?}, got {other:?}"),
    }
}

#[test]
fn websocket_urls_for_both_generations() {
    assert_eq!(
        Eio::V3.websocket_url("http://127.0.0.1:6001/"),
        "ws://127.0.0.1:6001/socket.io/?EIO=3&transport=websocket"
    );
    assert_eq!(
        Eio::V4.websocket_url("https://echo.test"),
        "wss://echo.test/socket.io/?EIO=4&transport=websocket"
    );
}

#[test]
fn only_eio4_clients_ask_to_join_the_namespace_and_only_eio3_clients_ping() {
    assert_eq!(Eio::V3.connect_request(), None);
    assert_eq!(Eio::V4.connect_request(), Some("40"));
    assert!(Eio::V3.client_pings());
    assert!(!Eio::V4.client_pings());
}

#[test]
fn open_packets_of_both_generations() {
    // socket.io 2 (EIO=3) as captured from the real server, then socketioxide's EIO=4 form.
    let v3 = r#"0{"sid":"_wh1U4dA0PWHjaJz","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":100000}"#;
    let v4 = r#"0{"sid":"4IErk52BcPHpT3jb","upgrades":[],"pingInterval":25000,"pingTimeout":5000}"#;
    assert_eq!(
        decode(v3),
        Ok(Packet::Open(Handshake {
            sid: "_wh1U4dA0PWHjaJz".into(),
            ping_interval: 25000,
            ping_timeout: 20000,
        }))
    );
    assert!(matches!(decode(v4), Ok(Packet::Open(h)) if h.ping_timeout == 5000));
}

#[test]
fn heartbeats_and_engine_packets() {
    assert_eq!(decode("2"), Ok(Packet::Ping));
    assert_eq!(decode("2probe"), Ok(Packet::Ping));
    assert_eq!(decode("3"), Ok(Packet::Pong));
    assert_eq!(decode("1"), Ok(Packet::Close));
    assert_eq!(decode("6"), Ok(Packet::Noop));
}

#[test]
fn connect_in_both_generations() {
    assert_eq!(decode("40"), Ok(Packet::Connect));
    assert_eq!(
        decode(r#"40{"sid":"4IErk52BcPHpT3jb"}"#),
        Ok(Packet::Connect)
    );
    assert_eq!(decode("40/,"), Ok(Packet::Connect));
    assert_eq!(decode("41"), Ok(Packet::Disconnect));
}

#[test]
fn refused_connects_keep_the_reason() {
    assert_eq!(
        decode(r#"44{"message":"Invalid namespace"}"#),
        Ok(Packet::ConnectError(r#"{"message":"Invalid namespace"}"#))
    );
    assert_eq!(
        decode(r#"44"Invalid namespace""#),
        Ok(Packet::ConnectError(r#""Invalid namespace""#))
    );
}

#[test]
fn an_echo_event_with_its_channel_and_data() {
    let event = event(r#"42["OrderShipped","orders",{"id":7,"socket":null}]"#);
    assert_eq!(event.name, "OrderShipped");
    assert!(matches!(event.name, Cow::Borrowed(_)));
    let args: Vec<&str> = event.args.iter().map(|a| a.get()).collect();
    assert_eq!(args, [r#""orders""#, r#"{"id":7,"socket":null}"#]);
}

#[test]
fn event_names_with_escapes_are_decoded() {
    let event = event(r#"42["App\\Events\\OrderShipped","orders",{}]"#);
    assert_eq!(event.name, r"App\Events\OrderShipped");
}

#[test]
fn an_ack_id_before_the_array_is_skipped() {
    let event = event(r#"4217["Tick","c",1]"#);
    assert_eq!(event.name, "Tick");
    assert_eq!(event.args.len(), 2);
}

#[test]
fn subscribe_is_what_echo_sends() {
    assert_eq!(
        subscribe("orders"),
        r#"42["subscribe",{"channel":"orders","auth":{"headers":{}}}]"#
    );
    assert_eq!(
        subscribe(r#"odd"name"#),
        r#"42["subscribe",{"channel":"odd\"name","auth":{"headers":{}}}]"#
    );
    assert_eq!(
        subscribe_with_token("presence-chat.1", "token-7"),
        r#"42["subscribe",{"channel":"presence-chat.1","auth":{"headers":{"Authorization":"Bearer token-7"}}}]"#
    );
}

#[test]
fn malformed_frames_are_errors() {
    assert_eq!(decode(""), Err(Error::Empty));
    assert_eq!(decode("4"), Err(Error::Empty));
    assert_eq!(decode("9"), Err(Error::UnknownEngineType('9')));
    assert_eq!(decode("49"), Err(Error::UnknownSocketType('9')));
    assert_eq!(
        decode("40/admin,"),
        Err(Error::OtherNamespace("/admin".into()))
    );
    assert_eq!(
        decode(r#"45-["x",{"_placeholder":true,"num":0}]"#),
        Err(Error::Binary)
    );
    assert_eq!(decode(r#"43["x"]"#), Err(Error::UnexpectedAck));
    assert!(matches!(decode("0{not json"), Err(Error::Handshake(_))));
    assert!(matches!(
        decode(r#"0{"sid":"x"}"#),
        Err(Error::Handshake(_))
    ));
    for bad in [
        "42",
        "42[]",
        "42[1,2]",
        r#"42["unterminated"#,
        "42{}",
        r#"42["a"]x"#,
    ] {
        assert!(
            matches!(decode(bad), Err(Error::Event(_))),
            "{bad:?} gave {:?}",
            decode(bad)
        );
    }
}

#[test]
fn multibyte_text_is_not_split_inside_a_character() {
    assert_eq!(decode("é"), Err(Error::UnknownEngineType('é')));
    assert_eq!(decode("4é"), Err(Error::UnknownSocketType('é')));
}
