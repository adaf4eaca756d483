use std::path::Path;

use clap::Parser;

use super::*;
use crate::cli::{Cli, Command};

fn start_args(arguments: &[&str]) -> StartArgs {
    let mut argv = vec!["sidecast", "start"];
    argv.extend_from_slice(arguments);
    match Cli::parse_from(argv).command {
        Command::Start(args) => *args,
        other => panic!("parsed {other:?}"),
    }
}

fn dir_with(file: Option<&str>, dotenv: Option<&str>) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    if let Some(text) = file {
        std::fs::write(dir.path().join("laravel-echo-server.json"), text).unwrap();
    }
    if let Some(text) = dotenv {
        std::fs::write(dir.path().join(".env"), text).unwrap();
    }
    dir
}

/// Loads with no process environment: only the files and `extra` options count. (Options
/// bound to SIDECAST_* variables still read those through clap; they are unset in CI.)
fn load_in(dir: &Path, extra: &[&str]) -> Result<Loaded, ConfigError> {
    let dir = dir.to_str().unwrap();
    let mut arguments = vec!["--dir", dir];
    arguments.extend_from_slice(extra);
    load_with(&start_args(&arguments), &|_| None)
}

#[test]
fn without_a_file_sidecast_keeps_to_loopback_with_no_redis_and_no_api() {
    let dir = dir_with(None, None);
    let loaded = load_in(dir.path(), &[]).unwrap();
    assert_eq!(loaded.file, None);
    assert_eq!(loaded.settings.http_addr.to_string(), "127.0.0.1:6001");
    assert!(loaded.settings.redis.is_none());
    assert!(loaded.settings.api.is_none());
    assert!(loaded.settings.tls.is_none());
}

#[test]
fn a_laravel_echo_server_file_turns_on_its_subscribers_and_binds_every_interface() {
    let dir = dir_with(
        Some(
            r#"{"host": null, "port": "7002", "authHost": "http://app.test/", "clients": [{"appId": "a", "key": "0123456789abcdef"}],
                "databaseConfig": {"redis": {"port": 6380, "keyPrefix": "laravel_database_"}}, "devMode": true}"#,
        ),
        None,
    );
    let loaded = load_in(dir.path(), &[]).unwrap();
    assert!(loaded.file.is_some());
    assert!(loaded.dev_mode);
    assert_eq!(loaded.settings.http_addr.to_string(), "0.0.0.0:7002");
    assert_eq!(loaded.settings.auth.hosts, vec!["http://app.test"]);
    let redis = loaded.settings.redis.unwrap();
    assert_eq!(
        (redis.port, redis.key_prefix.as_str()),
        (6380, "laravel_database_")
    );
    assert_eq!(loaded.settings.api.unwrap().clients.len(), 1);
}

#[test]
fn options_beat_the_env_which_beats_the_file() {
    let dir = dir_with(
        Some(
            r#"{"port": 7002, "host": "127.0.0.1", "subscribers": {"redis": false, "http": false}}"#,
        ),
        Some("LARAVEL_ECHO_SERVER_PORT=7003\nLARAVEL_ECHO_SERVER_AUTH_HOST=http://from-env.test\n"),
    );
    let from_env = load_in(dir.path(), &[]).unwrap();
    assert_eq!(from_env.settings.http_addr.port(), 7003);
    assert_eq!(from_env.settings.auth.hosts, vec!["http://from-env.test"]);
    assert!(
        from_env.settings.redis.is_none() && from_env.settings.api.is_none(),
        "subscribers turned off"
    );

    let from_flags = load_in(
        dir.path(),
        &["--port", "7004", "--auth-host", "http://flag.test"],
    )
    .unwrap();
    assert_eq!(from_flags.settings.http_addr.port(), 7004);
    assert_eq!(from_flags.settings.auth.hosts, vec!["http://flag.test"]);
}

#[test]
fn sidecasts_own_section_sets_its_own_settings() {
    let dir = dir_with(
        Some(
            r#"{"sidecast": {"socket": "/run/x.sock", "clientBuffer": 100, "clientBufferBytes": 200000,
                             "authMaxPerAddress": 3, "allowedOrigins": ["https://app.test/"]},
                "socketio": {"pingInterval": 10000, "maxHttpBufferSize": 2000000}}"#,
        ),
        None,
    );
    let settings = load_in(dir.path(), &[]).unwrap().settings;
    assert_eq!(settings.socket_path, PathBuf::from("/run/x.sock"));
    assert_eq!(settings.socketio.max_buffer_size, 100);
    assert_eq!(settings.socketio.max_buffer_bytes, 200_000);
    assert_eq!(settings.auth.max_in_flight_per_address, Some(3));
    let flags = load_in(
        dir.path(),
        &[
            "--client-buffer-bytes",
            "100000",
            "--auth-max-per-address",
            "5",
        ],
    )
    .unwrap()
    .settings;
    assert_eq!(flags.socketio.max_buffer_bytes, 100_000);
    assert_eq!(flags.auth.max_in_flight_per_address, Some(5));
    let unset = load_in(dir_with(None, None).path(), &[]).unwrap().settings;
    assert_eq!(unset.socketio.max_buffer_bytes, 4 * 1024 * 1024);
    assert_eq!(unset.auth.max_in_flight_per_address, None);
    assert_eq!(settings.socketio.origins.list(), ["https://app.test"]);
    assert_eq!(settings.socketio.ping_interval, Duration::from_secs(10));
    assert_eq!(settings.socketio.max_payload, 2_000_000);
}

#[test]
fn socketio_origins_become_allowed_origins() {
    let dir = dir_with(
        Some(
            r#"{"socketio": {"origins": "http://app.test:80 https://admin.test:443 http://dev.test:8000"}}"#,
        ),
        None,
    );
    let settings = load_in(dir.path(), &[]).unwrap().settings;
    assert_eq!(
        settings.socketio.origins.list(),
        vec![
            "http://app.test",
            "https://admin.test",
            "http://dev.test:8000"
        ]
    );
    let any = dir_with(Some(r#"{"socketio": {"origins": "*:*"}}"#), None);
    assert!(
        load_in(any.path(), &[])
            .unwrap()
            .settings
            .socketio
            .origins
            .is_any()
    );
}

#[test]
fn errors_name_the_file_and_the_key() {
    let dir = dir_with(Some(r#"{"port": "many"}"#), None);
    let error = load_in(dir.path(), &[]).unwrap_err().to_string();
    assert!(error.ends_with(r#"laravel-echo-server.json: port: expected a whole number from 1 to 65535, found "many""#), "{error}");

    let missing = dir_with(None, None);
    let error = load_in(missing.path(), &["--config", "echo.json"])
        .unwrap_err()
        .to_string();
    assert!(
        error.ends_with("echo.json: the config file could not be found"),
        "{error}"
    );

    let https = dir_with(Some(r#"{"protocol": "https", "sslCertPath": ""}"#), None);
    let error = load_in(https.path(), &[]).unwrap_err().to_string();
    assert_eq!(
        error,
        r#"sslCertPath: "protocol" is "https", so sslCertPath must name a file"#
    );

    for key in ["", "short-key", "               "] {
        let file = format!(r#"{{"clients": [{{"appId": "a", "key": "{key}"}}]}}"#);
        let dir = dir_with(Some(&file), None);
        let error = load_in(dir.path(), &[]).unwrap_err().to_string();
        assert!(
            error.contains("clients[0].key: an API key must be at least 16"),
            "{error}"
        );
    }

    let bad_env = dir_with(Some("{}"), Some("LARAVEL_ECHO_SERVER_PROTO=ftp\n"));
    let error = load_in(bad_env.path(), &[]).unwrap_err().to_string();
    assert_eq!(
        error,
        r#"LARAVEL_ECHO_SERVER_PROTO: expected "http" or "https", found "ftp""#
    );
}

#[test]
fn a_laravel_projects_env_gives_the_sidecar_its_socket_and_port() {
    let dir = dir_with(
        Some("{}"),
        Some("SIDECAST_SOCKET=/run/app/sidecast.sock\nSIDECAST_PORT=7010\n"),
    );
    let settings = load_in(dir.path(), &[]).unwrap().settings;
    assert_eq!(
        settings.socket_path,
        PathBuf::from("/run/app/sidecast.sock")
    );
    assert_eq!(settings.http_addr.port(), 7010);
    let flagged = load_in(dir.path(), &["--socket", "/tmp/flag.sock"])
        .unwrap()
        .settings;
    assert_eq!(flagged.socket_path, PathBuf::from("/tmp/flag.sock"));
}

#[test]
fn a_laravel_app_without_sidecast_socket_keeps_its_socket_in_storage() {
    let dir = dir_with(None, Some("APP_NAME=Laravel\n"));
    assert_eq!(
        load_in(dir.path(), &[]).unwrap().settings.socket_path,
        PathBuf::from("/run/sidecast/sidecast.sock"),
        "not a Laravel app: the runtime directory"
    );
    std::fs::write(dir.path().join("artisan"), "#!/usr/bin/env php").unwrap();
    assert_eq!(
        load_in(dir.path(), &[]).unwrap().settings.socket_path,
        dir.path().join("storage/sidecast/sidecast.sock")
    );
}

#[test]
fn the_sockets_owner_group_and_mode_come_from_options_or_the_file() {
    use sidecast_ingest::SocketAccess;
    let dir = dir_with(
        Some(
            r#"{"sidecast": {"socketOwner": "root", "socketGroup": "65534", "socketMode": "0600"}}"#,
        ),
        None,
    );
    let access = load_in(dir.path(), &[]).unwrap().settings.socket_access;
    assert_eq!(
        access,
        SocketAccess {
            owner: Some(0),
            group: Some(65534),
            mode: 0o600
        }
    );
    let flagged = load_in(
        dir.path(),
        &["--socket-group", "root", "--socket-mode", "640"],
    );
    let access = flagged.unwrap().settings.socket_access;
    assert_eq!((access.group, access.mode), (Some(0), 0o640));

    let plain = load_in(dir_with(None, None).path(), &[]).unwrap();
    assert_eq!(plain.settings.socket_access, SocketAccess::default());
    for (option, value, complaint) in [
        ("--socket-mode", "0666", "every local user"),
        ("--socket-mode", "rw", "expected octal"),
        ("--socket-owner", "nobody-by-this-name", "no user"),
        ("--socket-group", "nobody-by-this-name", "no group"),
    ] {
        let error = load_in(dir.path(), &[option, value])
            .unwrap_err()
            .to_string();
        assert!(error.contains(complaint), "{option} {value}: {error}");
    }
}

#[test]
fn auth_insecure_from_the_file_can_be_turned_off_again() {
    let dir = dir_with(Some(r#"{"sidecast": {"authInsecure": true}}"#), None);
    assert!(!load_in(dir.path(), &[]).unwrap().settings.auth.verify_tls);
    assert!(
        load_in(dir.path(), &["--auth-insecure", "false"])
            .unwrap()
            .settings
            .auth
            .verify_tls
    );
    assert!(
        !load_in(dir.path(), &["--auth-insecure"])
            .unwrap()
            .settings
            .auth
            .verify_tls
    );
}

#[test]
fn a_single_node_unless_a_cluster_redis_is_given() {
    let dir = dir_with(None, None);
    assert!(load_in(dir.path(), &[]).unwrap().settings.cluster.is_none());
    let clustered = load_in(dir.path(), &["--cluster-redis", "redis://127.0.0.1:6390/1"])
        .unwrap()
        .settings
        .cluster
        .expect("a cluster");
    assert_eq!(clustered.redis.describe(), "redis://127.0.0.1:6390/1");
    assert_eq!(clustered.prefix, "sidecast:");
    assert_eq!(clustered.dead_after, Duration::from_secs(15));
}

#[test]
fn the_cluster_section_can_reuse_database_config_and_options_win() {
    let dir = dir_with(
        Some(
            r#"{"databaseConfig": {"redis": {"port": 6391, "password": "pw", "keyPrefix": "laravel_database_"}},
                "sidecast": {"cluster": {"redis": "databaseConfig", "prefix": "app1:", "heartbeatMs": 1000,
                                         "deadAfterMs": 6000, "bufferMessages": 50}}}"#,
        ),
        None,
    );
    let cluster = load_in(
        dir.path(),
        &["--cluster-prefix", "app2:", "--cluster-sweep-every", "2"],
    )
    .unwrap()
    .settings
    .cluster
    .expect("a cluster");
    assert_eq!(
        cluster.redis,
        sidecast_cluster::RedisAddress::Server("redis://:pw@127.0.0.1:6391/0".into())
    );
    assert_eq!(cluster.prefix, "app2:");
    assert_eq!(cluster.heartbeat, Duration::from_secs(1));
    assert_eq!(cluster.dead_after, Duration::from_secs(6));
    assert_eq!(cluster.sweep_every, Duration::from_secs(2));
    assert_eq!(cluster.buffer_messages, 50);
}

#[test]
fn a_cluster_bus_that_laravels_subscriber_would_hear_is_refused() {
    let dir = dir_with(
        Some(
            r#"{"databaseConfig": {"redis": {"keyPrefix": ""}}, "sidecast": {"cluster": {"redis": "databaseConfig"}}}"#,
        ),
        None,
    );
    let error = load_in(dir.path(), &[]).unwrap_err().to_string();
    assert!(error.contains("PSUBSCRIBE *"), "{error}");
    // With Laravel's subscriber off, nothing would hear it.
    let off = dir_with(
        Some(
            r#"{"subscribers": {"redis": false}, "databaseConfig": {"redis": {"keyPrefix": ""}},
                "sidecast": {"cluster": {"redis": "databaseConfig"}}}"#,
        ),
        None,
    );
    assert!(load_in(off.path(), &[]).unwrap().settings.cluster.is_some());
    for (flags, why) in [
        (&["--cluster-redis", "http://x"][..], "is not one of"),
        (
            &["--cluster-redis", "redis://x", "--cluster-heartbeat", "10"],
            "at most a third",
        ),
    ] {
        let error = load_in(dir_with(None, None).path(), flags)
            .unwrap_err()
            .to_string();
        assert!(error.contains(why), "{error}");
    }
}

/// The first Pusher app's settings.
fn first_app(loaded: Loaded) -> sidecast_pusher::AppConfig {
    loaded.settings.pusher.unwrap().apps.remove(0)
}

#[test]
fn the_pusher_front_end_is_off_without_an_app() {
    let dir = dir_with(None, None);
    assert!(load_in(dir.path(), &[]).unwrap().settings.pusher.is_none());
}

#[test]
fn a_reverb_projects_env_is_enough_for_the_pusher_front_end() {
    let dir = dir_with(
        None,
        Some(
            "REVERB_APP_ID=123456\nREVERB_APP_KEY=reverbkey\nREVERB_APP_SECRET=reverbsecret\n\
             REVERB_SERVER_HOST=127.0.0.2\nREVERB_SERVER_PORT=8080\nREVERB_APP_ACTIVITY_TIMEOUT=20\n\
             REVERB_APP_PING_INTERVAL=45\nREVERB_APP_MAX_MESSAGE_SIZE=20000\n",
        ),
    );
    let loaded = load_in(dir.path(), &[]).unwrap();
    assert_eq!(loaded.settings.http_addr.to_string(), "127.0.0.2:8080");
    let pusher = first_app(loaded);
    assert_eq!(
        (
            pusher.app.id.as_str(),
            pusher.app.key.as_str(),
            pusher.app.secret.as_str()
        ),
        ("123456", "reverbkey", "reverbsecret")
    );
    assert_eq!(pusher.activity_timeout, Duration::from_secs(20));
    assert_eq!(pusher.ping_interval, Duration::from_secs(45));
    assert_eq!(pusher.max_message_bytes, 20_000);
    // The secret never reaches a log line through Debug.
    assert!(!format!("{pusher:?}").contains("reverbsecret"));

    // Sidecast's own options win, field by field.
    let loaded = load_in(
        dir.path(),
        &["--app-key", "own", "--port", "7000", "--ping-interval", "5"],
    )
    .unwrap();
    assert_eq!(loaded.settings.http_addr.port(), 7000);
    let pusher = first_app(loaded);
    assert_eq!(
        (pusher.app.key.as_str(), pusher.app.secret.as_str()),
        ("own", "reverbsecret")
    );
    assert_eq!(pusher.ping_interval, Duration::from_secs(5));
}

#[test]
fn soketi_variables_are_read_after_reverbs() {
    let dir = dir_with(
        None,
        Some(
            "SOKETI_DEFAULT_APP_ID=app-id\nSOKETI_DEFAULT_APP_KEY=app-key\nSOKETI_DEFAULT_APP_SECRET=app-secret\nSOKETI_PORT=6002\n",
        ),
    );
    let loaded = load_in(dir.path(), &[]).unwrap();
    assert_eq!(loaded.settings.http_addr.to_string(), "127.0.0.1:6002");
    assert_eq!(first_app(loaded).app.key, "app-key");
}

#[test]
fn an_incomplete_app_or_a_bad_number_is_refused_with_its_name() {
    let dir = dir_with(None, Some("REVERB_APP_KEY=k\n"));
    let error = load_in(dir.path(), &[]).unwrap_err().to_string();
    assert!(error.contains("the id and secret are missing"), "{error}");
    let dir = dir_with(
        None,
        Some(
            "REVERB_APP_ID=1\nREVERB_APP_KEY=k\nREVERB_APP_SECRET=s\nREVERB_APP_PING_INTERVAL=soon\n",
        ),
    );
    let error = load_in(dir.path(), &[]).unwrap_err().to_string();
    assert!(
        error.contains("REVERB_APP_PING_INTERVAL=\"soon\""),
        "{error}"
    );
    let error = load_in(
        dir_with(None, None).path(),
        &["--app-id", "1", "--app-key", "a:b", "--app-secret", "s"],
    )
    .unwrap_err()
    .to_string();
    assert!(error.contains("must be 1 to 255 letters"), "{error}");
}

#[test]
fn connection_quotas_and_client_event_switches_come_from_reverb_or_soketi() {
    let app = "REVERB_APP_ID=1\nREVERB_APP_KEY=k\nREVERB_APP_SECRET=s\n";
    let pusher = |dotenv: &str, extra: &[&str]| {
        let dir = dir_with(None, Some(&format!("{app}{dotenv}")));
        load_in(dir.path(), extra).map(first_app)
    };
    let defaults = pusher("", &[]).unwrap();
    assert_eq!(
        (defaults.max_connections, defaults.accept_client_events),
        (None, true)
    );
    let reverb = pusher(
        "REVERB_APP_MAX_CONNECTIONS=500\nREVERB_APP_ACCEPT_CLIENT_EVENTS_FROM=none\n",
        &[],
    )
    .unwrap();
    assert_eq!(
        (reverb.max_connections, reverb.accept_client_events),
        (Some(500), false)
    );
    let option = pusher(
        "REVERB_APP_MAX_CONNECTIONS=500\n",
        &["--max-connections", "7"],
    )
    .unwrap();
    assert_eq!(option.max_connections, Some(7));
    let soketi = pusher(
        "SOKETI_DEFAULT_APP_MAX_CONNS=-1\nSOKETI_DEFAULT_APP_ENABLE_CLIENT_MESSAGES=false\n",
        &[],
    )
    .unwrap();
    assert_eq!(
        (soketi.max_connections, soketi.accept_client_events),
        (None, false)
    );
    let error = pusher("REVERB_APP_ACCEPT_CLIENT_EVENTS_FROM=everyone\n", &[])
        .unwrap_err()
        .to_string();
    assert!(error.contains("expected members, all or none"), "{error}");
}

#[test]
fn the_pusher_path_comes_from_the_option_or_reverb_and_is_checked() {
    let app = "REVERB_APP_ID=1\nREVERB_APP_KEY=k\nREVERB_APP_SECRET=s\n";
    let path = |dotenv: &str, extra: &[&str]| {
        let dir = dir_with(None, Some(&format!("{app}{dotenv}")));
        load_in(dir.path(), extra).map(|loaded| loaded.settings.pusher.unwrap().path)
    };
    assert_eq!(path("", &[]).unwrap(), "");
    assert_eq!(
        path("REVERB_SERVER_PATH=/realtime/\n", &[]).unwrap(),
        "/realtime"
    );
    assert_eq!(
        path("REVERB_SERVER_PATH=/a\n", &["--path", "/b/c"]).unwrap(),
        "/b/c"
    );
    assert_eq!(path("SOKETI_PATH_PREFIX=/s\n", &[]).unwrap(), "/s");
    for bad in ["realtime", "/a//b", "/a b", "/{key}"] {
        let error = path(&format!("REVERB_SERVER_PATH=\"{bad}\"\n"), &[])
            .unwrap_err()
            .to_string();
        assert!(error.contains("must be like /realtime"), "{bad}: {error}");
    }
}

#[test]
fn the_config_files_pusher_section_sits_between_sidecasts_variables_and_reverbs() {
    let file = r#"{"sidecast": {"pusher": {"appId": "f", "key": "file-key", "secret": "file-secret", "path": "/ws",
        "activityTimeout": 15, "pingInterval": 20, "maxMessageBytes": 4096, "maxConnections": 9}}}"#;
    let dir = dir_with(
        Some(file),
        Some(
            "REVERB_APP_ID=r\nREVERB_APP_KEY=reverb-key\nREVERB_APP_SECRET=r\nSIDECAST_APP_KEY=env-key\n",
        ),
    );
    let loaded = load_in(dir.path(), &[]).unwrap();
    assert_eq!(loaded.settings.pusher.as_ref().unwrap().path, "/ws");
    let pusher = first_app(loaded);
    assert_eq!(
        (
            pusher.app.id.as_str(),
            pusher.app.key.as_str(),
            pusher.app.secret.as_str()
        ),
        ("f", "env-key", "file-secret")
    );
    assert_eq!(pusher.activity_timeout, Duration::from_secs(15));
    assert_eq!(pusher.ping_interval, Duration::from_secs(20));
    assert_eq!(
        (pusher.max_message_bytes, pusher.max_connections),
        (4096, Some(9))
    );

    let dir = dir_with(
        Some(r#"{"sidecast": {"pusher": {"appKey": "typo"}}}"#),
        None,
    );
    let error = load_in(dir.path(), &[]).unwrap_err().to_string();
    assert!(error.contains("sidecast.pusher.appKey"), "{error}");
}

#[test]
fn subscription_counts_are_off_unless_asked_for() {
    let app = ["--app-id", "1", "--app-key", "k", "--app-secret", "s"];
    let dir = dir_with(None, None);
    let pusher = |loaded: Loaded| first_app(loaded).subscription_count;
    assert!(!pusher(load_in(dir.path(), &app).unwrap()));
    let asked: Vec<&str> = app
        .iter()
        .copied()
        .chain(["--subscription-count"])
        .collect();
    assert!(pusher(load_in(dir.path(), &asked).unwrap()));

    let file = dir_with(
        Some(
            r#"{"sidecast": {"pusher": {"appId": "1", "key": "k", "secret": "s", "subscriptionCount": true}}}"#,
        ),
        None,
    );
    assert!(pusher(load_in(file.path(), &[]).unwrap()));
}

#[test]
fn a_message_limit_from_options_the_file_or_reverbs_rate_limiting() {
    use sidecast_pusher::MessageLimit;
    let app = ["--app-id", "1", "--app-key", "k", "--app-secret", "s"];
    let limit_in = |dir: &Path, extra: &[&str]| {
        let args: Vec<&str> = app.iter().chain(extra).copied().collect();
        load_in(dir, &args).map(|loaded| first_app(loaded).message_limit)
    };
    let plain = dir_with(None, None);
    assert_eq!(limit_in(plain.path(), &[]).unwrap(), None);
    assert_eq!(
        limit_in(
            plain.path(),
            &["--message-limit", "5", "--message-limit-window", "2"]
        )
        .unwrap(),
        Some(MessageLimit {
            max: 5,
            window: Duration::from_secs(2),
            terminate: false
        })
    );

    let reverb = dir_with(
        None,
        Some("REVERB_APP_RATE_LIMITING_ENABLED=true\nREVERB_APP_RATE_LIMIT_TERMINATE=true\n"),
    );
    assert_eq!(
        limit_in(reverb.path(), &[]).unwrap(),
        Some(MessageLimit {
            max: 60,
            window: Duration::from_secs(60),
            terminate: true
        }),
        "Reverb's defaults"
    );
    assert_eq!(
        limit_in(reverb.path(), &["--message-limit-terminate", "false"]).unwrap(),
        Some(MessageLimit {
            max: 60,
            window: Duration::from_secs(60),
            terminate: false
        }),
        "an option wins over Reverb's variables"
    );
    let tuned = dir_with(
        Some(r#"{"sidecast": {"pusher": {"messageLimit": 9, "messageLimitWindow": 3}}}"#),
        Some("REVERB_APP_RATE_LIMITING_ENABLED=true\nREVERB_APP_RATE_LIMIT_DECAY_SECONDS=30\n"),
    );
    assert_eq!(
        limit_in(tuned.path(), &[]).unwrap(),
        Some(MessageLimit {
            max: 9,
            window: Duration::from_secs(3),
            terminate: false
        }),
        "the file wins over Reverb's variables"
    );
    let reverb_off = dir_with(
        Some(r#"{"sidecast": {"pusher": {"messageLimit": 9}}}"#),
        Some(
            "REVERB_APP_RATE_LIMITING_ENABLED=false\nREVERB_APP_RATE_LIMIT_DECAY_SECONDS=30\nREVERB_APP_RATE_LIMIT_TERMINATE=true\n",
        ),
    );
    assert_eq!(
        limit_in(reverb_off.path(), &[]).unwrap(),
        Some(MessageLimit {
            max: 9,
            window: Duration::from_secs(60),
            terminate: false
        }),
        "Reverb's other variables count only with its rate limiting on"
    );
    let Err(ConfigError::Setting(refusal)) =
        limit_in(plain.path(), &["--message-limit-window", "5"])
    else {
        panic!("a window without a limit was accepted");
    };
    assert!(refusal.contains("without the limit"), "{refusal}");

    let bad = dir_with(None, Some("REVERB_APP_RATE_LIMITING_ENABLED=maybe\n"));
    let Err(ConfigError::Environment(refusal)) = limit_in(bad.path(), &[]) else {
        panic!("a malformed boolean was accepted");
    };
    assert!(
        refusal.contains("REVERB_APP_RATE_LIMITING_ENABLED"),
        "{refusal}"
    );
}

mod apps;
mod hostile;
mod lifecycle;
