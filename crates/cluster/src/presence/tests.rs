//! The presence worker against a real `redis-server`: what a sweep of a dead node keeps for
//! it (the leaves it decides, and not those Redis had made already, whose answers were lost).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use sidecast_core::{Hub, Observer, Transition};

use super::{Presence, Swept, Telling};
use crate::config::{Config, RedisAddress};
use crate::outbox::Outbox;
use crate::store::Tracked;
use crate::store::tests::{RedisServer, member, room};

const GRACE: Duration = Duration::from_millis(300);

#[derive(Default)]
struct Told(Mutex<Vec<Transition>>);

impl Observer for Told {
    fn observe(&self, transition: Transition) {
        self.0.lock().unwrap().push(transition);
    }
}

#[tokio::test]
async fn a_sweep_keeps_for_the_swept_node_what_it_decides_and_nothing_it_does_not() {
    let redis = RedisServer::start();
    let (b, link_b) = redis.node("b");
    // Ann is present through b; Bob's last socket left, and Carl disconnected, in Redis, but b
    // lost the answers; user 8 is connected and the room occupied through b.
    b.join(&link_b, &room(), "ann", &member(1)).await.unwrap();
    b.join(&link_b, &room(), "bob", &member(2)).await.unwrap();
    b.leave(&link_b, &room(), "bob", Some(GRACE)).await.unwrap();
    let (occupied, connected, lost) = (
        Tracked::Channel(room()),
        Tracked::User("8".to_owned()),
        Tracked::User("9".to_owned()),
    );
    for tracked in [&occupied, &connected, &lost] {
        b.occupy(&link_b, tracked).await.unwrap();
    }
    b.vacate(&link_b, "b", &lost, (GRACE, false)).await.unwrap();

    let (a, link_a) = redis.node("a");
    let address = RedisAddress::Server(format!("redis://127.0.0.1:{}", redis.port()));
    let told = Arc::new(Told::default());
    let (presence, _ops) = Presence::new(
        "a".to_owned(),
        Arc::new(a),
        Arc::new(link_a),
        Arc::new(Outbox::new("a".to_owned(), &Config::new(address))),
        Duration::from_millis(500),
        Some(Telling {
            observer: told.clone(),
            grace: Duration::ZERO,
            counts: false,
            users: true,
        }),
    );
    presence.sweep(&Arc::new(Hub::new()), "b").await.unwrap();

    let decided = sorted(
        b.take_swept(&link_b)
            .await
            .unwrap()
            .iter()
            .filter_map(|text| Swept::decode(text)),
    );
    let expected = sorted([
        Swept::Leave {
            channel: room().to_string(),
            user: member(1).key().to_owned(),
        },
        Swept::of(&occupied),
        Swept::of(&connected),
    ]);
    assert_eq!(
        decided, expected,
        "Ann, the room and user 8, decided by the sweep; Bob and user 9 are b's to decide"
    );
    let told = told.0.lock().unwrap();
    assert_eq!(told.len(), 3, "what the sweep decided, told: {told:?}");
}

/// As text, sorted: the order a SET gives back is none.
fn sorted(swept: impl IntoIterator<Item = Swept>) -> Vec<String> {
    let mut texts: Vec<String> = swept
        .into_iter()
        .map(|swept| format!("{swept:?}"))
        .collect();
    texts.sort();
    texts
}
