//! Lifecycle events decided once for the whole cluster: the presence worker tells the
//! observer what Redis says is a cluster-wide transition. A member is added by the node whose
//! join was the user's first socket anywhere, removed by the node whose leave was the last;
//! a channel is occupied by the node whose first socket made it the first node there, and
//! vacated by the node whose last socket left it the last; a signed-in user is connected and
//! disconnected in the same way by its connections. Leaves and vacatings wait out the
//! grace period with a marker in Redis, which a return on any node takes: the node that set it
//! tells the leave only if the marker is still there once the period is over, and a return
//! after the deadline that finds the marker still there tells the leave itself, then the
//! return, so that the app hears them in that order and once.
//!
//! Lost, and said so in docs/lifecycle-events.md: a leave or vacating held by a node that dies
//! within its grace period.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use sidecast_core::{ChannelName, Member, Observer, RosterChange, Transition};
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

use super::Presence;
use crate::store::{Arrival, Decided, Reconciled, Tracked, Vacated};

/// Who is told, how long leaves wait, and whether channels' counts and signed-in users'
/// connections are told (each subscription, or sign-in, then costs a script call).
pub struct Telling {
    pub observer: Arc<dyn Observer>,
    pub grace: Duration,
    pub counts: bool,
    pub users: bool,
}

impl std::fmt::Debug for Telling {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Telling")
            .field("grace", &self.grace)
            .field("counts", &self.counts)
            .field("users", &self.users)
            .finish_non_exhaustive()
    }
}

/// A leave or vacating (disconnection) waiting out its grace period, with its marker.
pub(super) enum Pending {
    Gone {
        channel: ChannelName,
        user: String,
        marker: String,
    },
    Vacating {
        tracked: Tracked,
        marker: String,
    },
}

/// The leaves and vacatings held, confirmed one after another by one task in the order they
/// were held: each waits the same grace period, so that is also the order they fall due in,
/// and a member's leave is told before its channel's vacating.
pub(super) struct Held {
    queue: Mutex<Option<mpsc::UnboundedSender<(Instant, Pending)>>>,
    /// Until the confirmer takes it.
    receiver: Mutex<Option<mpsc::UnboundedReceiver<(Instant, Pending)>>>,
    /// The node is stopping and the time it gives is up: what is left is confirmed at once.
    hurry: watch::Sender<bool>,
    /// The confirmer has confirmed everything held and holds no more.
    drained: watch::Sender<bool>,
}

impl Default for Held {
    fn default() -> Self {
        let (queue, receiver) = mpsc::unbounded_channel();
        Held {
            queue: Mutex::new(Some(queue)),
            receiver: Mutex::new(Some(receiver)),
            hurry: watch::Sender::new(false),
            drained: watch::Sender::new(false),
        }
    }
}

impl Held {
    /// Holds `pending` until `due`; gives it back when the node stopped holding (after its
    /// goodbye: nobody can come back to it), for the caller to tell at once.
    fn hold(&self, due: Instant, pending: Pending) -> Option<Pending> {
        match &*lock(&self.queue) {
            Some(queue) => queue.send((due, pending)).err().map(|error| error.0.1),
            None => Some(pending),
        }
    }

    /// Holds nothing more: the confirmer ends once it has confirmed what it holds.
    pub(super) fn close(&self) {
        lock(&self.queue).take();
    }

    /// Waits until what is held is told or cancelled: `within`, then what is left is
    /// confirmed without waiting its grace period out (a little longer at most).
    pub(super) async fn settle(&self, within: Duration) {
        self.close();
        let mut drained = self.drained.subscribe();
        if tokio::time::timeout(within, drained.wait_for(|done| *done))
            .await
            .is_ok()
        {
            return;
        }
        self.hurry.send_replace(true);
        if tokio::time::timeout(HURRIED_WITHIN, drained.wait_for(|done| *done))
            .await
            .is_err()
        {
            tracing::warn!(
                ?within,
                "leaves held in their grace period when the node stopped were not all told"
            );
        }
    }
}

/// How long a stopping node gives the leaves it still holds once it stops waiting their grace
/// period out.
const HURRIED_WITHIN: Duration = Duration::from_secs(2);

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Presence {
    fn tell(&self, transition: impl FnOnce() -> Transition) {
        if let Some(telling) = &self.telling {
            telling.observer.observe(transition());
        }
    }

    /// The grace period leaves are held for, when lifecycle events are on.
    pub(crate) fn grace(&self) -> Option<Duration> {
        self.telling.as_ref().map(|telling| telling.grace)
    }

    /// A user's first socket anywhere joined.
    pub(super) fn tell_arrival(&self, channel: &ChannelName, member: &Member, arrival: Arrival) {
        if arrival == Arrival::AfterLeave {
            self.tell(|| removed(channel, member.key()));
        }
        if matches!(arrival, Arrival::New | Arrival::AfterLeave) {
            self.tell(|| Transition::MemberAdded {
                channel: channel.clone(),
                user_id: member.user_id_text(),
            });
        }
    }

    /// A user's last socket anywhere left: told now, or after the grace period if its marker
    /// is still there.
    pub(super) fn tell_left(&self, channel: &ChannelName, user: &str, gone: Option<String>) {
        if let (Some(marker), Some(grace)) = (gone, self.grace()) {
            let pending = Pending::Gone {
                channel: channel.clone(),
                user: user.to_owned(),
                marker,
            };
            if self.held.hold(Instant::now() + grace, pending).is_none() {
                return;
            }
        }
        self.tell(|| removed(channel, user));
    }

    /// A change of membership found by reconciling or sweeping.
    pub(super) fn tell_reconciled(&self, channel: &ChannelName, reconciled: &Reconciled) {
        match (&reconciled.change, &reconciled.decided) {
            (RosterChange::Joined(member), Decided::Arrived(arrival)) => {
                self.tell_arrival(channel, member, *arrival);
            }
            (RosterChange::Left { user }, Decided::Left { gone }) => {
                self.tell_left(channel, user, gone.clone());
            }
            _ => {}
        }
    }

    /// A channel's count across the cluster, after a node's changed.
    pub(super) fn tell_count(&self, channel: &ChannelName, count: usize) {
        self.tell(|| Transition::SubscriptionCount {
            channel: channel.clone(),
            count,
        });
    }

    /// Whether channels' counts are told.
    pub(crate) fn tells_counts(&self) -> bool {
        self.telling.as_ref().is_some_and(|telling| telling.counts)
    }

    /// Whether signed-in users' connections are told.
    pub(crate) fn tells_users(&self) -> bool {
        self.telling.as_ref().is_some_and(|telling| telling.users)
    }

    /// This node's first socket came to a channel (first connection of a user): told
    /// occupied (connected) if it is the first node.
    pub(super) fn tell_occupied(&self, tracked: &Tracked, arrival: Arrival) {
        if arrival == Arrival::AfterLeave {
            self.tell(|| vacated(tracked));
        }
        if matches!(arrival, Arrival::New | Arrival::AfterLeave) {
            self.tell(|| occupied(tracked));
        }
    }

    pub(super) fn tell_vacated(&self, tracked: &Tracked, vacating: Vacated) {
        match (vacating, self.grace()) {
            (Vacated::Absent | Vacated::No, _) => return,
            (Vacated::Later(marker), Some(grace)) => {
                let pending = Pending::Vacating {
                    tracked: tracked.clone(),
                    marker,
                };
                if self.held.hold(Instant::now() + grace, pending).is_none() {
                    return;
                }
            }
            _ => {}
        }
        self.tell(|| vacated(tracked));
    }

    /// Confirms what is held as it falls due, until the node stops holding and everything is
    /// confirmed. Runs with the node's other tasks.
    pub(crate) async fn confirm_held(self: Arc<Self>) {
        let Some(mut held) = lock(&self.held.receiver).take() else {
            return;
        };
        let mut hurry = self.held.hurry.subscribe();
        while let Some((due, pending)) = held.recv().await {
            tokio::select! {
                () = tokio::time::sleep_until(due) => {}
                _ = hurry.wait_for(|hurry| *hurry) => {}
            }
            self.confirm(pending).await;
        }
        self.held.drained.send_replace(true);
    }

    /// Tells a held leave or vacating unless a return took its marker. When Redis cannot say
    /// (twice), it is told: a leave not told would keep a user present in the app for ever,
    /// and one told twice (the user comes back after the deadline and finds the marker) only
    /// repeats it.
    async fn confirm(&self, pending: Pending) {
        let transition = match &pending {
            Pending::Gone { channel, user, .. } => removed(channel, user),
            Pending::Vacating { tracked, .. } => vacated(tracked),
        };
        let mut still = self.still_held(&pending).await;
        if still.is_err() {
            tokio::time::sleep(CONFIRM_RETRY_AFTER).await;
            still = self.still_held(&pending).await;
        }
        match still {
            Ok(true) => self.tell(|| transition),
            Ok(false) => {}
            Err(error) => {
                tracing::warn!(%error, ?transition, "Redis cannot say whether a leave was cancelled in its grace period; it is told");
                self.tell(|| transition);
            }
        }
    }

    async fn still_held(&self, pending: &Pending) -> Result<bool, crate::link::LinkError> {
        match pending {
            Pending::Gone {
                channel,
                user,
                marker,
            } => {
                self.store
                    .confirm_gone(&self.link, channel, user, marker)
                    .await
            }
            Pending::Vacating { tracked, marker } => {
                self.store
                    .confirm_vacated(&self.link, tracked, marker)
                    .await
            }
        }
    }
}

/// How long a confirmation Redis could not answer waits before it is asked again.
const CONFIRM_RETRY_AFTER: Duration = Duration::from_millis(200);

/// `channel_occupied`, or `user_connected`.
fn occupied(tracked: &Tracked) -> Transition {
    match tracked {
        Tracked::Channel(channel) => Transition::ChannelOccupied {
            channel: channel.clone(),
        },
        Tracked::User(user) => Transition::UserConnected {
            user_id: user.clone(),
        },
    }
}

/// `channel_vacated`, or `user_disconnected`.
fn vacated(tracked: &Tracked) -> Transition {
    match tracked {
        Tracked::Channel(channel) => Transition::ChannelVacated {
            channel: channel.clone(),
        },
        Tracked::User(user) => Transition::UserDisconnected {
            user_id: user.clone(),
        },
    }
}

/// `member_removed` of the member whose key is `user`.
fn removed(channel: &ChannelName, user: &str) -> Transition {
    Transition::MemberRemoved {
        channel: channel.clone(),
        user_id: Member::user_id_text_of_key(user),
    }
}
