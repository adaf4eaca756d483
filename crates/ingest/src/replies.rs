//! The answers owed to one publisher, kept in the order its frames came.
//!
//! Acknowledgements are known at once. An answer to a question may not be: in a cluster it
//! waits for the other nodes. Events keep being delivered meanwhile; only the answers queue
//! behind the one that waits, so the publisher still reads them in the order it asked.

use std::future::Future;
use std::pin::Pin;

use futures_util::FutureExt;
use futures_util::stream::{FuturesOrdered, StreamExt};

/// Answers held at once behind a question not answered yet (itself included), past which the
/// connection stops reading frames until it is answered: a publisher cannot pile up work
/// while the cluster answers. Room for the acknowledgements of a burst of events sent after
/// the question (each holds a few dozen bytes), so that events keep flowing meanwhile.
pub(crate) const MAX_WAITING: usize = 65_536;

type Waiting = Pin<Box<dyn Future<Output = Vec<u8>> + Send>>;

#[derive(Default)]
pub(crate) struct Replies {
    /// Encoded answers ready to be written, in order.
    ready: Vec<u8>,
    /// Answers not known yet, in order; everything after the first of them waits in here too.
    waiting: FuturesOrdered<Waiting>,
}

impl Replies {
    /// An answer known now, encoded by `encode`.
    pub(crate) fn push(&mut self, encode: impl FnOnce(&mut Vec<u8>)) {
        if self.waiting.is_empty() {
            encode(&mut self.ready);
        } else {
            let mut bytes = Vec::new();
            encode(&mut bytes);
            self.waiting.push_back(Box::pin(std::future::ready(bytes)));
        }
    }

    /// An answer that may not be known yet.
    pub(crate) fn push_later(&mut self, answer: impl Future<Output = Vec<u8>> + Send + 'static) {
        let mut answer: Waiting = Box::pin(answer);
        if self.waiting.is_empty()
            && let Some(bytes) = answer.as_mut().now_or_never()
        {
            self.ready.extend_from_slice(&bytes);
        } else {
            self.waiting.push_back(answer);
        }
    }

    /// Moves every answer that has become known, in order, to the bytes to write.
    pub(crate) fn collect(&mut self) {
        while let Some(Some(bytes)) = self.waiting.next().now_or_never() {
            self.ready.extend_from_slice(&bytes);
        }
    }

    /// Waits until the first answer not known yet is; never resolves when there is none.
    pub(crate) async fn next_known(&mut self) {
        match self.waiting.next().await {
            Some(bytes) => self.ready.extend_from_slice(&bytes),
            None => std::future::pending().await,
        }
    }

    pub(crate) fn waiting(&self) -> usize {
        self.waiting.len()
    }

    /// The bytes to write now; empty when nothing is ready.
    pub(crate) fn take_ready(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.ready)
    }
}

#[cfg(test)]
mod tests {
    use tokio::sync::oneshot;

    use super::*;

    #[tokio::test]
    async fn answers_keep_the_order_of_the_questions_when_one_waits() {
        let mut replies = Replies::default();
        replies.push(|out| out.push(1));
        let (answer, later) = oneshot::channel::<Vec<u8>>();
        replies.push_later(async move { later.await.unwrap_or_default() });
        replies.push(|out| out.push(3));
        replies.push_later(async { vec![4] });
        replies.collect();
        assert_eq!(replies.take_ready(), vec![1], "3 and 4 wait behind 2");
        assert_eq!(replies.waiting(), 3);

        answer.send(vec![2]).unwrap();
        replies.next_known().await;
        replies.collect();
        assert_eq!(replies.take_ready(), vec![2, 3, 4]);
        assert_eq!(replies.waiting(), 0);
    }

    #[test]
    fn answers_known_at_once_are_written_together() {
        let mut replies = Replies::default();
        replies.push(|out| out.push(1));
        replies.push_later(async { vec![2] });
        assert_eq!(replies.waiting(), 0);
        assert_eq!(replies.take_ready(), vec![1, 2]);
        assert!(replies.take_ready().is_empty());
    }
}
