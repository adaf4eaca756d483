use super::support::*;
use crate::Access;
use crate::hub::{
    ChannelInfo, DeliveryReport, Hub, MAX_CHANNELS_PER_CONNECTION, SubscribeError, Subscribed,
    WhisperRefused,
};

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
        now(hub.subscribe(&id("a"), channel("orders"), Access::Public)),
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
        let result = now(hub.subscribe(&id("a"), channel(name), Access::Public));
        assert!(matches!(
            result,
            Err(SubscribeError::NeedsAuthorization { .. })
        ));
    }
    let result = now(hub.subscribe(&id("a"), channel("presence-room.1"), Access::Private));
    assert!(matches!(
        result,
        Err(SubscribeError::WrongAccess {
            granted: "private",
            ..
        })
    ));
    let result = now(hub.subscribe(&id("a"), channel("orders"), Access::Presence(member(1))));
    assert!(matches!(
        result,
        Err(SubscribeError::WrongAccess {
            granted: "presence",
            ..
        })
    ));
    hub.publish(&publication(&["private-orders.1", "presence-room.1"], None));
    assert!(a.received().is_empty());
}

#[test]
fn subscribing_an_unknown_connection_is_an_error() {
    let hub = Hub::new();
    assert_eq!(
        now(hub.subscribe(&id("ghost"), channel("orders"), Access::Public)),
        Err(SubscribeError::UnknownConnection(id("ghost")))
    );
    assert_eq!(hub.subscription_count(&channel("orders")), 0);
}

#[test]
fn a_full_subscriber_is_counted_as_dropped_and_does_not_hold_up_the_others() {
    let hub = Hub::new();
    let slow = Recorder::with_capacity(1);
    hub.connect(id("slow"), slow.clone());
    now(hub.subscribe(&id("slow"), channel("orders"), Access::Public)).unwrap();
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
fn a_taken_connection_id_is_refused_and_the_first_connection_keeps_it() {
    let hub = Hub::new();
    let first = connected(&hub, "a", &["orders"]);
    assert!(!hub.connect(id("a"), Recorder::new()));
    hub.publish(&publication(&["orders"], None));
    assert_eq!(first.received().len(), 1);
}

#[test]
fn private_channels_take_authorized_subscribers() {
    let hub = Hub::new();
    let a = Recorder::new();
    hub.connect(id("a"), a.clone());
    now(hub.subscribe(&id("a"), channel("private-orders.1"), Access::Private)).unwrap();
    hub.publish(&publication(&["private-orders.1"], None));
    assert_eq!(a.received(), vec![r#"Sent private-orders.1 {"n":1}"#]);
}

#[test]
fn presence_tells_the_joiner_who_is_here_and_the_others_who_joined() {
    let hub = Hub::new();
    let ann = present(&hub, "ann", "presence-room", 1);
    let bob = present(&hub, "bob", "presence-room", 2);

    assert_eq!(
        ann.received(),
        vec!["here presence-room [1]", "joining presence-room 2"]
    );
    assert_eq!(bob.received(), vec!["here presence-room [1,2]"]);
}

#[test]
fn a_second_tab_of_a_present_user_is_not_announced_and_its_leaving_is_silent() {
    let hub = Hub::new();
    let ann = present(&hub, "ann", "presence-room", 1);
    let tab1 = present(&hub, "bob-tab1", "presence-room", 2);
    let tab2 = present(&hub, "bob-tab2", "presence-room", 2);

    assert_eq!(
        ann.received(),
        vec!["here presence-room [1]", "joining presence-room 2"]
    );
    assert_eq!(tab2.received(), vec!["here presence-room [1,2]"]);

    hub.unsubscribe(&id("bob-tab1"), &channel("presence-room"));
    assert_eq!(
        ann.received().len(),
        2,
        "one of two tabs leaving is not a leave"
    );
    hub.disconnect(&id("bob-tab2"));
    assert_eq!(ann.received().last().unwrap(), "leaving presence-room 2");
    assert_eq!(tab1.received(), vec!["here presence-room [1,2]"]);
    let ids: Vec<String> = hub
        .members(&channel("presence-room"))
        .iter()
        .map(|m| m.user_id().to_string())
        .collect();
    assert_eq!(ids, vec!["1"]);
}

#[test]
fn presence_events_and_leaves_reach_everyone_who_remains() {
    let hub = Hub::new();
    let ann = present(&hub, "ann", "presence-room", 1);
    let bob = present(&hub, "bob", "presence-room", 2);
    hub.publish(&publication(&["presence-room"], None));
    assert!(
        ann.received()
            .contains(&r#"Sent presence-room {"n":1}"#.to_owned())
    );
    assert!(
        bob.received()
            .contains(&r#"Sent presence-room {"n":1}"#.to_owned())
    );

    hub.disconnect(&id("ann"));
    assert_eq!(bob.received().last().unwrap(), "leaving presence-room 1");
    assert!(hub.members(&channel("presence-room")).len() == 1);
    hub.disconnect(&id("bob"));
    assert!(hub.members(&channel("presence-room")).is_empty());
    assert!(
        hub.read().channels.is_empty(),
        "the channel is forgotten with its last member"
    );
}

#[test]
fn a_repeated_presence_subscribe_resends_the_member_list_and_announces_nothing() {
    let hub = Hub::new();
    let ann = present(&hub, "ann", "presence-room", 1);
    let bob = present(&hub, "bob", "presence-room", 2);
    let again = now(hub.subscribe(
        &id("bob"),
        channel("presence-room"),
        Access::Presence(member(2)),
    ));
    assert_eq!(again, Ok(Subscribed::AlreadyMember));
    assert_eq!(
        bob.received(),
        vec!["here presence-room [1,2]", "here presence-room [1,2]"]
    );
    assert_eq!(
        ann.received(),
        vec!["here presence-room [1]", "joining presence-room 2"]
    );
}

#[test]
fn whispers_reach_the_other_subscribers_of_a_private_channel_only() {
    let hub = Hub::new();
    let sender = Recorder::new();
    let peer = Recorder::new();
    hub.connect(id("sender"), sender.clone());
    hub.connect(id("peer"), peer.clone());
    now(hub.subscribe(&id("sender"), channel("private-chat"), Access::Private)).unwrap();
    now(hub.subscribe(&id("peer"), channel("private-chat"), Access::Private)).unwrap();

    let report = hub
        .whisper(&id("sender"), &whisper("private-chat", "client-typing"))
        .unwrap();

    assert_eq!(
        report,
        DeliveryReport {
            delivered: 1,
            dropped: 0
        }
    );
    assert_eq!(
        peer.received(),
        vec![r#"client-typing private-chat {"typing":true}"#]
    );
    assert!(sender.received().is_empty(), "not echoed to the sender");
}

#[test]
fn whispers_are_refused_on_public_channels_from_outsiders_and_without_the_prefix() {
    let hub = Hub::new();
    let outsider = connected(&hub, "outsider", &["orders"]);
    let insider = Recorder::new();
    hub.connect(id("insider"), insider.clone());
    now(hub.subscribe(&id("insider"), channel("private-chat"), Access::Private)).unwrap();

    assert_eq!(
        hub.whisper(&id("outsider"), &whisper("orders", "client-typing")),
        Err(WhisperRefused::PublicChannel(channel("orders")))
    );
    assert_eq!(
        hub.whisper(&id("outsider"), &whisper("private-chat", "client-typing")),
        Err(WhisperRefused::NotSubscribed(channel("private-chat")))
    );
    assert!(matches!(
        hub.whisper(
            &id("insider"),
            &whisper("private-chat", "App\\Events\\Forged")
        ),
        Err(WhisperRefused::NotAClientEvent(_))
    ));
    assert!(insider.received().is_empty());
    assert!(outsider.received().is_empty());
}

#[test]
fn channels_can_be_listed_by_prefix_with_their_counts() {
    let hub = Hub::new();
    connected(&hub, "a", &["orders", "orders.1"]);
    connected(&hub, "b", &["orders"]);
    present(&hub, "c", "presence-room", 1);
    present(&hub, "d", "presence-room", 1);
    present(&hub, "e", "presence-room", 2);

    let listed: Vec<(String, usize, Option<usize>)> = hub
        .channels("")
        .into_iter()
        .map(|(name, info)| (name.to_string(), info.subscription_count, info.user_count))
        .collect();
    assert_eq!(
        listed,
        vec![
            ("orders".into(), 2, None),
            ("orders.1".into(), 1, None),
            ("presence-room".into(), 3, Some(2)),
        ]
    );
    assert_eq!(hub.channels("presence-").len(), 1);
    assert_eq!(hub.channel(&channel("nobody")), ChannelInfo::default());
}

#[test]
fn every_subscription_is_confirmed_and_a_repeated_one_again() {
    let hub = Hub::new();
    let a = connected(&hub, "a", &["orders"]);
    now(hub.subscribe(&id("a"), channel("private-orders.1"), Access::Private)).unwrap();
    now(hub.subscribe(&id("a"), channel("orders"), Access::Public)).unwrap();
    assert_eq!(a.subscribed(), vec!["orders", "private-orders.1", "orders"]);
    assert!(
        a.received().is_empty(),
        "no member list outside presence channels"
    );
}

#[test]
fn a_whisper_in_a_presence_channel_names_its_sender() {
    let hub = Hub::new();
    let ann = present(&hub, "ann", "presence-room", 1);
    let bob = present(&hub, "bob", "presence-room", 2);
    hub.whisper(&id("bob"), &whisper("presence-room", "client-typing"))
        .unwrap();
    assert_eq!(
        ann.received().last().unwrap(),
        r#"client-typing presence-room {"typing":true} from 2"#
    );
    assert_eq!(bob.received(), vec!["here presence-room [1,2]"]);
}

#[test]
fn a_cache_channel_gives_new_subscribers_its_last_event_or_a_miss() {
    let hub = Hub::new();
    let early = connected(&hub, "early", &["cache-prices"]);
    assert_eq!(early.received(), vec!["cache miss cache-prices"]);

    hub.publish(&publication(&["cache-prices", "plain"], None));
    let mut second = publication(&["cache-prices"], None);
    second.payload = crate::Payload::from_json(br#"{"n":2}"#).unwrap();
    hub.publish(&second);
    // A whisper is not an event of the channel's: it does not replace the last one.
    let whisperer = connected(&hub, "whisperer", &[]);
    now(hub.subscribe(
        &id("whisperer"),
        channel("private-cache-x"),
        Access::Private,
    ))
    .unwrap();
    hub.whisper(&id("whisperer"), &whisper("private-cache-x", "client-hi"))
        .unwrap();

    let late = connected(&hub, "late", &["cache-prices", "plain", "cache-empty"]);
    assert_eq!(
        late.received(),
        vec![r#"Sent cache-prices {"n":2}"#, "cache miss cache-empty"],
        "the last event only, only on cache channels"
    );
    assert_eq!(whisperer.received(), vec!["cache miss private-cache-x"]);
    let watcher = connected(&hub, "watcher", &[]);
    now(hub.subscribe(&id("watcher"), channel("private-cache-x"), Access::Private)).unwrap();
    assert_eq!(watcher.received(), vec!["cache miss private-cache-x"]);
    // A repeated subscribe replays again, as a reconnecting client's does.
    now(hub.subscribe(&id("late"), channel("cache-prices"), Access::Public)).unwrap();
    assert_eq!(late.received().len(), 3);
}

#[test]
fn a_connection_joins_at_most_so_many_channels() {
    let hub = Hub::new();
    let names: Vec<String> = (0..MAX_CHANNELS_PER_CONNECTION)
        .map(|n| format!("c{n}"))
        .collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    connected(&hub, "busy", &names);
    let refused = now(hub.subscribe(&id("busy"), channel("one-more"), Access::Public));
    assert_eq!(
        refused,
        Err(SubscribeError::TooManyChannels {
            limit: MAX_CHANNELS_PER_CONNECTION
        })
    );
    // A channel it is in can be subscribed again, and one left makes room.
    assert_eq!(
        now(hub.subscribe(&id("busy"), channel("c0"), Access::Public)),
        Ok(Subscribed::AlreadyMember)
    );
    assert!(hub.unsubscribe(&id("busy"), &channel("c1")));
    assert_eq!(
        now(hub.subscribe(&id("busy"), channel("one-more"), Access::Public)),
        Ok(Subscribed::Joined)
    );
}
