//! What waits to be written to one connection: its messages, most of them shared with every
//! other socket that receives the same event (an `Arc`, not a copy). Bounded in messages and
//! in bytes; an empty outbox holds no allocation, which keeps idle connections small. Once
//! closing, the connection gets a bounded time to write what is left ([`Outbox::closing`]).
//!
//! A client that does not read is not kept for ever at its limit: the outbox remembers since
//! when it has been refusing messages ([`Outbox::full_since`]), for the front end to close
//! connections that stay full.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use sidecast_core::Undelivered;
use tokio::sync::Notify;

use crate::frame;

pub type Frame = Arc<[u8]>;

#[derive(Debug)]
pub struct Outbox {
    state: Mutex<State>,
    ready: Notify,
    /// Signalled once, when a close frame is queued.
    closed: Notify,
    max_frames: usize,
    max_bytes: usize,
}

#[derive(Debug, Default)]
struct State {
    frames: VecDeque<Frame>,
    /// The bytes of `frames`, shared or not: what writing them out will take.
    bytes: usize,
    /// The last message was queued: nothing more is, and the connection ends once it is
    /// written.
    closing: bool,
    /// When a message was first refused for lack of room, since the outbox was last emptied.
    full_since: Option<Instant>,
}

impl Outbox {
    pub fn new(max_frames: usize, max_bytes: usize) -> Self {
        Outbox {
            state: Mutex::default(),
            ready: Notify::new(),
            closed: Notify::new(),
            max_frames,
            max_bytes,
        }
    }

    /// Queues a frame, unless the client lags `max_frames` or `max_bytes` behind or the
    /// connection is closing.
    pub fn push(&self, frame: Frame) -> Result<(), Undelivered> {
        let mut state = self.lock();
        if state.closing {
            return Err(Undelivered::Closed);
        }
        if state.frames.len() >= self.max_frames || state.bytes + frame.len() > self.max_bytes {
            state.full_since.get_or_insert_with(Instant::now);
            return Err(Undelivered::QueueFull);
        }
        Self::queue(state, frame);
        self.ready.notify_one();
        Ok(())
    }

    /// Queues a small control message (a ping) whatever the limits, unless the connection is
    /// closing: a client must be asked whether it is alive however far behind it is.
    pub fn push_control(&self, frame: Frame) -> Result<(), Undelivered> {
        let state = self.lock();
        if state.closing {
            return Err(Undelivered::Closed);
        }
        Self::queue(state, frame);
        self.ready.notify_one();
        Ok(())
    }

    fn queue(mut state: std::sync::MutexGuard<'_, State>, frame: Frame) {
        state.bytes += frame.len();
        state.frames.push_back(frame);
    }

    /// Queues a WebSocket close frame after what is already queued; later frames are refused.
    /// Returns `false` if the connection was already closing.
    pub fn close(&self, code: u16, reason: &str) -> bool {
        self.close_with(Frame::from(frame::encode_close(code, reason)))
    }

    /// Queues `last` after what is already queued, whatever the limits; later frames are
    /// refused. Returns `false` if the connection was already closing.
    pub fn close_with(&self, last: Frame) -> bool {
        let mut state = self.lock();
        if state.closing {
            return false;
        }
        state.closing = true;
        Self::queue(state, last);
        self.ready.notify_one();
        self.closed.notify_waiters();
        true
    }

    /// Since when messages have been refused for lack of room, if the client has not caught
    /// up since.
    pub fn full_since(&self) -> Option<Instant> {
        self.lock().full_since
    }

    /// Completes once a close frame has been queued.
    pub async fn closing(&self) {
        loop {
            // Made before looking, so a close queued in between still wakes it.
            let notified = self.closed.notified();
            if self.is_closing() {
                return;
            }
            notified.await;
        }
    }

    pub fn is_closing(&self) -> bool {
        self.lock().closing
    }

    /// Waits for frames and moves all of them into `batch` (the writer's own, so that taking
    /// allocates nothing once it has grown); true when the last of them is the close frame.
    pub async fn take(&self, batch: &mut Vec<Frame>) -> bool {
        loop {
            let notified = self.ready.notified();
            {
                let mut state = self.lock();
                if !state.frames.is_empty() {
                    batch.extend(state.frames.drain(..));
                    state.bytes = 0;
                    state.full_since = None;
                    // The queue's memory is given back after a burst.
                    if state.frames.capacity() > 64 {
                        state.frames = VecDeque::new();
                    }
                    return state.closing;
                }
            }
            notified.await;
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(text: &str) -> Frame {
        Frame::from(text.as_bytes())
    }

    /// What the writer would take next, and whether it ends with the close frame.
    async fn taken(outbox: &Outbox) -> (Vec<Frame>, bool) {
        let mut frames = Vec::new();
        let closes = outbox.take(&mut frames).await;
        (frames, closes)
    }

    #[tokio::test]
    async fn frames_come_out_in_order_and_a_lagging_client_is_bounded() {
        let outbox = Outbox::new(2, 1024);
        outbox.push(frame("a")).unwrap();
        outbox.push(frame("b")).unwrap();
        assert_eq!(outbox.push(frame("c")), Err(Undelivered::QueueFull));
        assert_eq!(taken(&outbox).await, (vec![frame("a"), frame("b")], false));
        outbox.push(frame("c")).unwrap();
        assert_eq!(taken(&outbox).await.0, [frame("c")]);

        // Bounded in bytes too, and the bytes are given back as frames are taken.
        let outbox = Outbox::new(100, 10);
        outbox.push(frame("123456")).unwrap();
        assert_eq!(outbox.push(frame("12345")), Err(Undelivered::QueueFull));
        outbox.push(frame("1234")).unwrap();
        taken(&outbox).await;
        outbox.push(frame("1234567890")).unwrap();
    }

    #[tokio::test]
    async fn closing_queues_the_close_frame_last_and_refuses_the_rest() {
        let outbox = Arc::new(Outbox::new(8, 1024));
        let closing = tokio::spawn({
            let outbox = outbox.clone();
            async move { outbox.closing().await }
        });
        let waiting = tokio::spawn({
            let outbox = outbox.clone();
            async move { taken(&outbox).await }
        });
        tokio::task::yield_now().await;
        outbox.push(frame("event")).unwrap();
        assert!(outbox.close(4201, "Pong reply not received in time"));
        assert!(!outbox.close(4200, "again"));
        assert_eq!(outbox.push(frame("late")), Err(Undelivered::Closed));
        let (mut frames, mut closes) = waiting.await.unwrap();
        if frames.len() == 1 {
            // The writer woke between the two pushes.
            let (rest, rest_closes) = taken(&outbox).await;
            frames.extend(rest);
            closes = rest_closes;
        }
        assert!(closes);
        closing.await.unwrap();
        assert_eq!(frames[0], frame("event"));
        assert_eq!(&frames[1][..2], &[0x88, 33]);
        assert!(outbox.is_closing());
    }
}
