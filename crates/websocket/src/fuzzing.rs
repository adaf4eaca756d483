//! Entry point for the fuzz targets (`fuzz/`) and the property tests that run the same inputs
//! on stable (`tests/hostile_input.rs`): bytes from a client, read as WebSocket frames.

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use crate::reader::{Incoming, MessageReader};

/// Reads `bytes` as what a client sent on its WebSocket, messages limited to `data[0]` × 16
/// bytes, until the reader stops: every message kept is within the limit, and reading ends
/// with an error (the end of the bytes at the latest).
pub fn client_bytes(data: &[u8]) {
    let Some((&limit, mut bytes)) = data.split_first() else {
        return;
    };
    let max = usize::from(limit) * 16;
    let mut reader = MessageReader::new(max);
    loop {
        let mut next = pin!(reader.next(&mut bytes));
        // A byte slice is always ready: one poll reads as far as it can.
        let Poll::Ready(read) = next.as_mut().poll(&mut Context::from_waker(Waker::noop())) else {
            panic!("reading from a byte slice waited");
        };
        match read {
            Ok(Incoming::Text(text)) => assert!(text.len() <= max, "a message over the limit"),
            Ok(_) => {}
            Err(_) => return,
        }
    }
}
