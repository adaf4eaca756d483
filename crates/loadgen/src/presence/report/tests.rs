use super::*;
use crate::presence::log::{Break, Join, Sighting, Subscribed};

const MS: u64 = 1_000_000;

fn member(user: u64, node: usize) -> Member {
    Member { user, node }
}

/// Observers are users 1, 2, 3 on nodes 0, 1, 2.
const OBSERVERS: [Member; 3] = [
    Member { user: 1, node: 0 },
    Member { user: 2, node: 1 },
    Member { user: 3, node: 2 },
];

fn urls() -> Vec<String> {
    ["http://a:1", "http://b:2", "http://c:3"]
        .map(String::from)
        .to_vec()
}

fn report(log: &Log, planned: usize) -> PresenceReport {
    let urls = urls();
    PresenceReport::new(
        Setting {
            urls: &urls,
            eio: 3,
            transport: "websocket",
            channel: "presence-chat.1",
            observers: &OBSERVERS,
            planned,
            rate: 10.0,
        },
        log,
    )
}

fn seen(log: &mut Log, observer: usize, change: Change, user: u64, at_ns: u64) {
    log.sightings.push(Sighting {
        observer,
        change,
        user,
        at_ns,
    });
}

/// The observers subscribed, then users 4 (node 0) and 6 (node 2) joined at 100 ms and
/// 200 ms; every observer read both joinings, node 1's twice for user 4.
fn two_joins() -> Log {
    let mut log = Log::default();
    for (user, members) in [(1, 1), (2, 2), (3, 3)] {
        log.subscribed.push(Subscribed {
            user,
            at_ns: user * MS,
            members,
        });
    }
    for (user, node, sent) in [(4, 0, 100), (6, 2, 200)] {
        log.joins.push(Join {
            member: member(user, node),
            sent_ns: sent * MS,
        });
    }
    log.subscribed.push(Subscribed {
        user: 4,
        at_ns: 120 * MS,
        members: 4,
    });
    log.subscribed.push(Subscribed {
        user: 6,
        at_ns: 230 * MS,
        members: 5,
    });
    for (observer, user, at) in [(0, 4, 110), (1, 4, 112), (1, 4, 150), (2, 4, 113)] {
        seen(&mut log, observer, Change::Joining, user, at * MS);
    }
    for (observer, user, at) in [(0, 6, 215), (1, 6, 214), (2, 6, 205)] {
        seen(&mut log, observer, Change::Joining, user, at * MS);
    }
    log
}

#[test]
fn joinings_are_timed_from_the_join_on_the_joiners_node_and_on_the_others() {
    let report = report(&two_joins(), 2);
    let joining = &report.joining;
    assert_eq!(
        (joining.expected, joining.seen, joining.duplicates),
        (6, 6, 1)
    );
    // Same node: 10 ms (user 4 on node 0), 5 ms (user 6 on node 2).
    assert_eq!(joining.same_node_ms.samples, 2);
    assert!((joining.same_node_ms.max - 10.0).abs() < 0.1);
    // Other nodes: 12, 13, 15, 14 ms; the duplicate read at 150 ms does not count.
    assert_eq!(joining.other_node_ms.samples, 4);
    assert!((joining.other_node_ms.max - 15.0).abs() < 0.2);
    let joins = &report.joins;
    assert_eq!((joins.subscribed, joins.failed), (2, 0));
    assert!((joins.subscribed_ms.max - 30.0).abs() < 0.3);
    assert_eq!(
        (joins.members_listed_last, joins.members_present),
        (Some(5), 5)
    );
    assert!(report.leaving.is_none());
    assert_eq!(report.warnings, Vec::<String>::new());
    let text = report.to_string();
    assert!(text.contains("joins      2/2 subscribed"), "{text}");
    assert!(text.contains("the last listed 5 of 5 members"), "{text}");
    assert!(text.contains("joining    6/6 read, 1 duplicates"), "{text}");
}

/// Node 2 dies at 1 s: its observer (user 3) and user 6 break; the observers on nodes 0 and 1
/// read their leavings, the last at 6 s.
#[test]
fn leavings_are_timed_from_the_first_break() {
    let mut log = two_joins();
    for user in [3, 6] {
        log.breaks.push(Break {
            member: member(user, 2),
            at_ns: (1000 + user) * MS,
            reason: "closed by the server".into(),
        });
    }
    for (observer, user, at) in [(0, 3, 5000), (0, 6, 5000), (1, 3, 5001), (1, 6, 6003)] {
        seen(&mut log, observer, Change::Leaving, user, at * MS);
    }
    let leaving = report(&log, 2).leaving.unwrap();
    assert_eq!(leaving.members_broken, 2);
    assert_eq!((leaving.expected, leaving.seen), (4, 4));
    assert!((leaving.last_after_first_break_ms.unwrap() - 5000.0).abs() < 0.01);
    let nodes: Vec<(usize, u64)> = leaving.observers.iter().map(|o| (o.node, o.seen)).collect();
    assert_eq!(nodes, [(0, 2), (1, 2)]);
    let span = leaving.last_unix_ms.unwrap() - leaving.first_break_unix_ms;
    assert!((span - 5000.0).abs() < 1.0, "{span}");
}

/// What laravel-echo-server does on several instances: joins are announced on the joiner's
/// instance only, and its roster lists that instance's members.
#[test]
fn a_roster_that_is_not_shared_is_warned_about() {
    let mut log = two_joins();
    log.sightings
        .retain(|s| OBSERVERS[s.observer].node == if s.user == 4 { 0 } else { 2 });
    log.subscribed.last_mut().unwrap().members = 2;
    log.failures
        .push("not connected within the connect timeout".into());
    log.breaks.push(Break {
        member: member(4, 0),
        at_ns: 900 * MS,
        reason: "closed".into(),
    });
    seen(&mut log, 1, Change::Leaving, 6, 950 * MS);
    let report = report(&log, 3);
    assert_eq!(report.joining.seen, 2);
    assert_eq!(report.joining.other_node_ms.samples, 0);
    let warnings = report.warnings.join("\n");
    for expected in [
        "1 of 3 joins got no presence:subscribed (first: not connected within the connect timeout)",
        "4 of 6 joinings were never read by an observer",
        "the last joiner was listed 2 members, of 5 subscribed",
        "3 of 3 leavings of members whose connection broke were never read",
        "1 leavings read of members whose connection did not break (first: user 6 on node 1)",
    ] {
        assert!(
            warnings.contains(expected),
            "{expected:?} missing from:\n{warnings}"
        );
    }
    let json: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
    assert_eq!(json["scenario"], "presence");
    assert_eq!(json["leaving"]["last_unix_ms"], serde_json::Value::Null);
    assert_eq!(json["unexpected_leavings"][0]["user"], 6);
}
