//! Bytes on a WebSocket, as any client could send them (both front ends read them so).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| sidecast_websocket::fuzzing::client_bytes(data));
