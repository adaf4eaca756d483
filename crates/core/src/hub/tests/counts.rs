use super::support::*;
use crate::hub::Hub;

fn counts(recorder: &Recorder) -> Vec<String> {
    recorder
        .received()
        .into_iter()
        .filter(|line| line.starts_with("count "))
        .collect()
}

#[test]
fn a_changed_count_is_announced_once_to_every_subscriber_of_the_channel() {
    let hub = Hub::new();
    let a = connected(&hub, "a", &["orders", "news"]);
    let b = connected(&hub, "b", &["orders"]);

    assert_eq!(hub.announce_subscription_counts(), 2);
    assert!(counts(&a).contains(&"count orders 2".to_owned()));
    assert!(counts(&a).contains(&"count news 1".to_owned()));
    assert_eq!(counts(&b), ["count orders 2"]);

    // Nothing changed: nothing said.
    assert_eq!(hub.announce_subscription_counts(), 0);
    assert_eq!(counts(&b).len(), 1);

    // Several changes between two calls: one announcement, with the count at the time.
    let c = connected(&hub, "c", &["orders"]);
    let d = connected(&hub, "d", &["orders"]);
    hub.disconnect(&id("a"));
    assert_eq!(hub.announce_subscription_counts(), 1);
    assert_eq!(counts(&b), ["count orders 2", "count orders 3"]);
    assert_eq!(counts(&c), ["count orders 3"]);
    assert_eq!(counts(&d), ["count orders 3"]);

    // Changes that end where the last announcement was: only the newcomer is told.
    hub.unsubscribe(&id("c"), &channel("orders"));
    let e = connected(&hub, "e", &["orders"]);
    assert_eq!(hub.announce_subscription_counts(), 1);
    assert_eq!(counts(&e), ["count orders 3"]);
    assert_eq!(counts(&b).len(), 2);
    assert_eq!(counts(&d).len(), 1);
    assert_eq!(hub.announce_subscription_counts(), 0);
}

#[test]
fn presence_channels_are_not_counted() {
    let hub = Hub::new();
    let member = present(&hub, "a", "presence-room", 1);
    present(&hub, "b", "presence-room", 2);
    assert_eq!(hub.announce_subscription_counts(), 0);
    assert!(counts(&member).is_empty());
}
