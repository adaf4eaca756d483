//! Lifecycle events decided once for the whole cluster: the presence worker tells the
//! observer what Redis says is a cluster-wide transition. A member is added by the node whose
//! join was the user's first socket anywhere, removed by the node whose leave was the last;
//! a channel is occupied by the node whose first socket made it the first node there, and
//! vacated by the node whose last socket left it the last. Leaves and vacatings wait out the
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
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::Presence;
use crate::store::{Arrival, Decided, Reconciled, Vacated};

/// Who is told, and how long leaves wait.
pub struct Telling {
    pub observer: Arc<dyn Observer>,
    pub grace: Duration,
}

impl std::fmt::Debug for Telling {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Telling")
            .field("grace", &self.grace)
            .finish_non_exhaustive()
    }
}

/// A leave or vacating waiting out its grace period, with its marker.
pub(super) enum Pending {
    Gone {
        channel: ChannelName,
        user: String,
        marker: String,
    },
    Vacating {
        channel: ChannelName,
        marker: String,
    },
}

/// The leaves and vacatings held, confirmed one after another by one task in the order they
/// were held: each waits the same grace period, so that is also the order they fall due in,
/// and a member's leave is told before its channel's vacating.
#[derive(Default)]
pub(super) struct Held {
    queue: Mutex<Option<mpsc::UnboundedSender<(Instant, Pending)>>>,
    confirmer: Mutex<Option<JoinHandle<()>>>,
}

impl Held {
    /// Starts the task that confirms what is held.
    pub(super) fn start(&self, presence: Arc<Presence>) {
        let (queue, held) = mpsc::unbounded_channel();
        *lock(&self.queue) = Some(queue);
        *lock(&self.confirmer) = Some(tokio::spawn(presence.confirm_held(held)));
    }

    fn hold(&self, due: Instant, pending: Pending) {
        if let Some(queue) = &*lock(&self.queue) {
            let _ = queue.send((due, pending));
        }
    }

    /// Holds nothing more, and waits (at most `within`) until what is held is told or
    /// cancelled: the node is stopping.
    pub(super) async fn settle(&self, within: Duration) {
        lock(&self.queue).take();
        let confirmer = lock(&self.confirmer).take();
        if let Some(confirmer) = confirmer
            && tokio::time::timeout(within, confirmer).await.is_err()
        {
            tracing::warn!(
                ?within,
                "leaves still in their grace period when the node stopped were not told"
            );
        }
    }
}

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
    pub(super) fn grace(&self) -> Option<Duration> {
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
        match (gone, self.grace()) {
            (Some(marker), Some(grace)) => self.held.hold(
                Instant::now() + grace,
                Pending::Gone {
                    channel: channel.clone(),
                    user: user.to_owned(),
                    marker,
                },
            ),
            _ => self.tell(|| removed(channel, user)),
        }
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

    /// This node's first socket came to `channel`: told occupied if it is the first node.
    pub(super) fn tell_occupied(&self, channel: &ChannelName, arrival: Arrival) {
        if arrival == Arrival::AfterLeave {
            self.tell(|| Transition::ChannelVacated {
                channel: channel.clone(),
            });
        }
        if matches!(arrival, Arrival::New | Arrival::AfterLeave) {
            self.tell(|| Transition::ChannelOccupied {
                channel: channel.clone(),
            });
        }
    }

    pub(super) fn tell_vacated(&self, channel: &ChannelName, vacated: Vacated) {
        match (vacated, self.grace()) {
            (Vacated::No, _) => {}
            (Vacated::Later(marker), Some(grace)) => self.held.hold(
                Instant::now() + grace,
                Pending::Vacating {
                    channel: channel.clone(),
                    marker,
                },
            ),
            _ => self.tell(|| Transition::ChannelVacated {
                channel: channel.clone(),
            }),
        }
    }

    /// Confirms what is held as it falls due, until the node stops holding.
    async fn confirm_held(self: Arc<Self>, mut held: mpsc::UnboundedReceiver<(Instant, Pending)>) {
        while let Some((due, pending)) = held.recv().await {
            tokio::time::sleep_until(due).await;
            let (still, transition) = match pending {
                Pending::Gone {
                    channel,
                    user,
                    marker,
                } => (
                    self.store
                        .confirm_gone(&self.link, &channel, &user, &marker)
                        .await,
                    removed(&channel, &user),
                ),
                Pending::Vacating { channel, marker } => (
                    self.store
                        .confirm_vacated(&self.link, &channel, &marker)
                        .await,
                    Transition::ChannelVacated { channel },
                ),
            };
            match still {
                Ok(true) => self.tell(|| transition),
                Ok(false) => {}
                // A leave not told would keep a user present in the app for ever.
                Err(error) => {
                    tracing::warn!(%error, channel = ?transition.channel(), "Redis cannot say whether a leave was cancelled in its grace period; it is told");
                    self.tell(|| transition);
                }
            }
        }
    }
}

/// `member_removed` of the member whose key is `user`.
fn removed(channel: &ChannelName, user: &str) -> Transition {
    Transition::MemberRemoved {
        channel: channel.clone(),
        user_id: Member::user_id_text_of_key(user),
    }
}
