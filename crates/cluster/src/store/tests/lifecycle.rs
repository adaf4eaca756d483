//! The lifecycle's decisions against a real `redis-server`: a leave held for its grace period
//! is cancelled by the user's return on another node, or told once past its deadline — by its
//! node, or by the returning node before the return when that comes first; a channel is
//! occupied by the first node there and vacated by the last, with the same grace, and so is a
//! signed-in user connected and disconnected.

use std::time::Duration;

use sidecast_core::ChannelName;

use super::super::{Arrival, Decided, Left, Reconciled, Store, Tracked, Vacated};
use super::{RedisServer, member, room};
use crate::link::Link;

const GRACE: Duration = Duration::from_millis(300);

/// Past the grace period, by Redis' clock.
async fn past_the_deadline() {
    tokio::time::sleep(GRACE + Duration::from_millis(100)).await;
}

/// User 1 joins through `node` (told) and leaves again: its member key and the leave's marker.
async fn joined_and_left(node: &Store, link: &Link) -> (String, String) {
    let joined = node.join(link, &room(), "tab", &member(1)).await.unwrap();
    assert_eq!(joined.arrival, Arrival::New, "a first join is told");
    let Left::Last {
        user,
        gone: Some(marker),
        ..
    } = node.leave(link, &room(), "tab", Some(GRACE)).await.unwrap()
    else {
        panic!("a last leave, held");
    };
    (user, marker)
}

#[tokio::test]
async fn a_leave_is_cancelled_by_a_return_on_another_node_within_the_grace_period() {
    let redis = RedisServer::start();
    let (a, link_a) = redis.node("a");
    let (b, link_b) = redis.node("b");
    let (user, marker) = joined_and_left(&a, &link_a).await;
    let back = b
        .join(&link_b, &room(), "reloaded", &member(1))
        .await
        .unwrap();
    assert!(back.first, "announced to the nodes: the roster changed");
    assert_eq!(
        back.arrival,
        Arrival::Back,
        "but not told to the app: the user came back in time"
    );
    assert!(
        !a.confirm_gone(&link_a, &room(), &user, &marker)
            .await
            .unwrap(),
        "the leave is cancelled"
    );
}

#[tokio::test]
async fn a_return_past_the_grace_period_tells_the_leave_first_if_its_node_did_not_yet() {
    let redis = RedisServer::start();
    let (a, link_a) = redis.node("a");
    let (b, link_b) = redis.node("b");
    let (user, marker) = joined_and_left(&a, &link_a).await;
    past_the_deadline().await;
    let back = b.join(&link_b, &room(), "later", &member(1)).await.unwrap();
    assert_eq!(
        back.arrival,
        Arrival::AfterLeave,
        "the leave, then the return, in that order, by the returning node"
    );
    assert!(
        !a.confirm_gone(&link_a, &room(), &user, &marker)
            .await
            .unwrap(),
        "so the leaving node does not tell it again"
    );
    b.leave(&link_b, &room(), "later", None).await.unwrap();

    let (user, marker) = joined_and_left(&a, &link_a).await;
    past_the_deadline().await;
    assert!(
        a.confirm_gone(&link_a, &room(), &user, &marker)
            .await
            .unwrap(),
        "a leave nobody came back from is told by its node"
    );
    let next = b.join(&link_b, &room(), "next", &member(1)).await.unwrap();
    assert_eq!(
        next.arrival,
        Arrival::New,
        "and a later return is a new join"
    );
}

#[tokio::test]
async fn reconciling_keeps_the_grace_period_as_joins_and_leaves_do() {
    let redis = RedisServer::start();
    let (a, link_a) = redis.node("a");
    let (b, link_b) = redis.node("b");
    joined_and_left(&a, &link_a).await;
    // Node b's socket of user 1, recorded by reconciling (after Redis was unreachable).
    let entries = [("tab".to_owned(), member(1))];
    let (_, changes) = b
        .reconcile(&link_b, "b", &room(), &entries, Some(GRACE))
        .await
        .unwrap();
    assert!(matches!(
        changes[..],
        [Reconciled {
            decided: Decided::Arrived(Arrival::Back),
            ..
        }]
    ));
    let (_, changes) = b
        .reconcile(&link_b, "b", &room(), &[], Some(GRACE))
        .await
        .unwrap();
    assert!(
        matches!(
            &changes[..],
            [Reconciled {
                decided: Decided::Left { gone: Some(_) },
                ..
            }]
        ),
        "a leave found by reconciling is held too"
    );
}

#[tokio::test]
async fn a_channel_is_occupied_by_its_first_node_and_vacated_by_its_last() {
    occupied_by_the_first_node_and_vacated_by_the_last(Tracked::Channel(room())).await;
}

#[tokio::test]
async fn a_user_is_connected_by_its_first_node_and_disconnected_by_its_last() {
    occupied_by_the_first_node_and_vacated_by_the_last(Tracked::User(room().to_string())).await;
}

/// The same decisions for a channel's sockets and a user's connections, in keys of their own:
/// a user named like the channel shares nothing with it.
async fn occupied_by_the_first_node_and_vacated_by_the_last(tracked: Tracked) {
    let other = match &tracked {
        Tracked::Channel(channel) => Tracked::User(channel.to_string()),
        Tracked::User(user) => Tracked::Channel(ChannelName::new(user).unwrap()),
    };
    let redis = RedisServer::start();
    let (a, link_a) = redis.node("a");
    let (b, link_b) = redis.node("b");
    let (c, link_c) = redis.node("c");
    assert_eq!(c.occupy(&link_c, &other).await.unwrap(), Arrival::New);
    assert_eq!(a.occupy(&link_a, &tracked).await.unwrap(), Arrival::New);
    assert_eq!(b.occupy(&link_b, &tracked).await.unwrap(), Arrival::None);
    assert_eq!(
        a.occupy(&link_a, &tracked).await.unwrap(),
        Arrival::None,
        "a node counts once"
    );
    assert_eq!(
        a.vacate(&link_a, "a", &tracked, (GRACE, false))
            .await
            .unwrap(),
        Vacated::No,
        "b is still there"
    );
    let Vacated::Later(marker) = b
        .vacate(&link_b, "b", &tracked, (GRACE, false))
        .await
        .unwrap()
    else {
        panic!("the last node, held");
    };
    assert_eq!(
        a.occupy(&link_a, &tracked).await.unwrap(),
        Arrival::None,
        "back within the grace period: not told"
    );
    assert!(
        !b.confirm_vacated(&link_b, &tracked, &marker).await.unwrap(),
        "the vacating is cancelled"
    );

    let Vacated::Later(marker) = a
        .vacate(&link_a, "a", &tracked, (GRACE, false))
        .await
        .unwrap()
    else {
        panic!("the last node, held");
    };
    past_the_deadline().await;
    assert_eq!(
        b.occupy(&link_b, &tracked).await.unwrap(),
        Arrival::AfterLeave,
        "vacated, then occupied, told by the returning node"
    );
    assert!(!a.confirm_vacated(&link_a, &tracked, &marker).await.unwrap());
    assert_eq!(
        b.vacate(&link_b, "b", &tracked, (Duration::ZERO, false))
            .await
            .unwrap(),
        Vacated::Now,
        "without a grace period, told at once"
    );
    assert_eq!(
        c.vacate(&link_c, "c", &other, (Duration::ZERO, false))
            .await
            .unwrap(),
        Vacated::Now,
        "the namesake was c's alone all along"
    );
}

#[tokio::test]
async fn a_dead_nodes_channels_and_users_are_found_by_its_indexes() {
    let redis = RedisServer::start();
    let (a, link_a) = redis.node("a");
    let (b, link_b) = redis.node("b");
    let (channel, user) = (Tracked::Channel(room()), Tracked::User("7".to_owned()));
    a.occupy(&link_a, &channel).await.unwrap();
    a.occupy(&link_a, &user).await.unwrap();
    assert_eq!(
        b.node_occupied(&link_b, "a").await.unwrap(),
        [channel.clone(), user.clone()]
    );
    for tracked in [&channel, &user] {
        assert_eq!(
            b.vacate(&link_b, "a", tracked, (Duration::ZERO, false))
                .await
                .unwrap(),
            Vacated::Now,
            "another node vacates for the dead one"
        );
        b.unindex_occupied(&link_b, "a", tracked).await.unwrap();
    }
    assert!(b.node_occupied(&link_b, "a").await.unwrap().is_empty());
}

#[tokio::test]
async fn a_channels_count_is_every_nodes_added_up_and_a_dead_nodes_taken_out() {
    let redis = RedisServer::start();
    let (a, link_a) = redis.node("a");
    let (b, link_b) = redis.node("b");
    assert_eq!(a.count(&link_a, "a", &room(), 2).await.unwrap(), 2);
    assert_eq!(b.count(&link_b, "b", &room(), 3).await.unwrap(), 5);
    assert_eq!(
        a.count(&link_a, "a", &room(), 1).await.unwrap(),
        4,
        "a node's count replaces its last"
    );
    assert_eq!(
        a.count(&link_a, "b", &room(), 0).await.unwrap(),
        1,
        "b gone: swept by a"
    );
    assert_eq!(a.count(&link_a, "a", &room(), 0).await.unwrap(), 0);
}

#[tokio::test]
async fn a_vacating_redis_did_not_confirm_is_told_once_if_no_node_has_the_channel() {
    let redis = RedisServer::start();
    let (a, link_a) = redis.node("a");
    let (b, link_b) = redis.node("b");
    let tracked = Tracked::User("7".to_owned());
    let unconfirmed = (Duration::ZERO, true);
    assert_eq!(
        a.vacate(&link_a, "a", &tracked, (Duration::ZERO, false))
            .await
            .unwrap(),
        Vacated::Absent,
        "Redis lost its data: a node's vacating finds nothing to vacate"
    );
    assert_eq!(
        a.vacate(&link_a, "a", &tracked, unconfirmed).await.unwrap(),
        Vacated::Now,
        "unless it says its vacating was not confirmed: nobody has the user"
    );

    a.occupy(&link_a, &tracked).await.unwrap();
    let Vacated::Later(lost) = a
        .vacate(&link_a, "a", &tracked, (GRACE, false))
        .await
        .unwrap()
    else {
        panic!("held");
    };
    let Vacated::Later(marker) = a
        .vacate(&link_a, "a", &tracked, (GRACE, true))
        .await
        .unwrap()
    else {
        panic!("made already, its answer lost: held again");
    };
    assert!(!a.confirm_vacated(&link_a, &tracked, &lost).await.unwrap());
    assert!(
        a.confirm_vacated(&link_a, &tracked, &marker).await.unwrap(),
        "told once, by the repeated vacating"
    );

    b.occupy(&link_b, &tracked).await.unwrap();
    assert_eq!(
        a.vacate(&link_a, "a", &tracked, unconfirmed).await.unwrap(),
        Vacated::No,
        "another node has the user: nothing to tell"
    );
}

#[tokio::test]
async fn a_members_leave_redis_did_not_confirm_is_held_if_no_node_has_the_user() {
    let redis = RedisServer::start();
    let (a, link_a) = redis.node("a");
    let (b, link_b) = redis.node("b");
    let user = member(1).key().to_owned();
    b.join(&link_b, &room(), "tab", &member(1)).await.unwrap();
    assert_eq!(
        a.leave_unconfirmed(&link_a, &room(), &user, GRACE)
            .await
            .unwrap(),
        Vacated::No,
        "b has the user: nothing to tell"
    );
    b.leave(&link_b, &room(), "tab", None).await.unwrap();

    let Vacated::Later(marker) = a
        .leave_unconfirmed(&link_a, &room(), &user, GRACE)
        .await
        .unwrap()
    else {
        panic!("nobody has the user: held for the grace period");
    };
    let back = b
        .join(&link_b, &room(), "put back", &member(1))
        .await
        .unwrap();
    assert_eq!(
        back.arrival,
        Arrival::Back,
        "a node putting the user back within it cancels it"
    );
    assert!(
        !a.confirm_gone(&link_a, &room(), &user, &marker)
            .await
            .unwrap()
    );
    b.leave(&link_b, &room(), "put back", None).await.unwrap();
    assert_eq!(
        a.leave_unconfirmed(&link_a, &room(), &user, Duration::ZERO)
            .await
            .unwrap(),
        Vacated::Now,
        "without a grace period, told at once"
    );
}

#[tokio::test]
async fn what_a_sweep_decided_for_a_node_is_kept_for_it_and_taken_once() {
    let redis = RedisServer::start();
    let (a, link_a) = redis.node("a");
    let (b, link_b) = redis.node("b");
    b.join(&link_b, &room(), "tab-1", &member(1)).await.unwrap();
    b.join(&link_b, &room(), "tab-2", &member(1)).await.unwrap();
    a.join(&link_a, &room(), "tab", &member(2)).await.unwrap();
    assert_eq!(
        a.node_users_in(&link_a, "b", &room()).await.unwrap(),
        [member(1).key()],
        "b's users in the roster, once each"
    );
    assert!(b.take_swept(&link_b).await.unwrap().is_empty());
    let decided = ["one".to_owned(), "two".to_owned()];
    a.record_sweep(&link_a, "b", &decided).await.unwrap();
    a.record_sweep(&link_a, "b", &[]).await.unwrap();
    let mut taken = b.take_swept(&link_b).await.unwrap();
    taken.sort();
    assert_eq!(taken, decided);
    assert!(
        b.take_swept(&link_b).await.unwrap().is_empty(),
        "taken once"
    );
}
