//! `--webhook-url`, `--listener`, `--lifecycle-*`: off unless a URL or the listener is asked
//! for, webhooks signed with the Pusher app's secret, refused where they could not work as
//! promised.

use super::{dir_with, load_in};

const APP: [&str; 6] = [
    "--app-id",
    "app",
    "--app-key",
    "app-key",
    "--app-secret",
    "app-secret",
];

fn with_app<'a>(extra: &[&'a str]) -> Vec<&'a str> {
    let mut arguments: Vec<&'a str> = APP.to_vec();
    arguments.extend_from_slice(extra);
    arguments
}

#[test]
fn webhooks_are_off_without_a_url_and_take_the_apps_key_and_secret() {
    let dir = dir_with(None, None);
    assert!(
        load_in(dir.path(), &APP)
            .unwrap()
            .settings
            .lifecycle
            .is_none()
    );

    let loaded = load_in(
        dir.path(),
        &with_app(&[
            "--webhook-url",
            "https://app.test/hooks,http://127.0.0.1:9/b",
        ]),
    )
    .unwrap();
    let webhooks = loaded.settings.lifecycle.unwrap();
    assert_eq!(webhooks.endpoints.len(), 2);
    assert_eq!(webhooks.endpoints[0].url, "https://app.test/hooks");
    assert_eq!(
        (
            webhooks.endpoints[1].key.as_str(),
            webhooks.endpoints[1].secret.as_str()
        ),
        ("app-key", "app-secret")
    );
    assert_eq!(webhooks.grace, std::time::Duration::from_secs(3));
    assert_eq!(webhooks.events.len(), 4, "every event but client events");
    assert!(
        webhooks.client_event_channels.is_empty(),
        "client events are opt-in"
    );

    let chosen = load_in(
        dir.path(),
        &with_app(&[
            "--webhook-url",
            "https://app.test/hooks",
            "--lifecycle-events",
            "member_added,member_removed",
            "--lifecycle-client-events",
            "presence-game.",
            "--lifecycle-grace",
            "0",
        ]),
    )
    .unwrap()
    .settings
    .lifecycle
    .unwrap();
    assert_eq!(chosen.events, ["member_added", "member_removed"]);
    assert_eq!(chosen.client_event_channels, ["presence-game."]);
    assert!(chosen.grace.is_zero());
}

#[test]
fn webhooks_without_an_app_a_bad_url_or_event_are_refused() {
    let dir = dir_with(None, None);
    let refused = |arguments: &[&str]| load_in(dir.path(), arguments).unwrap_err().to_string();
    assert!(
        refused(&["--webhook-url", "https://app.test/hooks"]).contains("--app-secret"),
        "signed with the app's secret"
    );
    assert!(refused(&with_app(&["--webhook-url", "ftp://app.test"])).contains("not an http"));
    let password = refused(&with_app(&["--webhook-url", "ftp://user:s3cret@app.test"]));
    assert!(!password.contains("s3cret"), "{password}");
    assert!(
        refused(&with_app(&[
            "--webhook-url",
            "https://app.test",
            "--lifecycle-events",
            "member_left"
        ]))
        .contains("\"member_left\" is not one of")
    );
    assert!(
        load_in(
            dir.path(),
            &with_app(&[
                "--webhook-url",
                "https://app.test",
                "--cluster-redis",
                "redis://127.0.0.1:6379"
            ])
        )
        .is_ok(),
        "Pusher's four across a cluster"
    );
}

#[test]
fn the_listener_needs_no_app_and_keeps_five_minutes_or_ten_thousand_events_by_default() {
    let dir = dir_with(None, None);
    let lifecycle = load_in(dir.path(), &["--listener"])
        .unwrap()
        .settings
        .lifecycle
        .unwrap();
    assert!(lifecycle.endpoints.is_empty(), "no webhooks");
    let buffer = lifecycle.listener.unwrap();
    assert_eq!(buffer.max_age, std::time::Duration::from_secs(300));
    assert_eq!(buffer.max_events, 10_000);
    assert_eq!(lifecycle.events.len(), 4);

    let chosen = load_in(
        dir.path(),
        &[
            "--listener",
            "--listener-buffer",
            "1.5",
            "--listener-buffer-events",
            "20",
            "--lifecycle-channel-prefix",
            "presence-",
        ],
    )
    .unwrap()
    .settings
    .lifecycle
    .unwrap();
    let buffer = chosen.listener.unwrap();
    assert_eq!(buffer.max_age, std::time::Duration::from_millis(1500));
    assert_eq!(buffer.max_events, 20);
    assert_eq!(chosen.channel_prefixes, ["presence-"]);

    let users = load_in(
        dir.path(),
        &[
            "--listener",
            "--lifecycle-events",
            "user_connected,user_disconnected,subscription_count",
        ],
    )
    .unwrap()
    .settings
    .lifecycle
    .unwrap();
    assert_eq!(
        users.events,
        ["user_connected", "user_disconnected", "subscription_count"]
    );

    let off = load_in(dir.path(), &["--listener=false"]).unwrap();
    assert!(off.settings.lifecycle.is_none());
}

#[test]
fn a_listener_buffer_of_nothing_is_refused_and_every_event_is_available_with_a_cluster() {
    use clap::Parser;
    let parse_error = |arguments: &[&str]| {
        crate::cli::Cli::try_parse_from(["sidecast", "start"].iter().chain(arguments))
            .unwrap_err()
            .to_string()
    };
    assert!(parse_error(&["--listener", "--listener-buffer", "0"]).contains("more than 0 seconds"));
    assert!(parse_error(&["--listener", "--listener-buffer-events", "0"]).contains("0 is not in"));

    let dir = dir_with(None, None);
    let clustered = load_in(
        dir.path(),
        &[
            "--listener",
            "--lifecycle-events",
            "subscription_count,user_disconnected",
            "--cluster-redis",
            "redis://127.0.0.1:6379",
        ],
    )
    .unwrap();
    assert_eq!(
        clustered.settings.lifecycle.unwrap().events,
        ["subscription_count", "user_disconnected"],
        "every event is the cluster's, with scale-out too"
    );
}
