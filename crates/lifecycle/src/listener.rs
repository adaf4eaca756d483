//! One `php artisan sidecast:listen` connection, handed over by the Unix socket's reader once
//! it asked to `LISTEN`: the journal's events out as `EVENT` frames, the listener's `CONFIRM`
//! frames in, read while events are written. Some events are sent ahead of the confirmations
//! (`WINDOW`), so a listener working through a backlog is never idle waiting for the next
//! event.

use std::sync::Arc;

use bytes::{Buf, BytesMut};
use sidecast_wire::{Ack, Frame, LifecycleEvent, Limits};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::UnixStream;

use crate::journal::{Journal, Next};

/// Events written at once, and sent ahead of the listener's confirmations at most.
const SENT_AT_ONCE: usize = 256;
const WINDOW: usize = 1024;

/// Serves a listener until it disconnects or the sidecar stops and it has confirmed
/// everything. `buffered` holds what it sent after its `LISTEN`.
pub async fn serve(
    journal: Arc<Journal>,
    mut stream: UnixStream,
    mut buffered: BytesMut,
    request_id: u32,
) {
    let peer_pid = stream.peer_cred().ok().and_then(|cred| cred.pid());
    let mut out = Vec::new();
    let mut listening = match journal.attach() {
        Ok(listening) => listening,
        Err(reason) => {
            tracing::info!(?peer_pid, reason, "listener refused");
            Ack {
                request_id,
                refused: Some(reason),
            }
            .encode(&mut out);
            let _ = stream.write_all(&out).await;
            let _ = stream.shutdown().await;
            return;
        }
    };
    Ack {
        request_id,
        refused: None,
    }
    .encode(&mut out);
    tracing::info!(?peer_pid, waiting = journal.len(), "listener connected");
    let (mut reader, mut writer) = stream.into_split();
    // Bytes of `out` already written: confirmations are read while events are written, so
    // neither side can wait on the other with both socket buffers full.
    let mut written = 0;
    let ended = loop {
        if let Err(reason) = take_confirmations(&mut buffered, &mut listening) {
            break reason;
        }
        if written == out.len() {
            out.clear();
            written = 0;
            match listening.next(SENT_AT_ONCE, WINDOW) {
                Next::Send(entries) => encode(&entries, &mut out),
                Next::Done => break "the sidecar stopped".to_owned(),
                Next::Wait => {}
            }
        }
        buffered.reserve(4096);
        tokio::select! {
            wrote = writer.write(&out[written..]), if written < out.len() => match wrote {
                Ok(0) => break "it stopped reading".to_owned(),
                Ok(n) => written += n,
                Err(error) => {
                    // Confirmations it sent before going are still applied.
                    while let Ok(n) = reader.try_read_buf(&mut buffered) && n > 0 {}
                    let _ = take_confirmations(&mut buffered, &mut listening);
                    break format!("cannot write to it: {error}");
                }
            },
            read = reader.read_buf(&mut buffered) => match read {
                Ok(0) => break "it disconnected".to_owned(),
                Ok(_) => {}
                Err(error) => break format!("cannot read from it: {error}"),
            },
            () = listening.changed(), if written == out.len() => {}
        }
    };
    let _ = take_confirmations(&mut buffered, &mut listening);
    let _ = writer.shutdown().await;
    tracing::info!(?peer_pid, reason = %ended, unconfirmed = journal.len(), "listener gone");
}

fn encode(entries: &[crate::journal::Entry], out: &mut Vec<u8>) {
    for entry in entries {
        let event = LifecycleEvent {
            seq: entry.seq,
            time_ms: entry.time_ms,
            missed: entry.missed,
            json: &entry.json,
        };
        if let Err(error) = event.encode(out) {
            // Cannot happen below the journal's byte bound; said rather than hidden.
            tracing::error!(seq = entry.seq, %error, "lifecycle event not sent");
        }
    }
}

/// Applies every `CONFIRM` in `buffered`; anything else ends the connection.
fn take_confirmations(
    buffered: &mut BytesMut,
    listening: &mut crate::journal::Listening,
) -> Result<(), String> {
    let limits = Limits::default();
    while let Some(size) = sidecast_wire::check(buffered, &limits).map_err(|e| e.to_string())? {
        match sidecast_wire::parse(&buffered[..size]).map_err(|e| e.to_string())? {
            Frame::Confirm(confirm) => listening.confirm(confirm.seq),
            other => {
                return Err(format!(
                    "a listener sends only CONFIRM frames, not {:?}",
                    other.kind()
                ));
            }
        }
        buffered.advance(size);
    }
    Ok(())
}
