//! The fuzz target `websocket_reader` (`fuzz/`), run as a bounded property test on stable:
//! random bytes, and frames that are nearly right, never make the reader panic, hang or keep a
//! message over its limit.

use proptest::collection::vec;
use proptest::prelude::*;
use sidecast_websocket::frame::{self, Opcode};
use sidecast_websocket::fuzzing::client_bytes;

/// A masked client frame, as a browser sends it.
fn client_frame(first: u8, payload: &[u8], mask: [u8; 4]) -> Vec<u8> {
    let mut bytes = frame::encode(Opcode::Text, payload);
    let header = bytes.len() - payload.len();
    bytes[0] = first;
    bytes[1] |= 0x80;
    let body: Vec<u8> = payload
        .iter()
        .enumerate()
        .map(|(at, byte)| byte ^ mask[at % 4])
        .collect();
    bytes.truncate(header);
    bytes.extend(mask);
    bytes.extend(body);
    bytes
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn random_bytes(data in vec(any::<u8>(), 0..600)) {
        client_bytes(&data);
    }

    #[test]
    fn frames_with_any_first_byte_length_and_mask(
        limit in any::<u8>(),
        frames in vec((any::<u8>(), vec(any::<u8>(), 0..300), any::<[u8; 4]>()), 1..5),
        cut in any::<prop::sample::Index>(),
    ) {
        let mut data = vec![limit];
        for (first, payload, mask) in &frames {
            data.extend(client_frame(*first, payload, *mask));
        }
        client_bytes(&data);
        let end = 1 + cut.index(data.len());
        client_bytes(&data[..end]);
    }
}
