//! Pusher's rule for leaving: `member_removed` and `channel_vacated` (and a signed-in user's
//! `user_disconnected`) wait a grace period and are not sent if the user or the channel came
//! back meanwhile, so that a page reload (leave, then join a moment later) tells the app
//! nothing. Joins, counts and client events pass at once.

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use sidecast_core::{ChannelName, Transition};
use tokio::time::Instant;

/// What a held leave is about: a user in a channel, or the channel itself.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Subject {
    Member(ChannelName, String),
    Channel(ChannelName),
    User(String),
}

/// Leaves held back, in the order they happened (every one waits the same time, so that is
/// also the order they fall due in).
#[derive(Debug)]
pub(crate) struct Grace {
    period: Duration,
    held: VecDeque<Held>,
    /// The generation and due time of each subject's pending leave; a held leave whose
    /// generation is no longer its subject's was cancelled by a return.
    latest: HashMap<Subject, (u64, Instant)>,
    generation: u64,
}

/// What became of a transition taken.
#[derive(Debug)]
pub(crate) enum Taken {
    /// It is told now.
    Passed(Transition),
    /// A leave, held for the grace period.
    Held,
    /// A return within the grace period: it and the leave it cancelled are not told.
    Absorbed,
}

#[derive(Debug)]
struct Held {
    due: Instant,
    generation: u64,
    subject: Subject,
    transition: Transition,
}

impl Grace {
    pub(crate) fn new(period: Duration) -> Self {
        Grace {
            period,
            held: VecDeque::new(),
            latest: HashMap::new(),
            generation: 0,
        }
    }

    /// Takes a transition that happened `now`: passed on at once, held (a leave), or absorbed
    /// (a return within the grace period cancels its leave and is itself not told: for the app,
    /// nobody left).
    pub(crate) fn take(&mut self, transition: Transition, now: Instant) -> Taken {
        let (subject, leaving) = match &transition {
            Transition::MemberRemoved { channel, user_id } => {
                (Subject::Member(channel.clone(), user_id.clone()), true)
            }
            Transition::MemberAdded { channel, user_id } => {
                (Subject::Member(channel.clone(), user_id.clone()), false)
            }
            Transition::ChannelVacated { channel } => (Subject::Channel(channel.clone()), true),
            Transition::ChannelOccupied { channel } => (Subject::Channel(channel.clone()), false),
            Transition::UserDisconnected { user_id } => (Subject::User(user_id.clone()), true),
            Transition::UserConnected { user_id } => (Subject::User(user_id.clone()), false),
            Transition::ClientEvent { .. } | Transition::SubscriptionCount { .. } => {
                return Taken::Passed(transition);
            }
        };
        if self.period.is_zero() {
            return Taken::Passed(transition);
        }
        if leaving {
            self.generation += 1;
            let due = now + self.period;
            self.latest.insert(subject.clone(), (self.generation, due));
            self.held.push_back(Held {
                due,
                generation: self.generation,
                subject,
                transition,
            });
            return Taken::Held;
        }
        // A return: cancels the pending leave of the same subject, unless that leave was due
        // already (it is told, and so is the return).
        match self.latest.get(&subject) {
            Some(&(_, due)) if due > now => {
                self.latest.remove(&subject);
                Taken::Absorbed
            }
            _ => Taken::Passed(transition),
        }
    }

    /// When the next held leave falls due.
    pub(crate) fn next_due(&self) -> Option<Instant> {
        self.held.front().map(|held| held.due)
    }

    /// The held leaves due by `now` that were not cancelled, in order.
    pub(crate) fn due(&mut self, now: Instant) -> Vec<Transition> {
        let mut due = Vec::new();
        while let Some(held) = self.held.front() {
            if held.due > now {
                break;
            }
            let held = self.held.pop_front().expect("looked at just now");
            if self.is_pending(&held) {
                self.latest.remove(&held.subject);
                due.push(held.transition);
            }
        }
        due
    }

    /// Every leave still waiting, at once: at shutdown, when nobody can come back to this
    /// process any more.
    pub(crate) fn release_all(&mut self) -> Vec<Transition> {
        let held = std::mem::take(&mut self.held);
        let released = held
            .into_iter()
            .filter(|held| self.is_pending(held))
            .map(|held| held.transition)
            .collect();
        self.latest.clear();
        released
    }

    fn is_pending(&self, held: &Held) -> bool {
        self.latest
            .get(&held.subject)
            .is_some_and(|&(generation, _)| generation == held.generation)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn channel(name: &str) -> ChannelName {
        ChannelName::new(name).unwrap()
    }

    fn removed(user: &str) -> Transition {
        Transition::MemberRemoved {
            channel: channel("presence-room"),
            user_id: user.to_owned(),
        }
    }

    fn added(user: &str) -> Transition {
        Transition::MemberAdded {
            channel: channel("presence-room"),
            user_id: user.to_owned(),
        }
    }

    fn names(transitions: &[Transition]) -> Vec<String> {
        transitions.iter().map(|t| format!("{t:?}")).collect()
    }

    fn at(start: Instant, millis: u64) -> Instant {
        start + Duration::from_millis(millis)
    }

    #[test]
    fn a_leave_waits_the_period_and_a_return_within_it_cancels_both() {
        let start = Instant::now();
        let mut grace = Grace::new(Duration::from_secs(3));
        assert!(matches!(grace.take(added("7"), start), Taken::Passed(_)));
        assert!(matches!(grace.take(removed("7"), start), Taken::Held));
        assert_eq!(grace.next_due(), Some(at(start, 3000)));
        // The reload: back after one second.
        assert!(matches!(
            grace.take(added("7"), at(start, 1000)),
            Taken::Absorbed
        ));
        assert!(grace.due(at(start, 10_000)).is_empty());

        // A real leave: told once due, not before.
        assert!(matches!(grace.take(removed("9"), start), Taken::Held));
        assert!(grace.due(at(start, 2000)).is_empty());
        assert_eq!(names(&grace.due(at(start, 3000))), names(&[removed("9")]));
    }

    #[test]
    fn leave_return_leave_inside_the_period_sends_the_last_leave_once() {
        let start = Instant::now();
        let mut grace = Grace::new(Duration::from_secs(3));
        grace.take(removed("7"), start);
        grace.take(added("7"), at(start, 500));
        grace.take(removed("7"), at(start, 1000));
        assert!(
            grace.due(at(start, 3000)).is_empty(),
            "the first was cancelled"
        );
        assert_eq!(names(&grace.due(at(start, 4000))), names(&[removed("7")]));
    }

    #[test]
    fn channels_are_held_like_members_and_no_period_holds_nothing() {
        let start = Instant::now();
        let mut grace = Grace::new(Duration::from_secs(3));
        let vacated = Transition::ChannelVacated {
            channel: channel("orders"),
        };
        let occupied = Transition::ChannelOccupied {
            channel: channel("orders"),
        };
        assert!(matches!(grace.take(vacated, start), Taken::Held));
        assert!(matches!(
            grace.take(occupied.clone(), at(start, 1000)),
            Taken::Absorbed
        ));
        assert!(matches!(
            grace.take(occupied, at(start, 2000)),
            Taken::Passed(_)
        ));
        let mut zero = Grace::new(Duration::ZERO);
        assert!(matches!(zero.take(removed("7"), start), Taken::Passed(_)));
    }

    #[test]
    fn a_return_after_the_leave_fell_due_cancels_nothing_and_shutdown_releases_the_rest() {
        let start = Instant::now();
        let mut grace = Grace::new(Duration::from_secs(3));
        grace.take(removed("7"), start);
        // Taken late (the task was busy): the leave is due, so both are told.
        assert!(matches!(
            grace.take(added("7"), at(start, 4000)),
            Taken::Passed(_)
        ));
        assert_eq!(names(&grace.due(at(start, 4000))), names(&[removed("7")]));

        grace.take(removed("9"), at(start, 5000));
        grace.take(removed("8"), at(start, 5000));
        grace.take(added("8"), at(start, 6000));
        assert_eq!(names(&grace.release_all()), names(&[removed("9")]));
        assert_eq!(grace.next_due(), None);
    }

    #[test]
    fn a_signed_in_user_who_reconnects_within_the_grace_period_is_not_told() {
        let mut grace = Grace::new(Duration::from_secs(3));
        let start = Instant::now();
        let user = |connected: bool| match connected {
            true => Transition::UserConnected {
                user_id: "7".into(),
            },
            false => Transition::UserDisconnected {
                user_id: "7".into(),
            },
        };
        assert!(matches!(grace.take(user(false), start), Taken::Held));
        assert!(matches!(
            grace.take(user(true), start + Duration::from_secs(1)),
            Taken::Absorbed
        ));
        assert!(grace.due(start + Duration::from_secs(5)).is_empty());
    }
}
