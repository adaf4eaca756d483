use serde_json::value::RawValue;

use super::*;

fn member(id: u64) -> Member {
    Member::new(id.into(), RawValue::from_string("{}".into()).unwrap()).unwrap()
}

fn stamp(epoch: u64, version: u64) -> Stamp {
    Stamp { epoch, version }
}

fn snapshot(version: u64, ids: &[u64]) -> RosterSnapshot {
    snapshot_of(1, version, ids)
}

fn snapshot_of(epoch: u64, version: u64, ids: &[u64]) -> RosterSnapshot {
    RosterSnapshot {
        stamp: stamp(epoch, version),
        members: ids.iter().map(|id| member(*id)).collect(),
    }
}

fn left(user: &str) -> RosterChange {
    RosterChange::Left { user: user.into() }
}

/// `+id` for a join, `-id` for a leave.
fn told(effects: &Effects) -> Vec<String> {
    effects
        .iter()
        .map(|effect| match effect {
            Effect::Joined(m) => format!("+{}", m.key()),
            Effect::Left(m) => format!("-{}", m.key()),
        })
        .collect()
}

fn roster(mirror: &Mirror) -> Vec<String> {
    mirror
        .members()
        .iter()
        .map(|m| m.key().to_owned())
        .collect()
}

#[test]
fn changes_apply_in_version_order_whatever_order_they_arrive_in() {
    let mut mirror = Mirror::default();
    mirror.sync(snapshot(3, &[1]));
    assert!(!mirror.is_behind());

    assert!(mirror.apply(stamp(1, 5), left("2")).is_empty());
    assert!(mirror.is_behind(), "change 4 is missing");

    let both = mirror.apply(stamp(1, 4), RosterChange::Joined(member(2)));
    assert_eq!(told(&both), vec!["+2", "-2"]);
    assert_eq!(mirror.stamp(), Some(stamp(1, 5)));
    assert_eq!(roster(&mirror), vec!["1"]);
    assert!(!mirror.is_behind());

    let stale = mirror.apply(stamp(1, 4), RosterChange::Joined(member(9)));
    assert!(stale.is_empty(), "a change already applied is ignored");
}

#[test]
fn a_newer_snapshot_closes_a_gap_and_reports_the_difference() {
    let mut mirror = Mirror::default();
    mirror.sync(snapshot(1, &[1, 2]));
    mirror.apply(stamp(1, 4), RosterChange::Joined(member(4)));
    mirror.apply(stamp(1, 3), RosterChange::Joined(member(3)));

    let effects = mirror.sync(snapshot(3, &[1, 3, 5]));
    assert_eq!(told(&effects), vec!["-2", "+3", "+5", "+4"]);
    assert_eq!(roster(&mirror), vec!["1", "3", "5", "4"]);
    assert_eq!(mirror.stamp(), Some(stamp(1, 4)));

    let older = mirror.sync(snapshot(2, &[]));
    assert!(older.is_empty(), "an older snapshot changes nothing");
}

#[test]
fn changes_before_the_first_snapshot_wait_for_it() {
    let mut mirror = Mirror::default();
    assert!(mirror.is_behind());
    mirror.apply(stamp(1, 8), RosterChange::Joined(member(8)));
    mirror.apply(stamp(1, 7), RosterChange::Joined(member(7)));
    let effects = mirror.sync(snapshot(7, &[1, 7]));
    assert_eq!(roster(&mirror), vec!["1", "7", "8"]);
    assert_eq!(told(&effects), vec!["+1", "+7", "+8"]);
}

#[test]
fn what_changed_without_the_cluster_is_repaired_by_the_next_snapshot() {
    let mut mirror = Mirror::default();
    mirror.sync(snapshot(2, &[1]));
    mirror.join_unconfirmed(member(2));
    mirror.leave_unconfirmed("1");
    assert_eq!(roster(&mirror), vec!["2"]);

    let repaired = mirror.sync(snapshot(2, &[1, 2]));
    assert_eq!(told(&repaired), vec!["+1"]);
    assert_eq!(roster(&mirror), vec!["2", "1"]);
    let again = mirror.sync(snapshot(2, &[]));
    assert!(again.is_empty(), "repaired: same version is not newer");
}

#[test]
fn a_diverged_mirror_never_goes_back_to_an_older_snapshot() {
    let mut mirror = Mirror::default();
    mirror.sync(snapshot(8, &[1]));
    mirror.join_unconfirmed(member(2));
    mirror.apply(stamp(1, 9), RosterChange::Joined(member(3)));
    let older = mirror.sync(snapshot(8, &[1]));
    assert!(older.is_empty(), "user 3 joined at 9: an 8 cannot undo it");
    assert_eq!(roster(&mirror), vec!["1", "2", "3"]);
    let repaired = mirror.sync(snapshot(9, &[1, 3]));
    assert_eq!(told(&repaired), vec!["-2"]);
}

#[test]
fn a_roster_created_anew_is_taken_whole_and_the_old_numbering_is_forgotten() {
    let mut mirror = Mirror::default();
    mirror.sync(snapshot_of(1, 40, &[1, 2]));
    mirror.apply(stamp(1, 42), left("1"));
    // The store restarted empty: the roster starts again, in epoch 2.
    assert!(
        mirror
            .apply(stamp(2, 1), RosterChange::Joined(member(2)))
            .is_empty()
    );
    assert!(
        mirror.is_behind(),
        "a change of a new epoch asks for a snapshot"
    );
    let effects = mirror.sync(snapshot_of(2, 1, &[2, 4]));
    assert_eq!(told(&effects), vec!["-1", "+4"]);
    assert_eq!(mirror.stamp(), Some(stamp(2, 1)));
    assert!(
        !mirror.is_behind(),
        "held changes of the old numbering are gone"
    );
    assert!(mirror.apply(stamp(2, 41), left("2")).is_empty());
    assert_eq!(
        roster(&mirror),
        vec!["2", "4"],
        "not the old 41, held until 2..40 come"
    );
}
