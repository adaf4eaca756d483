//! The answer reader: takes the sidecar's `ACK` and `RESULT` frames off one connection and
//! hands each to the request it answers. It ends when the connection ends, or when the writer
//! thread closes it and nothing more arrives.

use std::io::{ErrorKind, Read};
use std::os::unix::net::UnixStream;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use sidecast_wire::{Frame, Limits};

use super::{Outcome, Shared};

/// How often a quiet reader checks whether the writer has closed the connection.
const QUIET_CHECK: Duration = Duration::from_millis(200);

/// Reads answers from `stream` until it ends, or `closing` is set and the peer is quiet; then
/// tells the writer thread, which starts a new connection.
pub(super) fn read(shared: &Arc<Shared>, stream: UnixStream, closing: &AtomicBool) {
    read_until_end(shared, stream, closing);
    shared.wake_writer.notify_all();
}

fn read_until_end(shared: &Arc<Shared>, mut stream: UnixStream, closing: &AtomicBool) {
    let _ = stream.set_read_timeout(Some(QUIET_CHECK));
    let mut buffer = Vec::with_capacity(16 * 1024);
    let mut chunk = vec![0u8; 16 * 1024];
    loop {
        match stream.read(&mut chunk) {
            Ok(0) => return,
            Ok(read) => buffer.extend_from_slice(&chunk[..read]),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                if closing.load(Ordering::Acquire) {
                    return;
                }
                continue;
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(_) => return,
        }
        let mut used = 0;
        loop {
            match sidecast_wire::decode(
                &buffer[used..],
                &Limits {
                    max_frame_bytes: sidecast_wire::frame::MAX_FRAME_BYTES,
                },
            ) {
                Ok(Some((frame, size))) => {
                    match frame {
                        Frame::Ack(ack) => shared.answered(
                            ack.request_id,
                            match ack.refused {
                                None => Outcome::Accepted,
                                Some(reason) => Outcome::Refused(reason.to_owned()),
                            },
                        ),
                        Frame::Result(result) => shared.answered(
                            result.request_id,
                            Outcome::Answer(
                                result.outcome.map(<[u8]>::to_vec).map_err(<[u8]>::to_vec),
                            ),
                        ),
                        // Not an answer: this is not a sidecar we understand.
                        _ => return,
                    }
                    used += size;
                }
                Ok(None) => break,
                Err(_) => return,
            }
        }
        buffer.drain(..used);
    }
}
