//! The transitions a single node's hub tells its observer: each once, at the moment it
//! happens, and nothing for a change that is not one.

use std::sync::{Arc, Mutex};

use super::support::{channel, connected, id, now, present, whisper};
use crate::hub::Hub;
use crate::{Access, Observer, Transition};

#[derive(Default)]
struct Told(Mutex<Vec<String>>);

impl Observer for Told {
    fn observe(&self, transition: Transition) {
        let line = match transition {
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
        self.0.lock().unwrap().push(line);
    }
}

impl Told {
    fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }
}

fn observed() -> (Hub, Arc<Told>) {
    let told = Arc::new(Told::default());
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
