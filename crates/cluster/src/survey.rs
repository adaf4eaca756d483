//! Questions to every other node, and the answers gathered within a bounded time.
//!
//! The nodes expected to answer are the live ones of the registry, not however many happen
//! to listen on the bus (a `redis-cli SUBSCRIBE` would count there), so a question never
//! waits for an answer that cannot come. What has not answered in time is reported missing.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use sidecast_core::Hub;
use tokio::sync::oneshot;

use crate::envelope::{Answer, Body, Question};
use crate::keys::Keys;
use crate::outbox::Outbox;

/// Questions waiting at once, past which a new one is answered from this node alone (and
/// says how many nodes are missing): a burst of questions cannot pile up.
const MAX_PENDING: usize = 1024;

pub(crate) struct Surveys {
    node: String,
    next_id: AtomicU64,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// The other live nodes, as the last heartbeat saw them.
    others: HashSet<String>,
    pending: HashMap<u64, Pending>,
}

struct Pending {
    waiting_for: HashSet<String>,
    answers: Vec<Answer>,
    done: Option<oneshot::Sender<()>>,
}

/// The other nodes' answers, and how many did not answer.
pub(crate) struct Gathered {
    pub(crate) answers: Vec<Answer>,
    pub(crate) missing: usize,
}

impl Surveys {
    pub(crate) fn new(node: String) -> Self {
        Surveys {
            node,
            next_id: AtomicU64::new(1),
            state: Mutex::new(State::default()),
        }
    }

    /// The live nodes, from a heartbeat; this node is left out.
    pub(crate) fn set_live(&self, live: &[String]) {
        let mut state = self.lock();
        state.others = live.iter().filter(|n| **n != self.node).cloned().collect();
    }

    /// Other nodes thought alive.
    pub(crate) fn others(&self) -> usize {
        self.lock().others.len()
    }

    /// A node said goodbye: no answer is expected from it any more.
    pub(crate) fn gone(&self, node: &str) {
        let mut state = self.lock();
        state.others.remove(node);
        for pending in state.pending.values_mut() {
            if pending.waiting_for.remove(node)
                && pending.waiting_for.is_empty()
                && let Some(done) = pending.done.take()
            {
                let _ = done.send(());
            }
        }
    }

    /// Asks every other live node; waits at most `within` for their answers.
    pub(crate) async fn ask(
        &self,
        outbox: &Outbox,
        keys: &Keys,
        question: Question,
        within: Duration,
    ) -> Gathered {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (done, finished) = oneshot::channel();
        {
            let mut state = self.lock();
            if state.others.is_empty() {
                return Gathered {
                    answers: Vec::new(),
                    missing: 0,
                };
            }
            if state.pending.len() >= MAX_PENDING {
                return Gathered {
                    answers: Vec::new(),
                    missing: state.others.len(),
                };
            }
            let waiting_for = state.others.clone();
            state.pending.insert(
                id,
                Pending {
                    waiting_for,
                    answers: Vec::new(),
                    done: Some(done),
                },
            );
        }
        outbox.broadcast(keys, Body::Survey { id, question });
        let _ = tokio::time::timeout(within, finished).await;
        let pending = self.lock().pending.remove(&id);
        pending.map_or(
            Gathered {
                answers: Vec::new(),
                missing: 0,
            },
            |pending| Gathered {
                missing: pending.waiting_for.len(),
                answers: pending.answers,
            },
        )
    }

    /// An answer from `node` to question `id`.
    pub(crate) fn answered(&self, id: u64, node: &str, answer: Answer) {
        let mut state = self.lock();
        let Some(pending) = state.pending.get_mut(&id) else {
            return;
        };
        if !pending.waiting_for.remove(node) {
            return;
        }
        pending.answers.push(answer);
        if pending.waiting_for.is_empty()
            && let Some(done) = pending.done.take()
        {
            let _ = done.send(());
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// This node's answer to another node's question.
pub(crate) fn answer(hub: &Hub, question: &Question) -> Answer {
    match question {
        Question::Channels { prefix } => Answer::Channels {
            channels: hub
                .channels(prefix)
                .into_iter()
                .map(|(name, info)| (name.to_string(), info.subscription_count))
                .collect(),
        },
        Question::Channel { name } => Answer::Channel {
            subscription_count: sidecast_core::ChannelName::new(name)
                .map_or(0, |channel| hub.subscription_count(&channel)),
        },
        Question::Totals => {
            let totals = hub.totals();
            let channels = hub
                .channels("")
                .into_iter()
                .map(|(name, _)| name.to_string())
                .collect();
            Answer::totals(totals.connections, channels, totals.stats)
        }
    }
}
