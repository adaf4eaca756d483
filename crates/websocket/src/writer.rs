//! Writes one connection's outbox out, batch by batch: whatever piled up since the last write
//! goes in one write call, since with `TCP_NODELAY` every write is a packet.

use std::future::Future;
use std::time::Duration;

use tokio::io::{AsyncWrite, AsyncWriteExt};

use crate::frame::{self, Opcode};
use crate::outbox::{Frame, Outbox};

/// What the outbox holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// Whole WebSocket frames, written as they are; the last one is the close frame.
    Frames,
    /// Text messages, each framed as it is written (the same message can then also go out
    /// over a transport that is not a WebSocket); after the last one, the connection is
    /// closed with 1000.
    Texts,
}

/// How long a closing connection gets to write what is queued, its last message last.
pub const CLOSE_GRACE: Duration = Duration::from_secs(1);

/// Runs a connection: `reading` and the writer side by side, until either ends. When reading
/// ends first, `read_ended` queues the closing message (from what reading returned) and the
/// writer gets [`CLOSE_GRACE`] to write it out. However the connection comes to close, it gets
/// no more than that once its closing message is queued: a peer that stops reading cannot keep
/// it (and its hub registration) alive.
pub async fn serve<W, R>(
    outbox: &Outbox,
    write: &mut W,
    framing: Framing,
    reading: impl Future<Output = R>,
    read_ended: impl FnOnce(R),
) where
    W: AsyncWrite + Unpin,
{
    let writing = write_all(outbox, write, framing);
    tokio::pin!(writing);
    let deadline = async {
        outbox.closing().await;
        tokio::time::sleep(CLOSE_GRACE).await;
    };
    tokio::select! {
        ended = reading => {
            read_ended(ended);
            let _ = tokio::time::timeout(CLOSE_GRACE, &mut writing).await;
        }
        () = &mut writing => {}
        () = deadline => {}
    }
}

/// A message larger than this is written from the queue's own bytes rather than copied into
/// the connection's write buffer: a large event sent to many sockets at once is then held
/// once, not once per socket.
const COPIED_UP_TO: usize = 16 * 1024;

/// Writes what `outbox` holds until its last message has been written, or writing fails.
pub async fn write_all<W: AsyncWrite + Unpin>(outbox: &Outbox, write: &mut W, framing: Framing) {
    let (mut batch, mut scratch) = (Vec::new(), Vec::new());
    loop {
        let closes = outbox.take(&mut batch).await;
        let mut written = write_batch(write, framing, &batch, &mut scratch).await;
        if written.is_ok() && closes && framing == Framing::Texts {
            written = write.write_all(&frame::encode_close(1000, "")).await;
        }
        batch.clear();
        // Given back after a burst, as the outbox's own queue is.
        if batch.capacity() > 64 {
            batch = Vec::new();
        }
        if written.is_err() {
            return;
        }
        if closes {
            let _ = write.shutdown().await;
            return;
        }
    }
}

/// Writes a batch in as few writes as it takes: small messages (and the headers of large
/// ones) gathered in `scratch`, large ones written as they are.
async fn write_batch<W: AsyncWrite + Unpin>(
    write: &mut W,
    framing: Framing,
    batch: &[Frame],
    scratch: &mut Vec<u8>,
) -> std::io::Result<()> {
    scratch.clear();
    for item in batch {
        if framing == Framing::Texts {
            frame::append_header(Opcode::Text, item.len(), scratch);
        }
        if item.len() <= COPIED_UP_TO {
            scratch.extend_from_slice(item);
            continue;
        }
        if !scratch.is_empty() {
            write.write_all(scratch).await?;
            scratch.clear();
        }
        write.write_all(item).await?;
    }
    if !scratch.is_empty() {
        write.write_all(scratch).await?;
    }
    if scratch.capacity() > 64 * 1024 {
        *scratch = Vec::new();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn texts_are_framed_and_the_connection_closed_after_the_last() {
        let outbox = Outbox::new(8, 1024);
        outbox.push(Frame::from(&b"42[\"a\"]"[..])).unwrap();
        outbox.close_with(Frame::from(&b"1"[..]));
        let mut written = Vec::new();
        write_all(&outbox, &mut written, Framing::Texts).await;
        let mut expected = frame::encode(Opcode::Text, b"42[\"a\"]");
        expected.extend(frame::encode(Opcode::Text, b"1"));
        expected.extend(frame::encode_close(1000, ""));
        assert_eq!(written, expected);
    }

    #[tokio::test]
    async fn large_texts_are_framed_around_their_own_bytes() {
        let outbox = Outbox::new(8, 1 << 20);
        let large = vec![b'x'; COPIED_UP_TO + 1];
        outbox.push(Frame::from(&b"a"[..])).unwrap();
        outbox.push(Frame::from(large.clone())).unwrap();
        outbox.push(Frame::from(&b"b"[..])).unwrap();
        outbox.close_with(Frame::from(&b"1"[..]));
        let mut written = Vec::new();
        write_all(&outbox, &mut written, Framing::Texts).await;
        let mut expected = Vec::new();
        for text in [&b"a"[..], &large, b"b", b"1"] {
            expected.extend(frame::encode(Opcode::Text, text));
        }
        expected.extend(frame::encode_close(1000, ""));
        assert_eq!(written, expected);
    }

    #[tokio::test]
    async fn frames_are_written_as_they_are() {
        let outbox = Outbox::new(8, 1024);
        outbox
            .push(Frame::from(frame::encode(Opcode::Text, b"x")))
            .unwrap();
        outbox.close(4200, "bye");
        let mut written = Vec::new();
        write_all(&outbox, &mut written, Framing::Frames).await;
        let mut expected = frame::encode(Opcode::Text, b"x");
        expected.extend(frame::encode_close(4200, "bye"));
        assert_eq!(written, expected);
    }
}
