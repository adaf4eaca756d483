//! Questions about channels answered for the whole cluster: presence from Redis (exact, one
//! round trip), subscriber counts and channel lists gathered from every live node.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::sync::atomic::Ordering;

use sidecast_core::{
    Census, ChannelInfo, ChannelKind, ChannelName, ClusterHealth, Gathered, Gathering, Hub, Member,
    StatsSnapshot, Totals,
};

use crate::Shared;
use crate::envelope::{Answer, Question};

/// How this node's part of the cluster is doing, for operators.
pub(crate) async fn health(shared: &Shared) -> ClusterHealth {
    let counters = &shared.counters;
    ClusterHealth {
        node: shared.id.clone(),
        reachable: shared.link.is_up().await,
        other_nodes: shared.surveys.others(),
        sent: shared.outbox.sent(),
        applied: counters.applied.load(Ordering::Relaxed),
        missed: counters.missed.load(Ordering::Relaxed),
        skipped: counters.skipped.load(Ordering::Relaxed),
        dropped: shared.outbox.dropped(),
    }
}

/// Answers for the whole cluster.
pub(crate) struct ClusterCensus(Arc<Parts>);

/// What answering needs, shared by the answers in progress.
pub(crate) struct Parts {
    pub(crate) hub: Arc<Hub>,
    pub(crate) shared: Arc<Shared>,
}

impl ClusterCensus {
    pub(crate) fn new(hub: Arc<Hub>, shared: Arc<Shared>) -> Self {
        ClusterCensus(Arc::new(Parts { hub, shared }))
    }
}

impl Parts {
    async fn ask(&self, question: Question) -> crate::survey::Gathered {
        let shared = &self.shared;
        shared
            .surveys
            .ask(
                &shared.outbox,
                &shared.keys,
                question,
                shared.survey_timeout,
            )
            .await
    }

    async fn health(&self) -> ClusterHealth {
        health(&self.shared).await
    }

    /// Users present in each presence channel, from Redis; this node's mirror where Redis
    /// cannot be asked.
    async fn user_counts(&self, channels: &[ChannelName]) -> Vec<usize> {
        let presence: Vec<&ChannelName> = channels
            .iter()
            .filter(|c| c.kind() == ChannelKind::Presence)
            .collect();
        let commands = presence
            .iter()
            .map(|channel| redis::Cmd::hlen(self.shared.keys.roster(channel.as_str()).members))
            .collect();
        let counted: Option<Vec<usize>> = self.shared.link.each(commands).await.ok();
        let mut counted = counted.map(Vec::into_iter);
        channels
            .iter()
            .map(|channel| {
                if channel.kind() != ChannelKind::Presence {
                    return 0;
                }
                counted
                    .as_mut()
                    .and_then(Iterator::next)
                    .unwrap_or_else(|| self.hub.members(channel).len())
            })
            .collect()
    }
}

impl Census for ClusterCensus {
    fn channels(&self, prefix: &str) -> Gathering<Vec<(ChannelName, ChannelInfo)>> {
        let this = self.0.clone();
        let prefix = prefix.to_owned();
        Box::pin(async move {
            let mut counts: BTreeMap<ChannelName, usize> = this
                .hub
                .channels(&prefix)
                .into_iter()
                .map(|(name, info)| (name, info.subscription_count))
                .collect();
            let gathered = this.ask(Question::Channels { prefix }).await;
            for answer in gathered.answers {
                if let Answer::Channels { channels } = answer {
                    for (name, count) in channels {
                        if let Ok(name) = ChannelName::new(&name) {
                            *counts.entry(name).or_default() += count;
                        }
                    }
                }
            }
            let names: Vec<ChannelName> = counts.keys().cloned().collect();
            let users = this.user_counts(&names).await;
            let value = counts
                .into_iter()
                .zip(users)
                .map(|((name, subscription_count), users)| {
                    let user_count = (name.kind() == ChannelKind::Presence).then_some(users);
                    let info = ChannelInfo {
                        subscription_count,
                        user_count,
                    };
                    (name, info)
                })
                .collect();
            Gathered {
                value,
                missing_nodes: gathered.missing,
            }
        })
    }

    fn channel(&self, channel: &ChannelName) -> Gathering<ChannelInfo> {
        let this = self.0.clone();
        let channel = channel.clone();
        Box::pin(async move {
            let mut subscription_count = this.hub.subscription_count(&channel);
            let gathered = this
                .ask(Question::Channel {
                    name: channel.to_string(),
                })
                .await;
            for answer in gathered.answers {
                if let Answer::Channel {
                    subscription_count: count,
                } = answer
                {
                    subscription_count += count;
                }
            }
            let users = this.user_counts(std::slice::from_ref(&channel)).await;
            let user_count = (channel.kind() == ChannelKind::Presence).then_some(users[0]);
            Gathered {
                value: ChannelInfo {
                    subscription_count,
                    user_count,
                },
                missing_nodes: gathered.missing,
            }
        })
    }

    fn members(&self, channel: &ChannelName) -> Gathering<Vec<Member>> {
        let this = self.0.clone();
        let channel = channel.clone();
        Box::pin(async move {
            match this
                .shared
                .store
                .snapshot(&this.shared.link, &channel)
                .await
            {
                Ok(snapshot) => Gathered::complete(snapshot.members),
                // Without Redis only this node's view is known.
                Err(_) => Gathered {
                    value: this.hub.members(&channel),
                    missing_nodes: this.shared.surveys.others(),
                },
            }
        })
    }

    fn totals(&self) -> Gathering<Totals> {
        let this = self.0.clone();
        Box::pin(async move {
            let own = this.hub.totals();
            let mut channels: BTreeSet<String> = this
                .hub
                .channels("")
                .into_iter()
                .map(|(name, _)| name.to_string())
                .collect();
            let mut totals = Totals { channels: 0, ..own };
            let mut unlisted = 0;
            let gathered = this.ask(Question::Totals).await;
            for answer in gathered.answers {
                if let Answer::Totals {
                    connections,
                    channels: theirs,
                    channel_count,
                    publications,
                    deliveries,
                    dropped,
                } = answer
                {
                    totals.connections += connections;
                    unlisted += channel_count.saturating_sub(theirs.len());
                    channels.extend(theirs);
                    // Other nodes tell only these three; their other figures are on their own
                    // /metrics.
                    totals.stats.add(&StatsSnapshot {
                        publications,
                        deliveries,
                        dropped,
                        ..StatsSnapshot::default()
                    });
                    totals.nodes += 1;
                }
            }
            totals.channels = channels.len() + unlisted;
            totals.cluster = Some(this.health().await);
            Gathered {
                value: totals,
                missing_nodes: gathered.missing,
            }
        })
    }
}
