//! The scripts against a real `redis-server` on a free loopback port (started and stopped by
//! the test, in a directory of its own): what two nodes see when they join, leave, reconcile
//! and sweep one roster.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::value::RawValue;
use sidecast_core::{ChannelName, Member, RosterChange};

use super::{Left, Reconciled, Store};
use crate::config::RedisAddress;
use crate::keys::Keys;
use crate::link::Link;

mod lifecycle;

/// A redis-server on a free port; killed when dropped.
pub(crate) struct RedisServer {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl RedisServer {
    pub(crate) fn start() -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .map(|address| address.port())
            .expect("a free port");
        let dir = tempfile::tempdir().expect("a temporary directory");
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server must be installed (./scripts/test.sh installs it)");
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "redis-server did not come up on {port}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        RedisServer {
            child,
            port,
            _dir: dir,
        }
    }

    /// Node `node`'s store and link to this server.
    pub(crate) fn port(&self) -> u16 {
        self.port
    }

    pub(crate) fn node(&self, node: &str) -> (Store, Link) {
        let address = RedisAddress::Server(format!("redis://127.0.0.1:{}", self.port));
        (
            Store::new(Keys::new("t:", false), node.to_owned()),
            Link::new(address),
        )
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn member(id: u64) -> Member {
    Member::new(id.into(), RawValue::from_string("{}".into()).unwrap()).unwrap()
}

pub(crate) fn room() -> ChannelName {
    ChannelName::new("presence-room").unwrap()
}

/// `+user@version` for a join, `-user@version` for a leave.
fn told(changes: &[Reconciled]) -> Vec<String> {
    changes
        .iter()
        .map(|reconciled| match &reconciled.change {
            RosterChange::Joined(m) => format!("+{}@{}", m.key(), reconciled.stamp.version),
            RosterChange::Left { user } => format!("-{user}@{}", reconciled.stamp.version),
        })
        .collect()
}

#[tokio::test]
async fn one_user_on_two_nodes_is_one_member_announced_once_each_way() {
    let redis = RedisServer::start();
    let (a, link_a) = redis.node("a");
    let (b, link_b) = redis.node("b");
    let first = a.join(&link_a, &room(), "s1", &member(1)).await.unwrap();
    let second = b.join(&link_b, &room(), "s2", &member(1)).await.unwrap();
    assert!(first.first && !second.first);
    assert_eq!(
        first.snapshot.stamp, second.snapshot.stamp,
        "no change counted"
    );
    assert_eq!(second.snapshot.members.len(), 1);
    let again = a.join(&link_a, &room(), "s1", &member(1)).await.unwrap();
    assert!(!again.first, "a repeated join changes nothing");

    assert!(matches!(
        a.leave(&link_a, &room(), "s1", None).await.unwrap(),
        Left::StillPresent
    ));
    let Left::Last { stamp, user, gone } = b.leave(&link_b, &room(), "s2", None).await.unwrap()
    else {
        panic!("the user's last socket");
    };
    assert_eq!((stamp.version, user.as_str(), gone), (2, "1", None));
    assert!(matches!(
        b.leave(&link_b, &room(), "s2", None).await.unwrap(),
        Left::Unknown
    ));
}

#[tokio::test]
async fn a_reconciled_node_whose_socket_changed_announces_nothing() {
    let redis = RedisServer::start();
    let (a, link) = redis.node("a");
    a.join(&link, &room(), "old-tab", &member(1)).await.unwrap();
    a.join(&link, &room(), "other", &member(2)).await.unwrap();
    // Meanwhile, without Redis: user 1 reloaded (new socket), user 2 left, user 3 came.
    let now = [
        ("new-tab".to_owned(), member(1)),
        ("third".to_owned(), member(3)),
    ];
    let (snapshot, changes) = a.reconcile(&link, "a", &room(), &now, None).await.unwrap();
    assert_eq!(told(&changes), vec!["+3@3", "-2@4"]);
    let mut users: Vec<String> = snapshot
        .members
        .iter()
        .map(|m| m.key().to_owned())
        .collect();
    users.sort();
    assert_eq!(users, vec!["1", "3"]);
    assert_eq!(snapshot.stamp.version, 4);
}

#[tokio::test]
async fn sweeping_a_dead_node_removes_only_users_with_no_socket_elsewhere() {
    let redis = RedisServer::start();
    let (a, link_a) = redis.node("a");
    let (b, link_b) = redis.node("b");
    a.join(&link_a, &room(), "s1", &member(1)).await.unwrap();
    a.join(&link_a, &room(), "s2", &member(2)).await.unwrap();
    b.join(&link_b, &room(), "s3", &member(2)).await.unwrap();
    assert_eq!(b.node_channels(&link_b, "a").await.unwrap(), vec![room()]);

    let (_, changes) = b.reconcile(&link_b, "a", &room(), &[], None).await.unwrap();
    assert_eq!(told(&changes), vec!["-1@3"], "user 2 is still on node b");
    b.forget(&link_b, "a").await.unwrap();
    assert!(b.node_channels(&link_b, "a").await.unwrap().is_empty());
}

#[tokio::test]
async fn a_roster_created_anew_has_a_new_epoch() {
    let redis = RedisServer::start();
    let (a, link) = redis.node("a");
    let before = a.join(&link, &room(), "s1", &member(1)).await.unwrap();
    a.leave(&link, &room(), "s1", None).await.unwrap();
    let kept = a.join(&link, &room(), "s1", &member(1)).await.unwrap();
    assert_eq!(
        kept.snapshot.stamp.epoch, before.snapshot.stamp.epoch,
        "an emptied roster keeps counting for a day"
    );
    assert_eq!(kept.snapshot.stamp.version, 3);
    // As if Redis had lost it (restarted empty).
    let key = Keys::new("t:", false).roster(room().as_str());
    link.run(|mut connection| async move {
        redis::cmd("DEL")
            .arg(key.all().as_slice())
            .query_async::<()>(&mut connection)
            .await
    })
    .await
    .unwrap();
    let anew = a.join(&link, &room(), "s1", &member(1)).await.unwrap();
    assert_ne!(anew.snapshot.stamp.epoch, before.snapshot.stamp.epoch);
    assert_eq!(anew.snapshot.stamp.version, 1);
    let read = a.snapshot(&link, &room()).await.unwrap();
    assert_eq!(read.stamp, anew.snapshot.stamp);
}

#[tokio::test]
async fn only_one_node_may_sweep_a_node_and_only_when_it_is_dead() {
    let redis = RedisServer::start();
    let (a, link_a) = redis.node("a");
    let (b, link_b) = redis.node("b");
    a.heartbeat(&link_a, 60_000).await.unwrap();
    assert!(!b.claim_sweep(&link_b, "a", 60_000).await.unwrap(), "alive");
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert!(
        b.claim_sweep(&link_b, "a", 10).await.unwrap(),
        "silent for 10 ms"
    );
    assert!(
        !b.claim_sweep(&link_b, "a", 10).await.unwrap(),
        "taken already"
    );
    let beat = b.heartbeat(&link_b, 10).await.unwrap();
    assert!(beat.anew);
    assert_eq!(beat.live, vec!["b"]);
    assert_eq!(b.dead_nodes(&link_b, 10).await.unwrap(), vec!["a"]);
}
