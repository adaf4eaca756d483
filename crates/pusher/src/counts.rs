//! Subscription counts, when the app has them on: once a second the hub tells the subscribers
//! of every channel whose count changed (`pusher_internal:subscription_count`). Pusher sends
//! them the same way, for the same reason: a count that moves with every join and leave would
//! cost a message to every subscriber each time.

use std::sync::Weak;
use std::time::Duration;

use sidecast_websocket::sweep;

use crate::FrontEnd;

/// How often changed counts are told: at most once per channel in this time.
const EVERY: Duration = Duration::from_secs(1);

pub async fn announce(front_end: Weak<FrontEnd>) {
    sweep::every(EVERY, front_end, |front_end| {
        front_end.hub.announce_subscription_counts();
    })
    .await;
}
