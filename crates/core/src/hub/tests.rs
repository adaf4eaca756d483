use std::sync::Mutex;

use super::*;
use crate::{EventName, Payload};

/// Records what it receives; refuses everything once `capacity` messages are queued.
struct Recorder {
    received: Mutex<Vec<String>>,
    capacity: usize,
}

impl Recorder {
    fn new() -> Arc<Self> {
        Self::with_capacity(usize::MAX)
    }

    fn with_capacity(capacity: usize) -> Arc<Self> {
        Arc::new(Recorder {
            received: Mutex::new(Vec::new()),
            capacity,
        })
    }

    fn received(&self) -> Vec<String> {
        self.received.lock().unwrap().clone()
    }
}

impl Subscriber for Recorder {
    fn deliver(&self, message: Message<'_>) -> Result<(), Undelivered> {
        let mut received = self.received.lock().unwrap();
        if received.len() >= self.capacity {
            return Err(Undelivered::QueueFull);
        }
        received.push(format!(
            "{} {} {}",
            message.event,
            message.channel,
            message.payload.as_str()
        ));
        Ok(())
    }
}

fn id(value: &str) -> SocketId {
    SocketId::new(value).unwrap()
}

fn channel(value: &str) -> ChannelName {
    ChannelName::new(value).unwrap()
}

fn publication(channels: &[&str], except: Option<&str>) -> Publication {
    Publication {
        channels: channels.iter().map(|c| channel(c)).collect(),
        event: EventName::new("Sent").unwrap(),
        payload: Payload::from_json(br#"{"n":1}"#).unwrap(),
        except: except.map(id),
    }
}

fn connected(hub: &Hub, name: &str, channels: &[&str]) -> Arc<Recorder> {
    let recorder = Recorder::new();
    hub.connect(id(name), recorder.clone());
    for c in channels {
        hub.subscribe(&id(name), channel(c)).unwrap();
    }
    recorder
}

#[test]
fn subscribers_of_a_channel_receive_its_events_and_nobody_else_does() {
    let hub = Hub::new();
    let a = connected(&hub, "a", &["orders"]);
    let b = connected(&hub, "b", &["orders"]);
    let other = connected(&hub, "c", &["invoices"]);

    let report = hub.publish(&publication(&["orders"], None));

    assert_eq!(
        report,
        DeliveryReport {
            delivered: 2,
            dropped: 0
        }
    );
    assert_eq!(a.received(), vec![r#"Sent orders {"n":1}"#]);
    assert_eq!(b.received(), vec![r#"Sent orders {"n":1}"#]);
    assert!(other.received().is_empty());
}

#[test]
fn the_excluded_socket_does_not_receive_its_own_event() {
    let hub = Hub::new();
    let sender = connected(&hub, "sender", &["orders"]);
    let peer = connected(&hub, "peer", &["orders"]);

    hub.publish(&publication(&["orders"], Some("sender")));

    assert!(sender.received().is_empty());
    assert_eq!(peer.received().len(), 1);
}

#[test]
fn a_member_of_several_channels_receives_the_event_once_per_channel() {
    let hub = Hub::new();
    let a = connected(&hub, "a", &["one", "two"]);

    hub.publish(&publication(&["one", "two", "one"], None));

    assert_eq!(
        a.received(),
        vec![r#"Sent one {"n":1}"#, r#"Sent two {"n":1}"#]
    );
}

#[test]
fn unsubscribe_and_disconnect_stop_delivery_and_forget_empty_channels() {
    let hub = Hub::new();
    let a = connected(&hub, "a", &["one", "two"]);

    assert!(hub.unsubscribe(&id("a"), &channel("one")));
    assert!(!hub.unsubscribe(&id("a"), &channel("one")));
    hub.publish(&publication(&["one"], None));
    assert!(a.received().is_empty());
    assert_eq!(hub.subscription_count(&channel("one")), 0);

    assert_eq!(hub.disconnect(&id("a")), 1);
    assert_eq!(hub.disconnect(&id("a")), 0);
    hub.publish(&publication(&["two"], None));
    assert!(a.received().is_empty());
    assert_eq!(hub.subscription_count(&channel("two")), 0);
    assert_eq!(hub.connection_count(), 0);
    assert!(hub.read().channels.is_empty());
}

#[test]
fn a_repeated_subscribe_is_idempotent() {
    let hub = Hub::new();
    let a = connected(&hub, "a", &["orders"]);
    assert_eq!(
        hub.subscribe(&id("a"), channel("orders")),
        Ok(Subscribed::AlreadyMember)
    );
    hub.publish(&publication(&["orders"], None));
    assert_eq!(a.received().len(), 1);
    assert_eq!(hub.subscription_count(&channel("orders")), 1);
}

#[test]
fn private_and_presence_channels_are_not_joined_without_authorization() {
    let hub = Hub::new();
    let a = connected(&hub, "a", &[]);
    for name in ["private-orders.1", "presence-room.1"] {
        let result = hub.subscribe(&id("a"), channel(name));
        assert!(matches!(
            result,
            Err(SubscribeError::NeedsAuthorization { .. })
        ));
    }
    hub.publish(&publication(&["private-orders.1", "presence-room.1"], None));
    assert!(a.received().is_empty());
}

#[test]
fn subscribing_an_unknown_connection_is_an_error() {
    let hub = Hub::new();
    assert_eq!(
        hub.subscribe(&id("ghost"), channel("orders")),
        Err(SubscribeError::UnknownConnection(id("ghost")))
    );
    assert_eq!(hub.subscription_count(&channel("orders")), 0);
}

#[test]
fn a_full_subscriber_is_counted_as_dropped_and_does_not_hold_up_the_others() {
    let hub = Hub::new();
    let slow = Recorder::with_capacity(1);
    hub.connect(id("slow"), slow.clone());
    hub.subscribe(&id("slow"), channel("orders")).unwrap();
    let fast = connected(&hub, "fast", &["orders"]);

    hub.publish(&publication(&["orders"], None));
    let report = hub.publish(&publication(&["orders"], None));

    assert_eq!(
        report,
        DeliveryReport {
            delivered: 1,
            dropped: 1
        }
    );
    assert_eq!(slow.received().len(), 1);
    assert_eq!(fast.received().len(), 2);
    let stats = hub.stats();
    assert_eq!(
        (stats.publications, stats.deliveries, stats.dropped),
        (2, 3, 1)
    );
}

#[test]
fn reconnecting_under_the_same_id_keeps_channels_and_uses_the_new_subscriber() {
    let hub = Hub::new();
    let old = connected(&hub, "a", &["orders"]);
    let new = Recorder::new();
    hub.connect(id("a"), new.clone());

    hub.publish(&publication(&["orders"], None));

    assert!(old.received().is_empty());
    assert_eq!(new.received().len(), 1);
}
