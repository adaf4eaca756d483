//! What a stop waits for before clients are closed: event sources going quiet.

use std::time::Duration;

use sidecast_ingest::OpenPublishers;

use crate::hubs::Hubs;

/// The longest the sidecar waits, after a stop signal, for event sources to go quiet.
const MOST_PUBLISHER_GRACE: Duration = Duration::from_secs(10);

/// Waits until no event has come in for `grace`, or, once no PHP process is connected any
/// more, for a moment (at most [`MOST_PUBLISHER_GRACE`] in all). A process manager may stop PHP
/// and the sidecar at once (`supervisorctl stop all` signals every program together, whatever
/// their priorities); PHP's workers then hand over what they buffered as they exit, while the
/// sidecar still takes it and delivers it.
pub async fn until_sources_quiet(hubs: &Hubs, publishers: &[OpenPublishers], grace: Duration) {
    if grace.is_zero() {
        return;
    }
    const POLL: Duration = Duration::from_millis(50);
    const NOBODY_CONNECTED: Duration = Duration::from_millis(100);
    let connected = || publishers.iter().map(OpenPublishers::get).sum::<usize>();
    let deadline = tokio::time::Instant::now() + MOST_PUBLISHER_GRACE;
    let mut seen = hubs.publications();
    let mut quiet_since = tokio::time::Instant::now();
    tracing::info!(
        ?grace,
        "stopping: still taking events until they stop coming"
    );
    loop {
        tokio::time::sleep(POLL).await;
        let now = tokio::time::Instant::now();
        let published = hubs.publications();
        if published != seen {
            seen = published;
            quiet_since = now;
        }
        let quiet = now - quiet_since;
        if quiet >= grace || (quiet >= NOBODY_CONNECTED && connected() == 0) {
            return;
        }
        if now >= deadline {
            tracing::warn!(most = ?MOST_PUBLISHER_GRACE, "events still coming; stopping anyway");
            return;
        }
    }
}
