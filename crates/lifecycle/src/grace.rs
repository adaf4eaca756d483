//! Pusher's rule for leaving: `member_removed` and `channel_vacated` wait a grace period and
//! are not sent if the user or the channel came back meanwhile, so that a page reload (leave,
//! then join a moment later) tells the app nothing. Joins and client events pass at once.

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use sidecast_core::{ChannelName, Transition};
use tokio::time::Instant;

/// What a held leave is about: a user in a channel, or the channel itself.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Subject {
    Member(ChannelName, String),
    Channel(ChannelName),
}

/// Leaves held back, in the order they happened (every one waits the same time, so that is
/// also the order they fall due in).
#[derive(Debug)]
pub(crate) struct Grace {
    period: Duration,
    held: VecDeque<Held>,
    /// The generation of each subject's latest leave; a held leave whose generation is no
    /// longer its subject's was cancelled by a return.
    latest: HashMap<Subject, u64>,
    generation: u64,
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

    /// Takes a transition that happened `now`: returns it if it passes at once, `None` if it
    /// is held (a leave) or absorbed (a return within the grace period cancels its leave and
    /// is itself not told: for the app, nobody left).
    pub(crate) fn take(&mut self, transition: Transition, now: Instant) -> Option<Transition> {
        let (subject, leaving) = match &transition {
            Transition::MemberRemoved { channel, user_id } => {
                (Subject::Member(channel.clone(), user_id.clone()), true)
            }
            Transition::MemberAdded { channel, user_id } => {
                (Subject::Member(channel.clone(), user_id.clone()), false)
            }
            Transition::ChannelVacated { channel } => (Subject::Channel(channel.clone()), true),
            Transition::ChannelOccupied { channel } => (Subject::Channel(channel.clone()), false),
            Transition::ClientEvent { .. } => return Some(transition),
        };
        if self.period.is_zero() {
            return Some(transition);
        }
        if leaving {
            self.generation += 1;
            self.latest.insert(subject.clone(), self.generation);
            self.held.push_back(Held {
                due: now + self.period,
                generation: self.generation,
                subject,
                transition,
            });
            return None;
        }
        // A return: cancels the pending leave of the same subject, if there is one.
        match self.latest.remove(&subject) {
            Some(_) => None,
            None => Some(transition),
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
            if self.latest.get(&held.subject) == Some(&held.generation) {
                self.latest.remove(&held.subject);
                due.push(held.transition);
            }
        }
        due
    }

    /// Leaves still waiting, for a count at shutdown.
    pub(crate) fn waiting(&self) -> usize {
        self.latest.len()
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

    #[test]
    fn a_leave_waits_the_period_and_a_return_within_it_cancels_both() {
        let start = Instant::now();
        let period = Duration::from_secs(3);
        let mut grace = Grace::new(period);
        assert!(
            grace.take(added("7"), start).is_some(),
            "a join passes at once"
        );
        assert!(grace.take(removed("7"), start).is_none(), "a leave is held");
        assert_eq!(grace.next_due(), Some(start + period));
        // The reload: back after one second.
        assert!(
            grace
                .take(added("7"), start + Duration::from_secs(1))
                .is_none()
        );
        assert!(grace.due(start + Duration::from_secs(10)).is_empty());
        assert_eq!(grace.waiting(), 0);

        // A real leave.
        assert!(grace.take(removed("9"), start).is_none());
        assert!(
            grace.due(start + Duration::from_secs(2)).is_empty(),
            "not yet"
        );
        assert_eq!(names(&grace.due(start + period)), names(&[removed("9")]));
    }

    #[test]
    fn leave_return_leave_inside_the_period_sends_the_last_leave_once() {
        let start = Instant::now();
        let mut grace = Grace::new(Duration::from_secs(3));
        grace.take(removed("7"), start);
        grace.take(added("7"), start + Duration::from_millis(500));
        grace.take(removed("7"), start + Duration::from_secs(1));
        assert!(
            grace.due(start + Duration::from_secs(3)).is_empty(),
            "the first was cancelled"
        );
        assert_eq!(
            names(&grace.due(start + Duration::from_secs(4))),
            names(&[removed("7")])
        );
    }

    #[test]
    fn channels_are_held_like_members_and_client_events_pass() {
        let start = Instant::now();
        let mut grace = Grace::new(Duration::from_secs(3));
        let vacated = Transition::ChannelVacated {
            channel: channel("orders"),
        };
        let occupied = Transition::ChannelOccupied {
            channel: channel("orders"),
        };
        assert!(grace.take(vacated, start).is_none());
        assert!(
            grace
                .take(occupied.clone(), start + Duration::from_secs(1))
                .is_none()
        );
        assert!(
            grace
                .take(occupied, start + Duration::from_secs(2))
                .is_some(),
            "a new occupation"
        );
        let zero = &mut Grace::new(Duration::ZERO);
        assert!(
            zero.take(removed("7"), start).is_some(),
            "no period, no wait"
        );
    }
}
