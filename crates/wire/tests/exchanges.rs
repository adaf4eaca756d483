//! Requests (acknowledged publishes, queries) and the sidecar's answers: golden bytes shared
//! with the PHP client's tests, round trips, and refusals of malformed ones. Set
//! `SIDECAST_BLESS=1` to rewrite the `.bin` files after a deliberate format change.

use std::path::PathBuf;

use serde::Deserialize;
use sidecast_wire::{
    Ack, Confirm, DecodeError, Frame, LifecycleEvent, Limits, Listen, Publish, Query, QueryResult,
    Question, decode, parse,
};

#[derive(Deserialize)]
struct Exchange {
    file: String,
    kind: String,
    request_id: u32,
    #[serde(default)]
    channels: Vec<String>,
    #[serde(default)]
    event: String,
    #[serde(default)]
    socket_id: Option<String>,
    #[serde(default)]
    payload: String,
    #[serde(default)]
    question: String,
    #[serde(default)]
    argument: String,
    #[serde(default)]
    refused: Option<String>,
    #[serde(default)]
    ok: bool,
    #[serde(default)]
    json: String,
    #[serde(default)]
    seq: u64,
    #[serde(default)]
    time_ms: u64,
    #[serde(default)]
    missed: u32,
}

impl Exchange {
    fn frame(&self) -> Frame<'_> {
        match self.kind.as_str() {
            "publish_acked" => Frame::PublishAcked {
                request_id: self.request_id,
                publish: Publish {
                    channels: self.channels.iter().map(String::as_str).collect(),
                    event: &self.event,
                    socket_id: self.socket_id.as_deref(),
                    payload: self.payload.as_bytes(),
                },
            },
            "query" => Frame::Query(Query {
                request_id: self.request_id,
                question: match self.question.as_str() {
                    "channels" => Question::Channels {
                        prefix: &self.argument,
                    },
                    "channel" => Question::Channel {
                        name: &self.argument,
                    },
                    "members" => Question::Members {
                        channel: &self.argument,
                    },
                    "stats" => Question::Stats,
                    other => panic!("unknown question {other}"),
                },
            }),
            "ack" => Frame::Ack(Ack {
                request_id: self.request_id,
                refused: self.refused.as_deref(),
            }),
            "result" => Frame::Result(QueryResult {
                request_id: self.request_id,
                outcome: if self.ok {
                    Ok(self.json.as_bytes())
                } else {
                    Err(self.json.as_bytes())
                },
            }),
            "listen" => Frame::Listen(Listen {
                request_id: self.request_id,
            }),
            "confirm" => Frame::Confirm(Confirm { seq: self.seq }),
            "event" => Frame::Event(LifecycleEvent {
                seq: self.seq,
                time_ms: self.time_ms,
                missed: self.missed,
                json: self.json.as_bytes(),
            }),
            other => panic!("unknown kind {other}"),
        }
    }
}

fn encode(frame: &Frame<'_>) -> Vec<u8> {
    let mut out = Vec::new();
    match frame {
        Frame::PublishAcked {
            request_id,
            publish,
        } => publish.encode_acked(*request_id, &mut out).unwrap(),
        Frame::Query(query) => query.encode(&mut out).unwrap(),
        Frame::Ack(ack) => ack.encode(&mut out),
        Frame::Result(result) => result.encode(&mut out).unwrap(),
        Frame::Publish(publish) => publish.encode(&mut out).unwrap(),
        Frame::Listen(listen) => listen.encode(&mut out),
        Frame::Confirm(confirm) => confirm.encode(&mut out),
        Frame::Event(event) => event.encode(&mut out).unwrap(),
    }
    out
}

fn golden_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("golden")
}

fn exchanges() -> Vec<Exchange> {
    let text = std::fs::read_to_string(golden_dir().join("exchanges.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

#[test]
fn every_request_and_answer_has_its_golden_bytes_and_reads_back() {
    let bless = std::env::var_os("SIDECAST_BLESS").is_some();
    for exchange in exchanges() {
        let frame = exchange.frame();
        let bytes = encode(&frame);
        let path = golden_dir().join(&exchange.file);
        if bless {
            std::fs::write(&path, &bytes).unwrap();
        }
        assert_eq!(bytes, std::fs::read(&path).unwrap(), "{}", exchange.file);
        let (decoded, used) = decode(&bytes, &Limits::default()).unwrap().unwrap();
        assert_eq!(used, bytes.len());
        assert_eq!(decoded, frame, "{}", exchange.file);
    }
}

#[test]
fn an_acknowledged_publish_is_the_publish_body_after_a_request_id() {
    let publish = Publish {
        channels: vec!["c"],
        event: "E",
        socket_id: None,
        payload: b"{}",
    };
    let (mut plain, mut acked) = (Vec::new(), Vec::new());
    publish.encode(&mut plain).unwrap();
    publish.encode_acked(0x0102_0304, &mut acked).unwrap();
    assert_eq!(acked[5], 2, "kind PUBLISH_ACKED");
    assert_eq!(&acked[6..10], &[1, 2, 3, 4]);
    assert_eq!(&acked[10..], &plain[6..]);
    assert_eq!(
        u32::from_be_bytes(acked[..4].try_into().unwrap()) as usize,
        acked.len() - 4
    );
}

/// Rewrites the length field after a test changed the body.
fn fix_length(frame: &mut [u8]) {
    let length = (frame.len() - 4) as u32;
    frame[..4].copy_from_slice(&length.to_be_bytes());
}

#[test]
fn malformed_requests_and_answers_are_refused_with_the_reason() {
    let mut unknown_question = vec![0, 0, 0, 0, 1, 3, 0, 0, 0, 1, 9, 0, 0];
    fix_length(&mut unknown_question);
    assert_eq!(
        parse(&unknown_question),
        Err(DecodeError::UnknownQuestion(9))
    );

    let mut unknown_status = vec![0, 0, 0, 0, 1, 128, 0, 0, 0, 1, 5, 0, 0];
    fix_length(&mut unknown_status);
    assert_eq!(parse(&unknown_status), Err(DecodeError::UnknownStatus(5)));

    let mut trailing = encode(&Frame::Ack(Ack {
        request_id: 1,
        refused: None,
    }));
    trailing.push(0);
    fix_length(&mut trailing);
    assert_eq!(parse(&trailing), Err(DecodeError::TrailingBytes(1)));

    let mut short_result = vec![0, 0, 0, 0, 1, 129, 0, 0, 0, 1, 0, 0, 0, 0, 9, b'{'];
    fix_length(&mut short_result);
    assert_eq!(parse(&short_result), Err(DecodeError::Truncated("result")));

    let mut short_confirm = vec![0, 0, 0, 0, 1, 5, 0, 0, 0, 1];
    fix_length(&mut short_confirm);
    assert_eq!(
        parse(&short_confirm),
        Err(DecodeError::Truncated("sequence number"))
    );

    let mut listen_with_more = vec![0, 0, 0, 0, 1, 4, 0, 0, 0, 1, 0];
    fix_length(&mut listen_with_more);
    assert_eq!(parse(&listen_with_more), Err(DecodeError::TrailingBytes(1)));

    let mut event_overrunning = encode(&Frame::Event(LifecycleEvent {
        seq: 1,
        time_ms: 2,
        missed: 0,
        json: b"{}",
    }));
    event_overrunning.pop();
    fix_length(&mut event_overrunning);
    assert_eq!(
        parse(&event_overrunning),
        Err(DecodeError::Truncated("event"))
    );

    let mut acked_without_event = vec![0, 0, 0, 0, 1, 2, 0, 0, 0, 1];
    fix_length(&mut acked_without_event);
    assert_eq!(
        parse(&acked_without_event),
        Err(DecodeError::Truncated("channel count"))
    );
}

#[test]
fn an_overlong_refusal_reason_is_cut_at_a_character_boundary() {
    let reason = "\u{e9}".repeat(40_000);
    let bytes = encode(&Frame::Ack(Ack {
        request_id: 3,
        refused: Some(&reason),
    }));
    match parse(&bytes).unwrap() {
        Frame::Ack(ack) => {
            let kept = ack.refused.unwrap();
            assert!(
                kept.len() <= 65_535 && kept.len() % 2 == 0 && kept.chars().all(|c| c == '\u{e9}')
            );
        }
        other => panic!("{other:?}"),
    }
}
