//! `--webhook-*`: off unless a URL is given, signed with the Pusher app's secret, refused
//! where they could not work as promised.

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
            .webhooks
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
    let webhooks = loaded.settings.webhooks.unwrap();
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
            "--webhook-events",
            "member_added,member_removed",
            "--webhook-client-events",
            "presence-game.",
            "--webhook-grace",
            "0",
        ]),
    )
    .unwrap()
    .settings
    .webhooks
    .unwrap();
    assert_eq!(chosen.events, ["member_added", "member_removed"]);
    assert_eq!(chosen.client_event_channels, ["presence-game."]);
    assert!(chosen.grace.is_zero());
}

#[test]
fn webhooks_without_an_app_a_bad_url_or_event_or_with_a_cluster_are_refused() {
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
            "--webhook-events",
            "member_left"
        ]))
        .contains("\"member_left\" is not one of")
    );
    assert!(
        refused(&with_app(&[
            "--webhook-url",
            "https://app.test",
            "--cluster-redis",
            "redis://127.0.0.1:6379"
        ]))
        .contains("scale-out")
    );
}
