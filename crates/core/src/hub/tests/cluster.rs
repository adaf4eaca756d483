//! The hub as one node of a cluster, with a stand-in for the other nodes that records what it
//! is handed and answers presence joins as the test says.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

use super::support::*;
use crate::cluster::{Cluster, CountReport, Joining, RosterChange, RosterSnapshot, Stamp};
use crate::hub::{Applied, Hub, SubscribeError};
use crate::lifecycle::{Observer, Transition};
use crate::{Access, ChannelName, Member, Origin, Publication, SocketId, Whisper};

#[derive(Default)]
struct OtherNodes {
    calls: Mutex<Vec<String>>,
    /// What `occupancy`, `counted` and `signed_in` were told, apart from the other calls.
    occupancy: Mutex<Vec<String>>,
    /// What the next joins resolve to, in order; a join finds its answer when it is polled.
    answers: Arc<Mutex<VecDeque<Option<RosterSnapshot>>>>,
}

impl OtherNodes {
    fn calls(&self) -> Vec<String> {
        self.calls.lock().unwrap().clone()
    }

    fn answer(&self, answer: Option<RosterSnapshot>) {
        self.answers.lock().unwrap().push_back(answer);
    }

    fn record(&self, call: String) {
        self.calls.lock().unwrap().push(call);
    }

    fn occupancy(&self) -> Vec<String> {
        std::mem::take(&mut *self.occupancy.lock().unwrap())
    }
}

impl Cluster for OtherNodes {
    fn publish(&self, publication: &Publication) {
        self.record(format!("publish {}", publication.event));
    }

    fn whisper(&self, whisper: &Whisper, from: &SocketId, sender: Option<&Member>) {
        let sender = sender.map_or("nobody".to_owned(), |m| m.key().to_owned());
        self.record(format!("whisper {} from {from} as {sender}", whisper.event));
    }

    fn join(&self, channel: &ChannelName, socket: &SocketId, member: &Member) -> Joining {
        self.record(format!("join {channel} {socket} as {}", member.key()));
        Box::pin(Answer(self.answers.clone()))
    }

    fn leave(&self, channel: &ChannelName, socket: &SocketId) {
        self.record(format!("leave {channel} {socket}"));
    }

    fn terminate_user(&self, user: &str) {
        self.record(format!("terminate {user}"));
    }

    fn counted(&self, channel: &ChannelName, here: usize) {
        self.occupancy
            .lock()
            .unwrap()
            .push(format!("{here} in {channel}"));
    }

    fn occupancy(&self, channel: &ChannelName, occupied: bool) {
        let what = if occupied { "occupied" } else { "vacated" };
        self.occupancy
            .lock()
            .unwrap()
            .push(format!("{what} {channel}"));
    }

    fn signed_in(&self, user: &str, here: bool) {
        let what = if here { "signed in" } else { "signed out" };
        self.occupancy
            .lock()
            .unwrap()
            .push(format!("{what} {user}"));
    }

    fn subscription_counts(&self, report: CountReport<'_>) {
        let counts: Vec<String> = report
            .counts
            .iter()
            .map(|(channel, count)| format!("{channel}={count}"))
            .collect();
        let mut counts = counts;
        counts.sort();
        self.record(format!(
            "counts{}{} {}",
            if report.whole { " whole" } else { "" },
            if report.ask_whole { " asking" } else { "" },
            counts.join(" ")
        ));
    }
}

/// In a cluster the hub tells its observer only client events: anything else is a mistake.
impl Observer for OtherNodes {
    fn observe(&self, transition: Transition) {
        self.record(format!("told {transition:?}"));
    }
}

/// A join waiting for the test to give its answer.
struct Answer(Arc<Mutex<VecDeque<Option<RosterSnapshot>>>>);

impl Future for Answer {
    type Output = Option<RosterSnapshot>;

    fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Self::Output> {
        match self.0.lock().unwrap().pop_front() {
            Some(answer) => Poll::Ready(answer),
            None => Poll::Pending,
        }
    }
}

fn node() -> (Hub, Arc<OtherNodes>) {
    let others = Arc::new(OtherNodes::default());
    (Hub::clustered(others.clone()), others)
}

fn snapshot(version: u64, users: &[u64]) -> Option<RosterSnapshot> {
    Some(RosterSnapshot {
        stamp: stamp(version),
        members: users.iter().map(|user| member(*user)).collect(),
    })
}

/// A version of the roster, in its first epoch.
fn stamp(version: u64) -> Stamp {
    Stamp { epoch: 1, version }
}

fn with_origin(origin: Origin) -> Publication {
    Publication {
        origin,
        ..publication(&["orders"], None)
    }
}

#[test]
fn only_events_that_entered_here_are_passed_on_and_all_are_delivered_here() {
    let (hub, others) = node();
    let a = connected(&hub, "a", &["orders"]);
    for origin in [Origin::ThisNode, Origin::EveryNode, Origin::OtherNode] {
        hub.publish(&with_origin(origin));
    }
    assert_eq!(a.received().len(), 3);
    assert_eq!(others.calls(), vec!["publish Sent"]);
}

#[test]
fn whispers_go_to_the_other_nodes_with_their_sender_and_come_back_in_to_everyone() {
    let (hub, others) = node();
    others.answer(snapshot(1, &[1]));
    let ann = present(&hub, "ann", "presence-room", 1);
    hub.whisper(&id("ann"), &whisper("presence-room", "client-typing"))
        .unwrap();
    assert_eq!(
        others.calls().last().unwrap(),
        "whisper client-typing from ann as 1"
    );

    hub.relay_whisper(&whisper("presence-room", "client-hello"), Some(&member(7)));
    assert_eq!(
        ann.received().last().unwrap(),
        r#"client-hello presence-room {"typing":true} from 7"#,
        "a whisper from another node reaches the local members, the sender named"
    );
}

#[test]
fn a_presence_join_takes_the_clusters_roster_and_the_others_learn_the_difference() {
    let (hub, others) = node();
    others.answer(snapshot(4, &[5, 1]));
    let ann = present(&hub, "ann", "presence-room", 1);
    assert_eq!(ann.received(), vec!["here presence-room [5,1]"]);

    others.answer(snapshot(6, &[5, 1, 2, 3]));
    let bob = present(&hub, "bob", "presence-room", 2);
    assert_eq!(bob.received(), vec!["here presence-room [5,1,2,3]"]);
    assert_eq!(
        ann.received()[1..],
        ["joining presence-room 2", "joining presence-room 3"]
    );
    assert_eq!(
        others.calls(),
        vec!["join presence-room ann as 1", "join presence-room bob as 2"]
    );
}

#[test]
fn leaves_are_recorded_by_the_cluster_and_announced_when_it_says_so() {
    let (hub, others) = node();
    others.answer(snapshot(1, &[1]));
    let ann = present(&hub, "ann", "presence-room", 1);
    others.answer(snapshot(2, &[1, 2]));
    present(&hub, "bob", "presence-room", 2);

    hub.disconnect(&id("bob"));
    assert_eq!(others.calls().last().unwrap(), "leave presence-room bob");
    assert_eq!(ann.received().last().unwrap(), "joining presence-room 2");

    let room = channel("presence-room");
    let left = RosterChange::Left { user: "2".into() };
    assert_eq!(hub.apply_presence(&room, stamp(3), left), Applied::UpToDate);
    assert_eq!(ann.received().last().unwrap(), "leaving presence-room 2");
    assert_eq!(hub.roster_stamp(&room), Some(stamp(3)));
}

#[test]
fn changes_from_other_nodes_are_told_in_version_order() {
    let (hub, others) = node();
    others.answer(snapshot(10, &[1]));
    let ann = present(&hub, "ann", "presence-room", 1);
    let room = channel("presence-room");

    let late = RosterChange::Left { user: "2".into() };
    assert_eq!(hub.apply_presence(&room, stamp(12), late), Applied::Behind);
    assert_eq!(hub.mirrored_channels(), vec![(room.clone(), true)]);
    let joined = RosterChange::Joined(member(2));
    assert_eq!(
        hub.apply_presence(&room, stamp(11), joined),
        Applied::UpToDate
    );
    assert_eq!(
        ann.received()[1..],
        ["joining presence-room 2", "leaving presence-room 2"]
    );
    let unknown = channel("presence-elsewhere");
    let change = RosterChange::Joined(member(3));
    assert_eq!(
        hub.apply_presence(&unknown, stamp(1), change),
        Applied::NotWatched
    );
}

#[test]
fn without_the_cluster_a_join_is_shown_here_and_repaired_later() {
    let (hub, others) = node();
    others.answer(snapshot(3, &[1]));
    let ann = present(&hub, "ann", "presence-room", 1);
    others.answer(None);
    present(&hub, "bob", "presence-room", 2);
    assert_eq!(ann.received().last().unwrap(), "joining presence-room 2");

    hub.leave_unconfirmed(&channel("presence-room"), "2");
    assert_eq!(
        ann.received().last().unwrap(),
        "joining presence-room 2",
        "bob's socket is still here"
    );
    hub.sync_roster(&channel("presence-room"), snapshot(3, &[1, 2, 9]).unwrap());
    assert_eq!(ann.received().last().unwrap(), "joining presence-room 9");
}

#[test]
fn a_socket_gone_while_the_cluster_records_its_join_is_taken_back_out() {
    let (hub, others) = node();
    let ghost = Recorder::new();
    hub.connect(id("ghost"), ghost.clone());
    let (ghost_id, room) = (id("ghost"), channel("presence-room"));
    let mut joining = Box::pin(hub.subscribe(&ghost_id, room, Access::Presence(member(1))));
    let mut context = Context::from_waker(Waker::noop());
    assert!(joining.as_mut().poll(&mut context).is_pending());
    assert_eq!(
        hub.mirrored_channels().len(),
        1,
        "kept while the join is pending"
    );

    hub.disconnect(&id("ghost"));
    others.answer(snapshot(1, &[1]));
    let Poll::Ready(result) = joining.as_mut().poll(&mut context) else {
        panic!("the answer was given");
    };
    assert_eq!(result, Err(SubscribeError::UnknownConnection(id("ghost"))));
    assert_eq!(others.calls().last().unwrap(), "leave presence-room ghost");
    assert!(hub.mirrored_channels().is_empty());
    assert!(ghost.received().is_empty());
}

#[test]
fn public_and_private_channels_need_no_cluster_answer() {
    let (hub, others) = node();
    let a = connected(&hub, "a", &["orders"]);
    now(hub.subscribe(&id("a"), channel("private-x"), Access::Private)).unwrap();
    hub.disconnect(&id("a"));
    assert!(others.calls().is_empty());
    assert_eq!(a.subscribed(), vec!["orders", "private-x"]);
}

#[test]
fn a_join_given_up_before_the_cluster_answered_is_taken_back() {
    let (hub, others) = node();
    hub.connect(id("quitter"), Recorder::new());
    let (quitter, room) = (id("quitter"), channel("presence-room"));
    let mut joining = Box::pin(hub.subscribe(&quitter, room, Access::Presence(member(1))));
    let mut context = Context::from_waker(Waker::noop());
    assert!(joining.as_mut().poll(&mut context).is_pending());
    assert_eq!(
        others.occupancy(),
        ["occupied presence-room"],
        "occupied before the join is recorded, as its member will be"
    );
    drop(joining);
    assert_eq!(
        others.calls().last().unwrap(),
        "leave presence-room quitter"
    );
    assert_eq!(others.occupancy(), ["vacated presence-room"]);
    assert!(
        hub.mirrored_channels().is_empty(),
        "the channel is no longer kept"
    );
}

#[test]
fn a_terminate_that_entered_here_goes_to_the_other_nodes_and_one_from_them_does_not() {
    let (hub, others) = node();
    hub.terminate_user("7", Origin::ThisNode);
    hub.terminate_user("8", Origin::OtherNode);
    assert_eq!(others.calls(), ["terminate 7"]);
}

/// The counts a subscriber was told.
fn counts_told(recorder: &Recorder) -> Vec<String> {
    let told = recorder.received().into_iter();
    told.filter(|line| line.starts_with("count ")).collect()
}

/// What the hub reported of its counts since the last look.
fn reports(others: &OtherNodes, seen: &mut usize) -> Vec<String> {
    let calls = others.calls();
    let new = calls[*seen..]
        .iter()
        .filter(|call| call.starts_with("counts"));
    let new = new.cloned().collect();
    *seen = calls.len();
    new
}

#[test]
fn subscription_counts_add_the_other_nodes_and_report_this_ones_changes() {
    let (hub, others) = node();
    let mut seen = 0;
    let a = connected(&hub, "a", &["orders"]);
    hub.announce_subscription_counts();
    assert_eq!(
        reports(&others, &mut seen),
        ["counts whole asking orders=1"]
    );
    assert_eq!(counts_told(&a), ["count orders 1"]);

    // Another node's subscribers are added in; this node's count did not change: no report.
    hub.apply_subscription_counts("n2", vec![(channel("orders"), 2)], false, false);
    hub.announce_subscription_counts();
    assert_eq!(counts_told(&a), ["count orders 1", "count orders 3"]);
    assert!(reports(&others, &mut seen).is_empty());

    let b = connected(&hub, "b", &["orders", "news"]);
    hub.announce_subscription_counts();
    assert_eq!(reports(&others, &mut seen), ["counts news=1 orders=2"]);
    let mut told = counts_told(&b);
    told.sort();
    assert_eq!(told, ["count news 1", "count orders 4"], "in any order");

    // A channel this node has no subscriber left in is reported as 0.
    hub.unsubscribe(&id("b"), &channel("news"));
    hub.announce_subscription_counts();
    assert_eq!(reports(&others, &mut seen), ["counts news=0"]);

    // The other node is gone: its subscribers are no longer counted.
    hub.forget_subscription_counts("n2");
    hub.announce_subscription_counts();
    assert_eq!(counts_told(&a).last().unwrap(), "count orders 2");
}

#[test]
fn a_whole_report_replaces_a_nodes_counts_and_a_new_node_is_sent_one() {
    let (hub, others) = node();
    let mut seen = 0;
    let a = connected(&hub, "a", &["orders", "news"]);
    hub.announce_subscription_counts();
    reports(&others, &mut seen);

    hub.apply_subscription_counts("n2", vec![(channel("orders"), 5)], false, false);
    hub.apply_subscription_counts("n2", vec![(channel("news"), 1)], true, false);
    hub.announce_subscription_counts();
    let told = counts_told(&a);
    assert!(told.contains(&"count news 2".to_owned()), "{told:?}");
    assert!(
        !told.iter().any(|line| line.contains("orders 6")),
        "{told:?}"
    );

    // A node that starts asks for whole reports: the next one is, though nothing changed.
    hub.apply_subscription_counts("n3", Vec::new(), true, true);
    hub.announce_subscription_counts();
    assert_eq!(
        reports(&others, &mut seen),
        ["counts whole news=1 orders=1"]
    );
    hub.announce_subscription_counts();
    assert!(reports(&others, &mut seen).is_empty());
}

#[test]
fn a_single_node_reports_nothing_and_counts_its_own() {
    let hub = Hub::new();
    hub.apply_subscription_counts("n2", vec![(channel("orders"), 2)], false, false);
    let a = connected(&hub, "a", &["orders"]);
    hub.announce_subscription_counts();
    assert_eq!(counts_told(&a), ["count orders 1"]);
}

#[test]
fn the_cluster_is_told_of_this_nodes_first_socket_in_a_channel_its_counts_and_its_last() {
    let (hub, others) = node();
    connected(&hub, "a", &["orders"]);
    connected(&hub, "b", &["orders"]);
    others.answer(snapshot(1, &[1]));
    present(&hub, "ann", "presence-room", 1);
    assert_eq!(
        others.occupancy(),
        [
            "occupied orders",
            "1 in orders",
            "2 in orders",
            "occupied presence-room",
            "1 in presence-room"
        ]
    );
    let presence_calls = others.calls();
    assert_eq!(
        presence_calls,
        ["join presence-room ann as 1"],
        "occupancy is told apart from the presence calls"
    );

    hub.disconnect(&id("a"));
    assert_eq!(others.occupancy(), ["1 in orders"], "b is still in orders");
    hub.disconnect(&id("b"));
    hub.disconnect(&id("ann"));
    assert_eq!(
        others.occupancy(),
        [
            "0 in orders",
            "vacated orders",
            "0 in presence-room",
            "vacated presence-room"
        ]
    );
}

#[test]
fn the_cluster_is_told_of_this_nodes_first_connection_of_a_user_and_its_last() {
    let others = Arc::new(OtherNodes::default());
    let hub = Hub::clustered(others.clone()).observed_by(others.clone());
    for socket in ["tab-1", "tab-2", "other"] {
        connected(&hub, socket, &[]);
    }
    hub.sign_in(&id("tab-1"), "7");
    hub.sign_in(&id("tab-2"), "7");
    hub.sign_in(&id("other"), "8");
    assert_eq!(others.occupancy(), ["signed in 7", "signed in 8"]);
    assert_eq!(
        sorted(hub.signed_in_here()),
        ["7", "8"],
        "what the cluster records again after Redis was unreachable"
    );
    hub.disconnect(&id("tab-1"));
    assert!(others.occupancy().is_empty(), "tab 2 is still open");
    hub.disconnect(&id("tab-2"));
    assert_eq!(others.occupancy(), ["signed out 7"]);
    assert_eq!(hub.signed_in_here(), ["8"]);
    assert!(
        others.calls().is_empty(),
        "the cluster tells the observer, not this node's hub"
    );
}

fn sorted(mut users: Vec<String>) -> Vec<String> {
    users.sort();
    users
}
