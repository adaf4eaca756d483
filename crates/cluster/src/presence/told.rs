//! Lifecycle events decided once for the whole cluster: the presence worker tells the
//! observer what Redis says is a cluster-wide transition. A member is added by the node whose
//! join was the user's first socket anywhere, removed by the node whose leave was the last;
//! a channel is occupied by the node whose first socket made it the first node there, and
//! vacated by the node whose last socket left it the last. Leaves and vacatings wait out the
//! grace period with a marker in Redis, which a return on any node removes: the node that set
//! it tells the leave only if the marker is still there once the period is over.
//!
//! Lost, and said so in docs/lifecycle-events.md: a leave or vacating held by a node that dies
//! within its grace period. A dead node's members and channels, swept by another node, are
//! told at once.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use sidecast_core::{ChannelName, Hub, Member, Observer, RosterChange, Transition};
use tokio::task::JoinHandle;

use super::Presence;
use crate::store::Vacated;

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

/// The leaves and vacatings waiting out their grace period, to be awaited when the node stops.
#[derive(Default)]
pub(super) struct Held(Mutex<Vec<JoinHandle<()>>>);

impl Held {
    fn push(&self, task: JoinHandle<()>) {
        let mut held = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        held.retain(|task| !task.is_finished());
        held.push(task);
    }

    /// Waits for every held leave to be told or cancelled.
    pub(super) async fn settle(&self) {
        let held = std::mem::take(&mut *self.0.lock().unwrap_or_else(PoisonError::into_inner));
        for task in held {
            let _ = task.await;
        }
    }
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

    pub(super) fn tell_added(&self, channel: &ChannelName, member: &Member) {
        self.tell(|| Transition::MemberAdded {
            channel: channel.clone(),
            user_id: member.user_id_text(),
        });
    }

    /// A membership change found by reconciling or sweeping: told at once (the node that
    /// made it is gone, or it happened while Redis could not be told).
    pub(super) fn tell_change(&self, channel: &ChannelName, change: &RosterChange) {
        match change {
            RosterChange::Joined(member) => self.tell_added(channel, member),
            RosterChange::Left { user } => self.tell(|| Transition::MemberRemoved {
                channel: channel.clone(),
                user_id: Member::user_id_text_of_key(user),
            }),
        }
    }

    /// A user's last socket left: told now, or after the grace period if its marker is still
    /// there.
    pub(super) fn tell_removed(
        self: &Arc<Self>,
        channel: &ChannelName,
        user: &str,
        gone: Option<String>,
    ) {
        let removed = Transition::MemberRemoved {
            channel: channel.clone(),
            user_id: Member::user_id_text_of_key(user),
        };
        let Some(marker) = gone else {
            return self.tell(|| removed);
        };
        let (presence, channel, user) = (self.clone(), channel.clone(), user.to_owned());
        self.held.push(tokio::spawn(async move {
            tokio::time::sleep(presence.grace().unwrap_or_default()).await;
            let still = presence
                .store
                .confirm_gone(&presence.link, &channel, &user, &marker)
                .await;
            presence.tell_if_still(still, removed);
        }));
    }

    /// This node's first socket came to `channel`, or its last one went.
    pub(super) async fn occupancy(self: &Arc<Self>, channel: &ChannelName, occupied: bool) {
        let Some(grace) = self.grace() else {
            return;
        };
        if occupied {
            match self.store.occupy(&self.link, channel).await {
                Ok(true) => self.tell(|| Transition::ChannelOccupied {
                    channel: channel.clone(),
                }),
                Ok(false) => {}
                Err(error) => self.missed_occupancy(channel, &error.to_string()),
            }
        } else {
            let vacated = self.store.vacate(&self.link, &self.node, channel, grace);
            match vacated.await {
                Ok(vacated) => self.tell_vacated(channel, vacated),
                Err(error) => self.missed_occupancy(channel, &error.to_string()),
            }
        }
    }

    pub(super) fn tell_vacated(self: &Arc<Self>, channel: &ChannelName, vacated: Vacated) {
        let told = Transition::ChannelVacated {
            channel: channel.clone(),
        };
        match vacated {
            Vacated::No => {}
            Vacated::Now => self.tell(|| told),
            Vacated::Later(marker) => {
                let (presence, channel) = (self.clone(), channel.clone());
                self.held.push(tokio::spawn(async move {
                    tokio::time::sleep(presence.grace().unwrap_or_default()).await;
                    let still = presence
                        .store
                        .confirm_vacated(&presence.link, &channel, &marker)
                        .await;
                    presence.tell_if_still(still, told);
                }));
            }
        }
    }

    /// After a grace period: told unless a return removed the marker. When Redis cannot say,
    /// it is told: a leave not told would keep a user present in the app for ever.
    fn tell_if_still(&self, still: Result<bool, crate::link::LinkError>, transition: Transition) {
        match still {
            Ok(true) => self.tell(|| transition),
            Ok(false) => {}
            Err(error) => {
                tracing::warn!(%error, channel = ?transition.channel(), "Redis cannot say whether a leave was cancelled in its grace period; it is told");
                self.tell(|| transition);
            }
        }
    }

    fn missed_occupancy(&self, channel: &ChannelName, error: &str) {
        tracing::debug!(%channel, %error, "channel occupancy not recorded in Redis; repaired when it is back");
        self.diverged
            .store(true, std::sync::atomic::Ordering::Relaxed);
    }

    /// After Redis was unreachable: Redis is told which channels this node has sockets in
    /// now; the changes that makes are told as they would have been.
    pub(super) async fn reconcile_occupancy(self: &Arc<Self>, hub: &Hub) -> Result<(), String> {
        let Some(grace) = self.grace() else {
            return Ok(());
        };
        let here: Vec<ChannelName> = hub.channels("").into_iter().map(|(name, _)| name).collect();
        let recorded = self
            .store
            .node_occupied(&self.link, &self.node)
            .await
            .map_err(|e| e.to_string())?;
        for channel in &here {
            if self
                .store
                .occupy(&self.link, channel)
                .await
                .map_err(|e| e.to_string())?
            {
                self.tell(|| Transition::ChannelOccupied {
                    channel: channel.clone(),
                });
            }
        }
        for channel in recorded.iter().filter(|channel| !here.contains(channel)) {
            let vacated = self
                .store
                .vacate(&self.link, &self.node, channel, grace)
                .await
                .map_err(|e| e.to_string())?;
            self.tell_vacated(channel, vacated);
        }
        Ok(())
    }

    /// A dead node's channels: vacated where it was the last node.
    pub(super) async fn sweep_occupancy(self: &Arc<Self>, node: &str) -> Result<(), String> {
        let Some(grace) = self.grace() else {
            return Ok(());
        };
        let channels = self
            .store
            .node_occupied(&self.link, node)
            .await
            .map_err(|e| e.to_string())?;
        for channel in &channels {
            let vacated = self
                .store
                .vacate(&self.link, node, channel, grace)
                .await
                .map_err(|e| e.to_string())?;
            self.tell_vacated(channel, vacated);
        }
        Ok(())
    }
}
