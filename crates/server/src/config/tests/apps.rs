//! Several Pusher apps: `sidecast.pusher.apps`, each with the shared settings unless it sets
//! its own, and the checks that keep apps apart.

use std::time::Duration;

use super::*;

fn apps_in(file: &str, extra: &[&str]) -> Result<Vec<sidecast_pusher::AppConfig>, ConfigError> {
    let dir = dir_with(Some(file), None);
    load_in(dir.path(), extra).map(|loaded| loaded.settings.pusher.unwrap().apps)
}

#[test]
fn more_apps_come_from_the_file_and_take_the_shared_settings_they_do_not_set() {
    let file = r#"{"sidecast": {"allowedOrigins": ["https://one.test"], "pusher": {
        "appId": "1", "key": "first-key", "secret": "first-secret", "pingInterval": 20,
        "maxConnections": 100, "messageLimit": 30, "messageLimitWindow": 10,
        "apps": [
            {"appId": "2", "key": "second-key", "secret": "second-secret"},
            {"appId": "3", "key": "third-key", "secret": "third-secret",
             "allowedOrigins": "https://three.test", "pingInterval": 5, "maxConnections": 7,
             "clientEvents": false, "subscriptionCount": true, "messageLimit": 9,
             "messageLimitTerminate": true}
        ]}}}"#;
    let apps = apps_in(file, &["--activity-timeout", "12"]).unwrap();
    let ids: Vec<&str> = apps.iter().map(|config| config.app.id.as_str()).collect();
    assert_eq!(ids, ["1", "2", "3"]);
    let [first, second, third] = &apps[..] else {
        unreachable!()
    };
    for shared in [first, second] {
        assert_eq!(shared.ping_interval, Duration::from_secs(20));
        assert_eq!(shared.max_connections, Some(100));
        assert!(shared.origins.allows(Some("https://one.test")));
        assert!(shared.accept_client_events && !shared.subscription_count);
        assert_eq!(
            shared
                .message_limit
                .map(|limit| (limit.max, limit.window, limit.terminate)),
            Some((30, Duration::from_secs(10), false))
        );
    }
    assert_eq!(second.app.secret, "second-secret");
    assert_eq!(third.activity_timeout, Duration::from_secs(12), "shared");
    assert_eq!(third.ping_interval, Duration::from_secs(5));
    assert_eq!(third.max_connections, Some(7));
    assert!(third.origins.allows(Some("https://three.test")));
    assert!(!third.origins.allows(Some("https://one.test")));
    assert!(!third.accept_client_events && third.subscription_count);
    assert_eq!(
        third
            .message_limit
            .map(|limit| (limit.max, limit.window, limit.terminate)),
        Some((9, Duration::from_secs(10), true))
    );
    // No secret of any app reaches a log line through Debug.
    let logged = format!("{apps:?}");
    assert!(!logged.contains("secret\""), "{logged}");
    assert!(!logged.contains("-secret"), "{logged}");
}

#[test]
fn the_apps_list_alone_is_enough_and_its_first_entry_is_the_first_app() {
    let file = r#"{"sidecast": {"pusher": {"apps": [
        {"appId": "a", "key": "a-key", "secret": "s"},
        {"appId": "b", "key": "b-key", "secret": "s"}]}}}"#;
    let apps = apps_in(file, &[]).unwrap();
    let keys: Vec<&str> = apps.iter().map(|config| config.app.key.as_str()).collect();
    assert_eq!(keys, ["a-key", "b-key"]);
}

#[test]
fn apps_that_clients_could_not_tell_apart_are_refused() {
    let refused = |apps: &str, extra: &[&str]| {
        let file = format!(r#"{{"sidecast": {{"pusher": {{"apps": [{apps}]}}}}}}"#);
        apps_in(&file, extra).unwrap_err().to_string()
    };
    let first = ["--app-id", "1", "--app-key", "k1", "--app-secret", "s"];
    let error = refused(r#"{"appId": "1", "key": "k2", "secret": "s"}"#, &first);
    assert!(
        error.contains("two Pusher apps have the id \"1\""),
        "{error}"
    );
    let error = refused(r#"{"appId": "2", "key": "k1", "secret": "s"}"#, &first);
    assert!(
        error.contains("two Pusher apps have the key \"k1\""),
        "{error}"
    );
    let error = refused(r#"{"appId": "2", "key": "k2"}"#, &[]);
    assert!(error.contains("sidecast.pusher.apps[0].secret"), "{error}");
    let error = refused(r#"{"appId": "a b", "key": "k2", "secret": "s"}"#, &[]);
    assert!(error.contains("app id \"a b\""), "{error}");
    let error = refused(
        r#"{"appId": "2", "key": "k2", "secret": "s", "ttl": 1}"#,
        &[],
    );
    assert!(error.contains("sidecast.pusher.apps[0].ttl"), "{error}");
    let error = refused(
        r#"{"appId": "2", "key": "k2", "secret": "s", "messageLimitWindow": 5}"#,
        &[],
    );
    assert!(error.contains("needs a messageLimit"), "{error}");
}

#[test]
fn a_laravel_echo_server_client_may_not_take_another_apps_id() {
    let file = r#"{"clients": [{"appId": "2", "key": "echo-server-api-key"}], "sidecast": {"pusher": {
        "appId": "1", "key": "k1", "secret": "s",
        "apps": [{"appId": "2", "key": "k2", "secret": "s"}]}}}"#;
    let dir = dir_with(Some(file), None);
    let error = load_in(dir.path(), &[]).unwrap_err().to_string();
    assert!(error.contains("clients: appId \"2\""), "{error}");
}

#[test]
fn an_app_may_have_a_unix_socket_of_its_own_but_not_the_first_apps_or_anothers() {
    let file = |apps: &str| {
        format!(
            r#"{{"sidecast": {{"socket": "/run/main.sock", "pusher": {{"appId": "1", "key": "k1", "secret": "s", "apps": [{apps}]}}}}}}"#
        )
    };
    let dir = dir_with(
        Some(&file(
            r#"{"appId": "2", "key": "k2", "secret": "s", "socket": "/run/two.sock"},
               {"appId": "3", "key": "k3", "secret": "s"}"#,
        )),
        None,
    );
    let loaded = load_in(dir.path(), &[]).unwrap();
    assert_eq!(
        loaded.settings.app_sockets,
        [crate::server::AppSocket {
            app_id: "2".into(),
            path: "/run/two.sock".into(),
        }]
    );

    for (apps, why) in [
        (
            r#"{"appId": "2", "key": "k2", "secret": "s", "socket": "/run/main.sock"}"#,
            "already another app's socket",
        ),
        (
            r#"{"appId": "2", "key": "k2", "secret": "s", "socket": "/run/x.sock"},
               {"appId": "3", "key": "k3", "secret": "s", "socket": "/run/x.sock"}"#,
            "already another app's socket",
        ),
    ] {
        let dir = dir_with(Some(&file(apps)), None);
        let error = load_in(dir.path(), &[]).unwrap_err().to_string();
        assert!(error.contains(why), "{error}");
    }
    let first_in_list = r#"{"sidecast": {"pusher": {"apps": [
        {"appId": "1", "key": "k1", "secret": "s", "socket": "/run/one.sock"}]}}}"#;
    let dir = dir_with(Some(first_in_list), None);
    let error = load_in(dir.path(), &[]).unwrap_err().to_string();
    assert!(
        error.contains("the first app is published to on the sidecar's own socket"),
        "{error}"
    );
}
