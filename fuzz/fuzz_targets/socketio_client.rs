//! A socket.io client's polling body or WebSocket message, in either Engine.IO version.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| sidecast_socketio::fuzzing::client_input(data));
