//! Subscription counts told to subscribers (Pusher's `pusher_internal:subscription_count`):
//! a front end that wants them calls [`Hub::announce_subscription_counts`] on a timer, and each
//! call tells the channels whose count changed since the one before. A channel whose count
//! moves many times between two calls is announced once, with the count at the time.

use std::sync::atomic::Ordering;

use super::Hub;
use crate::subscriber::Notice;

impl Hub {
    /// Tells every subscriber of each channel whose number of subscribed connections changed
    /// since the last call how many there are now ([`Notice::SubscriptionCount`]). Presence
    /// channels are left out: their members are their count. Returns the channels announced.
    ///
    /// The counts are this node's connections: in a cluster, the others' are not included.
    pub fn announce_subscription_counts(&self) -> usize {
        let registry = self.read();
        let mut announced = 0;
        for (channel, entry) in &registry.channels {
            let count = entry.subscribers.len();
            if entry.presence.is_some()
                || count == 0
                || entry.announced_count.swap(count, Ordering::Relaxed) == count
            {
                continue;
            }
            announced += 1;
            for subscription in entry.subscribers.values() {
                let notice = Notice::SubscriptionCount { channel, count };
                self.count(subscription.subscriber.notify(notice));
            }
        }
        announced
    }
}
