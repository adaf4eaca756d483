//! A request to the HTTP API: its query string, then a NUL, then its body.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (query, body) = match data.iter().position(|&byte| byte == 0) {
        Some(at) => (&data[..at], &data[at + 1..]),
        None => (data, &[][..]),
    };
    if let Ok(query) = std::str::from_utf8(query) {
        sidecast_api::fuzzing::request(query, body);
    }
});
