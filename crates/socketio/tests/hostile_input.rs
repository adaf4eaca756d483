//! The fuzz target `socketio_client` (`fuzz/`), run as a bounded property test on stable:
//! random bodies, and bodies made of nearly-right packets, never make the Engine.IO and
//! socket.io parsers panic, and what they split re-encodes the same.

use proptest::collection::vec;
use proptest::prelude::*;
use sidecast_socketio::fuzzing::client_input;

/// Packets as Echo sends them, and near misses.
fn packet() -> impl Strategy<Value = String> {
    prop_oneof![
        "[0-6][0-6]?[/a-z,0-9]{0,6}\\[?\"?[a-z ]{0,12}\"?,?\\{?[\"a-z:,\\}\\]]{0,30}",
        "42\\[\"(subscribe|unsubscribe|client event)\",\\{\"channel\":\"[a-z.-]{0,12}\"\\}\\]",
        "[\\PC\u{1e}😀é]{0,20}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn random_bytes(data in vec(any::<u8>(), 0..600)) {
        client_input(&data);
    }

    #[test]
    fn bodies_of_packets(version in any::<u8>(), packets in vec(packet(), 0..6), prefixed in any::<bool>()) {
        let body: String = if prefixed {
            packets.iter().map(|p| format!("{}:{p}", p.encode_utf16().count())).collect()
        } else {
            packets.join("\u{1e}")
        };
        let mut data = vec![version];
        data.extend(body.as_bytes());
        client_input(&data);
    }
}
