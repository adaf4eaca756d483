//! Several sidecars — one per app host, next to PHP — sharing one Redis behave as one
//! server: an event that enters any node reaches every subscriber on every node once,
//! whispers cross nodes, presence is one roster for the whole cluster, questions about
//! channels are answered for all nodes, and a node that dies has its members removed.
//!
//! This crate is the core's [`Cluster`](sidecast_core::Cluster) seam over Redis (standalone,
//! TLS or Sentinel). The hub stays free of it: it hands over what entered at this node after
//! delivering it locally, and gets back what other nodes sent. Local delivery never waits for
//! Redis, and never stops when Redis does.
//!
//! # Layout
//! - [`config`]: where Redis is, names and timings, checked.
//! - `link`: the connection commands go over, re-opened (and Sentinel asked again) when it
//!   breaks.
//! - `keys`, `store` and `scripts/`: the names in Redis, and the scripts that change presence
//!   rosters and the node registry atomically.
//! - `envelope`: what nodes tell each other over the bus.
//! - `node`: the hub's side of the seam; `outbox`: the one ordered writer to the bus, bounded
//!   while Redis is away; `inbox`: the bus read and applied to the hub.
//! - `presence`: joins and leaves recorded in Redis in order, the journal of this node's own
//!   sockets, reconciliation after an outage, removal of a dead node's members.
//! - `registry`: heartbeats and dead nodes; `survey` and `census`: questions answered for the
//!   whole cluster.
#![forbid(unsafe_code)]

mod census;
pub mod config;
mod envelope;
#[doc(hidden)]
pub mod fuzzing;
mod inbox;
mod keys;
mod link;
mod node;
mod outbox;
mod presence;
mod registry;
mod store;
mod survey;

use std::sync::Arc;
use std::time::Duration;

use sidecast_core::{Census, Hub};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinSet;

pub use config::{Config, ConfigError, RedisAddress};
pub use presence::Telling;

use crate::envelope::Body;
use crate::inbox::InboxCounters;
use crate::keys::Keys;
use crate::link::Link;
use crate::outbox::Outbox;
use crate::presence::{Op, Presence};
use crate::store::Store;
use crate::survey::Surveys;

/// How long a stopping node waits for its goodbye to reach Redis.
const GOODBYE_WITHIN: Duration = Duration::from_secs(2);

/// How long a stopping node waits out the grace period of the leaves it holds, at most: a
/// process manager stops waiting for it after some seconds.
const SETTLE_AT_MOST: Duration = Duration::from_secs(10);

/// What the parts of a node share.
pub(crate) struct Shared {
    id: String,
    keys: Keys,
    link: Arc<Link>,
    outbox: Arc<Outbox>,
    store: Arc<Store>,
    presence: Arc<Presence>,
    surveys: Arc<Surveys>,
    counters: InboxCounters,
    heartbeat: Duration,
    dead_after: Duration,
    sweep_every: Duration,
    survey_timeout: Duration,
    max_message_bytes: usize,
    started_ms: u64,
}

/// This node's membership of the cluster: made at start-up, before the hub (which holds
/// [`Membership::node`]), then run beside it.
pub struct Membership {
    shared: Arc<Shared>,
    join_timeout: Duration,
    ops: Option<mpsc::UnboundedReceiver<Op>>,
}

impl std::fmt::Debug for Membership {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Membership")
            .field("node", &self.shared.id)
            .finish_non_exhaustive()
    }
}

impl Membership {
    /// A new node, with an id of its own: a restarted process never inherits the entries of
    /// the one before it. `telling` is told the lifecycle transitions the cluster decides,
    /// when lifecycle events are on.
    pub fn new(config: &Config, telling: Option<Telling>) -> Self {
        let id = new_node_id();
        let sharded = matches!(config.redis, RedisAddress::Cluster { .. });
        let keys = Keys::new(&config.prefix, sharded);
        let link = Arc::new(Link::new(config.redis.clone()));
        let outbox = Arc::new(Outbox::new(id.clone(), config));
        let store = Arc::new(Store::new(keys.clone(), id.clone()));
        let (presence, ops) = Presence::new(
            id.clone(),
            store.clone(),
            link.clone(),
            outbox.clone(),
            config.gap_wait,
            telling,
        );
        let shared = Arc::new(Shared {
            surveys: Arc::new(Surveys::new(id.clone())),
            id,
            keys,
            link,
            outbox,
            store,
            presence,
            counters: InboxCounters::default(),
            heartbeat: config.heartbeat,
            dead_after: config.dead_after,
            sweep_every: config.sweep_every,
            survey_timeout: config.survey_timeout,
            max_message_bytes: config.max_message_bytes,
            started_ms: outbox::now_ms(),
        });
        Membership {
            shared,
            join_timeout: config.join_timeout,
            ops: Some(ops),
        }
    }

    /// The node's id, new at every start.
    pub fn id(&self) -> &str {
        &self.shared.id
    }

    /// The hub's seam to the other nodes.
    pub fn node(&self) -> Arc<dyn sidecast_core::Cluster> {
        Arc::new(node::Node {
            keys: self.shared.keys.clone(),
            outbox: self.shared.outbox.clone(),
            presence: self.shared.presence.clone(),
            join_timeout: self.join_timeout,
        })
    }

    /// How this node's part of the cluster is doing: the store reachable, the other nodes
    /// seen, what came in and what was lost. Asks no other node.
    pub async fn health(&self) -> sidecast_core::ClusterHealth {
        census::health(&self.shared).await
    }

    /// Who answers questions about channels for the whole cluster.
    pub fn census(&self, hub: Arc<Hub>) -> Arc<dyn Census> {
        Arc::new(census::ClusterCensus::new(hub, self.shared.clone()))
    }

    /// Starts the node's tasks in `tasks`: the writer to the bus, the reader and applier of
    /// what other nodes send, the presence worker and the heartbeat. They run until the set is
    /// dropped.
    pub fn run(&mut self, hub: Arc<Hub>, tasks: &mut JoinSet<()>) {
        let shared = self.shared.clone();
        let (queue, queued) = mpsc::unbounded_channel();
        let writer = shared.clone();
        tasks.spawn(async move {
            let listeners = || writer.surveys.others() + 1;
            writer
                .outbox
                .run(&writer.link, &writer.keys, listeners)
                .await;
        });
        tasks.spawn(inbox::read(shared.clone(), hub.clone(), queue));
        tasks.spawn(inbox::apply(shared.clone(), hub.clone(), queued));
        if let Some(ops) = self.ops.take() {
            tasks.spawn(shared.presence.clone().run(ops, hub.clone()));
            tasks.spawn(shared.presence.clone().confirm_held());
        }
        tasks.spawn(registry::run(shared, hub));
    }

    /// Says goodbye: once every presence op queued before is applied, this node's members
    /// are removed (everyone is told they left, unless they are present through another
    /// node), and the other nodes stop expecting its answers; then the leaves held in their
    /// grace period are told or cancelled. Bounded in time; a node that cannot say goodbye is
    /// swept later.
    pub async fn leave(&self) {
        let shared = &self.shared;
        let goodbye = async {
            let (done, removed) = oneshot::channel();
            if shared.presence.ops.send(Op::Goodbye(done)).is_ok() {
                let _ = removed.await;
            }
            shared.outbox.broadcast(&shared.keys, Body::Bye {});
            shared.outbox.flushed(GOODBYE_WITHIN).await;
        };
        let _ = tokio::time::timeout(GOODBYE_WITHIN * 2, goodbye).await;
        // The leaves still in their grace period (lifecycle events): users who moved to
        // another node meanwhile cancel theirs; the others are told before the node exits.
        if let Some(grace) = shared.presence.grace() {
            shared
                .presence
                .settle(grace.min(SETTLE_AT_MOST) + GOODBYE_WITHIN)
                .await;
        }
    }
}

/// 128 random bits, as 26 lower-case base32 characters.
fn new_node_id() -> String {
    const ALPHABET: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).expect("the kernel's random generator is available");
    let mut bits = u128::from_be_bytes(bytes);
    (0..26)
        .map(|_| {
            let index = (bits & 31) as usize;
            bits >>= 5;
            char::from(ALPHABET[index])
        })
        .collect()
}
