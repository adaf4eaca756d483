//! The transitions a single node's hub tells its observer: each once, at the moment it
//! happens, and nothing for a change that is not one. Subscription counts, told at every
//! join and leave, are left out but where they are the point.

use std::sync::{Arc, Mutex};

use super::support::{channel, connected, id, now, present, whisper};
use crate::hub::Hub;
use crate::{Access, Observer, Transition};

#[derive(Default)]
struct Told {
    lines: Mutex<Vec<String>>,
    counts: bool,
}

impl Observer for Told {
    fn observe(&self, transition: Transition) {
        let line = match transition {
            Transition::SubscriptionCount { .. } if !self.counts => return,
            Transition::SubscriptionCount { channel, count } => format!("count {channel} {count}"),
            Transition::UserConnected { user_id } => format!("connected {user_id}"),
            Transition::UserDisconnected { user_id } => format!("disconnected {user_id}"),
            Transition::ChannelOccupied { channel } => format!("occupied {channel}"),
            Transition::ChannelVacated { channel } => format!("vacated {channel}"),
            Transition::MemberAdded { channel, user_id } => format!("added {channel} {user_id}"),
            Transition::MemberRemoved { channel, user_id } => {
                format!("removed {channel} {user_id}")
            }
            Transition::ClientEvent {
                channel,
                event,
                payload,
                socket_id,
                user_id,
            } => format!(
                "client {channel} {event} {} from {socket_id} as {user_id:?}",
                payload.as_str()
            ),
        };
        self.lines.lock().unwrap().push(line);
    }
}

impl Told {
    fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.lines.lock().unwrap())
    }
}

fn observed() -> (Hub, Arc<Told>) {
    let told = Arc::new(Told::default());
    (Hub::new().observed_by(told.clone()), told)
}

fn observed_with_counts() -> (Hub, Arc<Told>) {
    let told = Arc::new(Told {
        counts: true,
        ..Told::default()
    });
    (Hub::new().observed_by(told.clone()), told)
}

#[test]
fn a_channel_is_occupied_by_its_first_subscriber_and_vacated_by_its_last() {
    let (hub, told) = observed();
    connected(&hub, "a", &["orders"]);
    connected(&hub, "b", &["orders"]);
    assert_eq!(told.take(), ["occupied orders"]);

    hub.unsubscribe(&id("a"), &channel("orders"));
    assert_eq!(told.take(), Vec::<String>::new(), "one subscriber is left");
    hub.disconnect(&id("b"));
    assert_eq!(told.take(), ["vacated orders"]);

    connected(&hub, "c", &["orders"]);
    assert_eq!(told.take(), ["occupied orders"], "occupied again");
}

#[test]
fn a_member_is_added_with_the_users_first_socket_and_removed_with_the_last() {
    let (hub, told) = observed();
    present(&hub, "tab-1", "presence-room", 7);
    present(&hub, "tab-2", "presence-room", 7);
    present(&hub, "other", "presence-room", 9);
    assert_eq!(
        told.take(),
        [
            "occupied presence-room",
            "added presence-room 7",
            "added presence-room 9"
        ]
    );

    hub.disconnect(&id("tab-1"));
    assert_eq!(told.take(), Vec::<String>::new(), "user 7 is still there");
    hub.disconnect(&id("tab-2"));
    hub.disconnect(&id("other"));
    assert_eq!(
        told.take(),
        [
            "removed presence-room 7",
            "removed presence-room 9",
            "vacated presence-room"
        ]
    );
}

#[test]
fn a_relayed_client_event_names_its_sender_and_its_user() {
    let (hub, told) = observed();
    present(&hub, "sender", "presence-room", 7);
    present(&hub, "peer", "presence-room", 9);
    connected(&hub, "private", &[]);
    now(hub.subscribe(&id("private"), channel("private-chat"), Access::Private)).unwrap();
    connected(&hub, "private-peer", &[]);
    now(hub.subscribe(
        &id("private-peer"),
        channel("private-chat"),
        Access::Private,
    ))
    .unwrap();
    told.take();

    hub.whisper(&id("sender"), &whisper("presence-room", "client-typing"))
        .unwrap();
    hub.whisper(&id("private"), &whisper("private-chat", "client-typing"))
        .unwrap();
    assert!(
        hub.whisper(&id("peer"), &whisper("orders", "client-typing"))
            .is_err()
    );
    assert_eq!(
        told.take(),
        [
            r#"client presence-room client-typing {"typing":true} from sender as Some("7")"#,
            r#"client private-chat client-typing {"typing":true} from private as None"#,
        ],
        "a refused whisper is not told"
    );
}

#[test]
fn every_join_and_leave_tells_the_channels_subscription_count() {
    let (hub, told) = observed_with_counts();
    connected(&hub, "a", &["orders"]);
    connected(&hub, "b", &["orders"]);
    now(hub.subscribe(&id("a"), channel("orders"), Access::Public)).unwrap();
    assert_eq!(
        told.take(),
        ["occupied orders", "count orders 1", "count orders 2"],
        "subscribing again is not a change"
    );
    hub.unsubscribe(&id("a"), &channel("orders"));
    hub.disconnect(&id("b"));
    assert_eq!(
        told.take(),
        ["count orders 1", "count orders 0", "vacated orders"]
    );
}

#[test]
fn a_signed_in_user_is_connected_with_its_first_connection_and_disconnected_with_its_last() {
    let (hub, told) = observed();
    connected(&hub, "tab-1", &[]);
    connected(&hub, "tab-2", &[]);
    connected(&hub, "anonymous", &[]);
    hub.sign_in(&id("tab-1"), "7");
    hub.sign_in(&id("tab-2"), "7");
    hub.sign_in(&id("tab-2"), "8");
    hub.sign_in(&id("gone"), "9");
    assert_eq!(
        told.take(),
        ["connected 7"],
        "one user, signed in once per connection; an unknown connection signs in nobody"
    );
    hub.disconnect(&id("anonymous"));
    hub.disconnect(&id("tab-1"));
    assert_eq!(told.take(), Vec::<String>::new(), "tab 2 is still open");
    hub.disconnect(&id("tab-2"));
    assert_eq!(told.take(), ["disconnected 7"]);
}

#[test]
fn a_private_channels_client_event_names_the_user_its_authorization_or_sign_in_named() {
    let (hub, told) = observed();
    connected(&hub, "named", &[]);
    now(hub.subscribe(
        &id("named"),
        channel("private-chat"),
        Access::PrivateAs("7".to_owned()),
    ))
    .unwrap();
    connected(&hub, "signed-in", &[]);
    hub.sign_in(&id("signed-in"), "9");
    now(hub.subscribe(&id("signed-in"), channel("private-chat"), Access::Private)).unwrap();
    told.take();

    hub.whisper(&id("named"), &whisper("private-chat", "client-typing"))
        .unwrap();
    hub.whisper(&id("signed-in"), &whisper("private-chat", "client-typing"))
        .unwrap();
    assert_eq!(
        told.take(),
        [
            r#"client private-chat client-typing {"typing":true} from named as Some("7")"#,
            r#"client private-chat client-typing {"typing":true} from signed-in as Some("9")"#,
        ]
    );
}
