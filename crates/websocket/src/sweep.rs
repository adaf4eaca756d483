//! Work done for every connection of a front end at once, on a period, rather than with a
//! timer per connection: liveness checks, subscription counts.

use std::sync::Weak;
use std::time::Duration;

/// Calls `sweep` on `target` every `period` (a late tick is not made up for) until `target`
/// is dropped.
pub async fn every<T>(period: Duration, target: Weak<T>, mut sweep: impl FnMut(&T)) {
    let mut ticks = tokio::time::interval(period);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let Some(target) = target.upgrade() else {
            return;
        };
        sweep(&target);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;

    #[tokio::test(start_paused = true)]
    async fn sweeps_until_the_target_is_gone() {
        let target = Arc::new(AtomicU32::new(0));
        let sweeping = tokio::spawn(every(
            Duration::from_secs(1),
            Arc::downgrade(&target),
            |count: &AtomicU32| {
                count.fetch_add(1, Ordering::Relaxed);
            },
        ));
        tokio::time::sleep(Duration::from_millis(2500)).await;
        assert_eq!(target.load(Ordering::Relaxed), 3);
        drop(target);
        tokio::time::timeout(Duration::from_secs(5), sweeping)
            .await
            .expect("the sweep ends once its target is gone")
            .unwrap();
    }
}
