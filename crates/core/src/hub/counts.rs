//! Subscription counts told to subscribers (Pusher's `pusher_internal:subscription_count`):
//! a front end that wants them calls [`Hub::announce_subscription_counts`] on a timer. Each call
//! tells every subscriber of the channels whose count changed since the one before, and the
//! sockets that joined a channel since and were not told its count yet. A channel whose count
//! moves many times between two calls is announced once, with the count at the time. In a
//! cluster, each call also reports this node's counts to the others, and the counts told add
//! the other nodes' (`node_counts`).

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use super::Hub;
use crate::message::SharedFrame;
use crate::names::ChannelName;
use crate::subscriber::{Notice, Subscriber};

/// One channel's count, and who is to be told it.
struct Announcement {
    channel: ChannelName,
    count: usize,
    to: Vec<Arc<dyn Subscriber>>,
}

impl Hub {
    /// Tells each channel's subscribers its number of subscribed connections
    /// ([`Notice::SubscriptionCount`]): all of them when the count changed since the last call,
    /// else those not told yet. Presence channels are left out: their members are their count.
    /// The notices go out once the registry lock is released, each encoded once per channel.
    /// Returns the channels announced.
    ///
    /// In a cluster the counts are of every node's connections, as the other nodes last
    /// reported theirs, and this node's are reported to them.
    pub fn announce_subscription_counts(&self) -> usize {
        let (announcements, local) = self.count_announcements();
        if let Some(cluster) = &self.cluster
            && let Some(report) = self.node_counts.report(local)
        {
            cluster.subscription_counts(report.as_report());
        }
        for announcement in &announcements {
            let shared = SharedFrame::default();
            for subscriber in &announcement.to {
                self.count(subscriber.notify(Notice::SubscriptionCount {
                    channel: &announcement.channel,
                    count: announcement.count,
                    shared: &shared,
                }));
            }
        }
        announcements.len()
    }

    /// The announcements to make, and this node's own counts when it is part of a cluster.
    fn count_announcements(&self) -> (Vec<Announcement>, HashMap<ChannelName, usize>) {
        let registry = self.read();
        let mut announcements = Vec::new();
        let mut local = HashMap::new();
        for (channel, entry) in &registry.channels {
            let here = entry.subscribers.len();
            if entry.presence.is_some() || here == 0 {
                continue;
            }
            let mut count = here;
            if self.cluster.is_some() {
                local.insert(channel.clone(), here);
                count += self.node_counts.others_in(channel);
            }
            let changed = entry.announced_count.swap(count, Ordering::Relaxed) != count;
            let newcomers = entry.untold_subscribers.swap(false, Ordering::Relaxed);
            if !changed && !newcomers {
                continue;
            }
            let to: Vec<Arc<dyn Subscriber>> = entry
                .subscribers
                .values()
                .filter(|subscription| {
                    let first_time = !subscription.count_told.swap(true, Ordering::Relaxed);
                    changed || first_time
                })
                .map(|subscription| subscription.subscriber.clone())
                .collect();
            announcements.push(Announcement {
                channel: channel.clone(),
                count,
                to,
            });
        }
        (announcements, local)
    }
}
