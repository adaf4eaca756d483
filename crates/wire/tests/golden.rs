//! The golden frames in `golden/` pin the byte layout. The PHP encoder
//! (`php/tests/Unit/Wire/FrameTest.php`) reads the same files, so the two encoders cannot drift.
//! Set `SIDECAST_BLESS=1` to rewrite the `.bin` files after a deliberate format change.

use std::path::PathBuf;

use serde::Deserialize;
use sidecast_wire::{Frame, Limits, Publish, decode};

#[derive(Deserialize)]
struct Case {
    file: String,
    channels: Vec<String>,
    event: String,
    socket_id: Option<String>,
    payload: String,
}

impl Case {
    fn publish(&self) -> Publish<'_> {
        Publish {
            channels: self.channels.iter().map(String::as_str).collect(),
            event: &self.event,
            socket_id: self.socket_id.as_deref(),
            payload: self.payload.as_bytes(),
        }
    }
}

fn golden_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("golden")
}

fn cases() -> Vec<Case> {
    let text = std::fs::read_to_string(golden_dir().join("cases.json")).expect("read cases.json");
    serde_json::from_str(&text).expect("parse cases.json")
}

#[test]
fn encoder_produces_the_golden_bytes() {
    let bless = std::env::var_os("SIDECAST_BLESS").is_some();
    for case in cases() {
        let mut bytes = Vec::new();
        case.publish().encode(&mut bytes).expect("encode");
        let path = golden_dir().join(&case.file);
        if bless {
            std::fs::write(&path, &bytes).expect("write golden file");
        }
        let golden = std::fs::read(&path).expect("read golden file");
        assert_eq!(
            bytes, golden,
            "{} differs from the encoder's output",
            case.file
        );
    }
}

#[test]
fn decoder_reads_the_golden_bytes_back() {
    for case in cases() {
        let golden = std::fs::read(golden_dir().join(&case.file)).expect("read golden file");
        let (frame, used) = decode(&golden, &Limits::default())
            .expect("valid frame")
            .expect("complete frame");
        assert_eq!(used, golden.len());
        assert_eq!(frame, Frame::Publish(case.publish()), "{}", case.file);
    }
}

#[test]
fn first_golden_frame_matches_the_documented_layout_byte_for_byte() {
    // Written from docs/wire-protocol.md, not from the encoder.
    let mut expected = Vec::new();
    let event = b"App\\Events\\ExampleEvent";
    let channel = b"example-channel";
    let payload = br#"{"data":"Hello World!","socket":null}"#;
    let body_len = 2 + (2 + channel.len()) + (2 + event.len()) + 2 + (4 + payload.len());
    expected.extend_from_slice(&((body_len + 2) as u32).to_be_bytes());
    expected.extend_from_slice(&[1, 1]); // version 1, kind PUBLISH
    expected.extend_from_slice(&[0, 1]); // one channel
    expected.extend_from_slice(&(channel.len() as u16).to_be_bytes());
    expected.extend_from_slice(channel);
    expected.extend_from_slice(&(event.len() as u16).to_be_bytes());
    expected.extend_from_slice(event);
    expected.extend_from_slice(&[0, 0]); // no socket id
    expected.extend_from_slice(&(payload.len() as u32).to_be_bytes());
    expected.extend_from_slice(payload);

    let golden = std::fs::read(golden_dir().join("public-channel.bin")).expect("read golden file");
    assert_eq!(golden, expected);
}
