//! Entry points for the fuzz targets (`fuzz/`) and the property tests that run the same inputs
//! on stable (`tests/hostile_input.rs`): everything a client can send, through every parser
//! it reaches, with what must hold whatever the input.

use crate::engine::{self, Version, payload};
use crate::packet::Incoming;

/// A polling body or WebSocket message from a client, in the Engine.IO version `data[0]`
/// picks: split into packets, each read as Engine.IO and, inside, as socket.io. Packets that
/// split out of a body encode back into one that splits the same way.
pub fn client_input(data: &[u8]) {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let version = if pick % 2 == 0 {
        Version::V3
    } else {
        Version::V4
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let Ok(packets) = payload::decode(version, text) else {
        return;
    };
    for packet in &packets {
        if let Ok(engine::Packet::Message(message)) = engine::Packet::parse(packet) {
            let _ = Incoming::parse(message);
        }
    }
    // Version 4 cannot carry a packet holding its separator; version 3 carries anything.
    if version == Version::V3 || packets.iter().all(|packet| !packet.contains('\u{1e}')) {
        let body = payload::encode(version, &packets);
        let again = payload::decode(version, std::str::from_utf8(&body).expect("UTF-8 in"));
        assert_eq!(
            again.as_deref(),
            Ok(&packets[..]),
            "a body re-encoded reads the same"
        );
    }
}
