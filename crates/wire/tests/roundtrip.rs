//! Property tests: whatever the encoder accepts decodes back unchanged, split at any point of a
//! stream; and random or corrupted bytes never make the decoder panic or read past a frame.

use proptest::collection::vec;
use proptest::prelude::*;
use sidecast_wire::{Frame, Limits, Publish, check, decode};

fn name() -> impl Strategy<Value = String> {
    "[^\\p{Cc}]{1,40}"
}

prop_compose! {
    fn owned_publish()(
        channels in vec(name(), 1..5),
        event in name(),
        socket_id in proptest::option::of("[A-Za-z0-9_-]{1,20}"),
        payload in vec(any::<u8>(), 0..300),
    ) -> (Vec<String>, String, Option<String>, Vec<u8>) {
        (channels, event, socket_id, payload)
    }
}

fn borrow(owned: &(Vec<String>, String, Option<String>, Vec<u8>)) -> Publish<'_> {
    Publish {
        channels: owned.0.iter().map(String::as_str).collect(),
        event: &owned.1,
        socket_id: owned.2.as_deref(),
        payload: &owned.3,
    }
}

proptest! {
    #[test]
    fn encoded_frames_decode_to_the_same_event(owned in owned_publish()) {
        let publish = borrow(&owned);
        let mut bytes = Vec::new();
        publish.encode(&mut bytes).expect("encode");
        let (frame, used) = decode(&bytes, &Limits::default()).expect("valid").expect("complete");
        prop_assert_eq!(used, bytes.len());
        prop_assert_eq!(frame, Frame::Publish(publish));
    }

    #[test]
    fn a_stream_of_frames_decodes_whatever_the_read_sizes(
        events in vec(owned_publish(), 1..6),
        chunk in 1usize..64,
    ) {
        let mut stream = Vec::new();
        for owned in &events {
            borrow(owned).encode(&mut stream).expect("encode");
        }
        // Feed the stream to a reader that receives `chunk` bytes at a time.
        let mut buffer = Vec::new();
        let mut decoded = 0;
        for piece in stream.chunks(chunk) {
            buffer.extend_from_slice(piece);
            while let Some((frame, used)) = decode(&buffer, &Limits::default()).expect("valid") {
                prop_assert_eq!(frame, Frame::Publish(borrow(&events[decoded])));
                decoded += 1;
                buffer.drain(..used);
            }
        }
        prop_assert_eq!(decoded, events.len());
        prop_assert!(buffer.is_empty());
    }

    #[test]
    fn random_bytes_never_panic_and_never_claim_more_than_they_have(
        bytes in vec(any::<u8>(), 0..512),
    ) {
        if let Ok(Some((_, used))) = decode(&bytes, &Limits::default()) {
            prop_assert!(used <= bytes.len());
        }
    }

    #[test]
    fn corrupting_one_byte_of_a_valid_frame_never_panics(
        owned in owned_publish(),
        position in any::<prop::sample::Index>(),
        value in any::<u8>(),
    ) {
        let mut bytes = Vec::new();
        borrow(&owned).encode(&mut bytes).expect("encode");
        let at = position.index(bytes.len());
        bytes[at] = value;
        let limits = Limits::default();
        if let Ok(Some(size)) = check(&bytes, &limits) {
            prop_assert!(size <= bytes.len());
            let _ = decode(&bytes, &limits);
        }
    }
}
