//! The lifecycle's decisions against a real `redis-server`: a leave held for its grace period
//! is cancelled by the user's return on another node, or told once past its deadline; a
//! channel is occupied by the first node there and vacated by the last, with the same grace.

use std::time::Duration;

use super::super::{Left, Store, Vacated};
use super::{RedisServer, member, room};
use crate::link::Link;

const GRACE: Duration = Duration::from_millis(300);

/// User 1 joins through `node` (told) and leaves again: its member key and the leave's marker.
async fn joined_and_left(node: &Store, link: &Link) -> (String, String) {
    let joined = node.join(link, &room(), "tab", &member(1)).await.unwrap();
    assert!(joined.first && joined.told, "a first join is told");
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
    assert!(
        !back.told,
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
async fn a_leave_past_its_grace_period_is_told_and_so_is_the_return() {
    let redis = RedisServer::start();
    let (a, link_a) = redis.node("a");
    let (b, link_b) = redis.node("b");
    let (user, marker) = joined_and_left(&a, &link_a).await;
    tokio::time::sleep(GRACE + Duration::from_millis(100)).await;
    let back = b.join(&link_b, &room(), "later", &member(1)).await.unwrap();
    assert!(back.told, "a return after the deadline is a new join");
    assert!(
        a.confirm_gone(&link_a, &room(), &user, &marker)
            .await
            .unwrap(),
        "the leave is told"
    );
    assert!(
        !a.confirm_gone(&link_a, &room(), &user, &marker)
            .await
            .unwrap(),
        "once"
    );
}

#[tokio::test]
async fn a_channel_is_occupied_by_its_first_node_and_vacated_by_its_last() {
    let redis = RedisServer::start();
    let (a, link_a) = redis.node("a");
    let (b, link_b) = redis.node("b");
    assert!(a.occupy(&link_a, &room()).await.unwrap(), "the first node");
    assert!(!b.occupy(&link_b, &room()).await.unwrap());
    assert!(
        !a.occupy(&link_a, &room()).await.unwrap(),
        "a node counts once"
    );
    assert_eq!(
        a.vacate(&link_a, "a", &room(), GRACE).await.unwrap(),
        Vacated::No,
        "b is still there"
    );
    let Vacated::Later(marker) = b.vacate(&link_b, "b", &room(), GRACE).await.unwrap() else {
        panic!("the last node, held");
    };
    assert!(
        !a.occupy(&link_a, &room()).await.unwrap(),
        "back within the grace period: not told"
    );
    assert!(
        !b.confirm_vacated(&link_b, &room(), &marker).await.unwrap(),
        "the vacating is cancelled"
    );
    assert_eq!(
        a.vacate(&link_a, "a", &room(), Duration::ZERO)
            .await
            .unwrap(),
        Vacated::Now
    );
    assert!(a.node_occupied(&link_a, "a").await.unwrap().is_empty());
}

#[tokio::test]
async fn a_dead_nodes_channels_are_found_by_its_index() {
    let redis = RedisServer::start();
    let (a, link_a) = redis.node("a");
    let (b, link_b) = redis.node("b");
    a.occupy(&link_a, &room()).await.unwrap();
    assert_eq!(b.node_occupied(&link_b, "a").await.unwrap(), [room()]);
    assert_eq!(
        b.vacate(&link_b, "a", &room(), Duration::ZERO)
            .await
            .unwrap(),
        Vacated::Now,
        "another node vacates for the dead one"
    );
    assert!(b.node_occupied(&link_b, "a").await.unwrap().is_empty());
}
