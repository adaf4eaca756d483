//! Subscription counts across a cluster: each node reports its own connections' counts to the
//! others (`Cluster::subscription_counts`) and adds theirs to its own when it tells its
//! subscribers (`counts`).
//!
//! A report names the channels whose count changed since the one before (0 when the node has
//! none left there). Now and then a node reports every channel it has ("whole"), which replaces
//! what the others kept of it: that heals what a lost bus message left wrong. A node's first
//! report asks the others for theirs whole, so a node that starts learns the counts at once
//! instead of at the others' next whole report. What a node that stopped or died reported is
//! forgotten when the cluster says it is gone.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

use super::Hub;
use crate::cluster::CountReport;
use crate::names::ChannelName;

/// Reports between two whole ones: at one report a second, about half a minute.
const WHOLE_EVERY: u32 = 30;

#[derive(Default)]
pub(super) struct NodeCounts(Mutex<State>);

#[derive(Default)]
struct State {
    /// This node's counts as last reported; channels with none are left out.
    reported: HashMap<ChannelName, usize>,
    /// Reports made since the last whole one; `None` before the first report.
    since_whole: Option<u32>,
    /// Another node asked for every node's counts whole.
    whole_asked: bool,
    /// The other nodes' counts: channel → node → count; zeros are left out.
    others: HashMap<ChannelName, HashMap<String, usize>>,
}

/// A report to hand to the cluster, owned so that it can be made under the hub's lock and sent
/// after it.
pub(super) struct Report {
    counts: Vec<(ChannelName, usize)>,
    whole: bool,
    ask_whole: bool,
}

impl Report {
    pub(super) fn as_report(&self) -> CountReport<'_> {
        CountReport {
            counts: &self.counts,
            whole: self.whole,
            ask_whole: self.ask_whole,
        }
    }
}

impl NodeCounts {
    fn state(&self) -> MutexGuard<'_, State> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// What the other nodes have in `channel` together.
    pub(super) fn others_in(&self, channel: &ChannelName) -> usize {
        self.state()
            .others
            .get(channel)
            .map_or(0, |nodes| nodes.values().sum())
    }

    /// The report to make of `local`, this node's counts now; `None` when nothing changed and
    /// no whole report is due.
    pub(super) fn report(&self, local: HashMap<ChannelName, usize>) -> Option<Report> {
        let mut state = self.state();
        let first = state.since_whole.is_none();
        let due = state
            .since_whole
            .is_none_or(|reports| reports + 1 >= WHOLE_EVERY);
        let asked = std::mem::take(&mut state.whole_asked);
        let whole = due || asked;
        let counts: Vec<(ChannelName, usize)> = if whole {
            local.iter().map(|(c, n)| (c.clone(), *n)).collect()
        } else {
            let gone = state
                .reported
                .keys()
                .filter(|channel| !local.contains_key(*channel))
                .map(|channel| (channel.clone(), 0));
            let changed = local
                .iter()
                .filter(|(channel, count)| state.reported.get(*channel) != Some(count))
                .map(|(channel, count)| (channel.clone(), *count));
            gone.chain(changed).collect()
        };
        state.since_whole = Some(if whole {
            0
        } else {
            state.since_whole.unwrap_or(0) + 1
        });
        state.reported = local;
        (whole || !counts.is_empty()).then_some(Report {
            counts,
            whole,
            ask_whole: first,
        })
    }
}

impl Hub {
    /// Takes another node's report of its subscription counts: `counts` are the channels that
    /// changed there (0: none left), or every channel it has when `whole`. `ask_whole`: the
    /// node is new and asks for every node's counts whole, which this node's next report is.
    pub fn apply_subscription_counts(
        &self,
        node: &str,
        counts: Vec<(ChannelName, usize)>,
        whole: bool,
        ask_whole: bool,
    ) {
        let mut state = self.node_counts.state();
        if whole {
            forget(&mut state, node);
        }
        for (channel, count) in counts {
            let nodes = state.others.entry(channel.clone()).or_default();
            if count == 0 {
                nodes.remove(node);
                if nodes.is_empty() {
                    state.others.remove(&channel);
                }
            } else {
                nodes.insert(node.to_owned(), count);
            }
        }
        state.whole_asked |= ask_whole;
    }

    /// Forgets what `node` reported: it stopped, or is taken for dead.
    pub fn forget_subscription_counts(&self, node: &str) {
        forget(&mut self.node_counts.state(), node);
    }
}

fn forget(state: &mut State, node: &str) {
    state.others.retain(|_, nodes| {
        nodes.remove(node);
        !nodes.is_empty()
    });
}
