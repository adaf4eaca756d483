//! Bytes on the Unix socket, as a publisher (or anything able to connect) could write them.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sidecast_wire::{Limits, decode};

fuzz_target!(|data: &[u8]| {
    let mut rest = data;
    // Frame after frame, as the sidecar reads a connection, until one is refused or cut short.
    while let Ok(Some((_, used))) = decode(rest, &Limits::default()) {
        assert!(
            used > 0 && used <= rest.len(),
            "a frame claims bytes it does not have"
        );
        rest = &rest[used..];
    }
});
