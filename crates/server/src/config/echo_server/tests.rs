use super::*;

/// What `laravel-echo-server init` writes (answers: no dev mode, port 6001, redis, http, add a
/// client, no CORS), with a Redis key prefix added by hand as its users do.
const AS_INIT_WRITES_IT: &str = r#"{
	"authHost": "http://localhost",
	"authEndpoint": "/broadcasting/auth",
	"clients": [
		{
			"appId": "7c5d3a2b1e0f9a8b",
			"key": "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
		}
	],
	"database": "redis",
	"databaseConfig": {
		"redis": {
			"keyPrefix": "laravel_database_"
		},
		"sqlite": {
			"databasePath": "/database/laravel-echo-server.sqlite"
		}
	},
	"devMode": false,
	"host": null,
	"port": "6001",
	"protocol": "http",
	"socketio": {},
	"secureOptions": 67108864,
	"sslCertPath": "",
	"sslKeyPath": "",
	"sslCertChainPath": "",
	"sslPassphrase": "",
	"subscribers": {
		"http": true,
		"redis": true
	},
	"apiOriginAllow": {
		"allowCors": false,
		"allowOrigin": "",
		"allowMethods": "",
		"allowHeaders": ""
	}
}"#;

#[test]
fn the_file_laravel_echo_server_init_writes_is_read_completely() {
    let file = EchoServerFile::parse(AS_INIT_WRITES_IT).unwrap();
    assert_eq!(file.auth_hosts, Some(vec!["http://localhost".to_owned()]));
    assert_eq!(file.port, Some(6001));
    assert_eq!(file.host, Some(None));
    assert_eq!(file.redis.key_prefix.as_deref(), Some("laravel_database_"));
    assert_eq!(
        file.clients,
        vec![ApiClient {
            app_id: "7c5d3a2b1e0f9a8b".into(),
            key: "0f1e2d3c4b5a69788796a5b4c3d2e1f0".into()
        }]
    );
    assert_eq!(
        file.subscribers,
        Subscribers {
            http: Some(true),
            redis: Some(true)
        }
    );
    assert_eq!(file.notices.len(), 2, "{:?}", file.notices);
}

#[test]
fn every_mistake_names_its_key_and_what_was_expected() {
    let cases = [
        (
            r#"{"port": "sixty"}"#,
            r#"port: expected a whole number from 1 to 65535, found "sixty""#,
        ),
        (
            r#"{"port": 70000}"#,
            "port: expected a whole number from 1 to 65535, found 70000",
        ),
        (
            r#"{"devMode": "yes"}"#,
            "devMode: expected true or false, found a string",
        ),
        (
            r#"{"authHost": 5}"#,
            "authHost: expected a string or a list of strings, found a number",
        ),
        (
            r#"{"protocol": "ws"}"#,
            r#"protocol: expected "http" or "https", found "ws""#,
        ),
        (
            r#"{"database": "mysql"}"#,
            r#"database: expected "redis" or "sqlite", found "mysql""#,
        ),
        (
            r#"{"clients": [{"appId": "a"}]}"#,
            "clients[0].key: missing; expected a string",
        ),
        (
            r#"{"clients": {"appId": "a"}}"#,
            "clients: expected a list, found an object",
        ),
        (
            r#"{"databaseConfig": {"redis": {"sentinels": []}}}"#,
            "databaseConfig.redis.sentinels: unknown key",
        ),
        (
            r#"{"databaseConfig": {"redis": {"port": true}}}"#,
            "databaseConfig.redis.port: expected a whole number",
        ),
        (
            r#"{"databaseConfig": {"publishPresence": true}}"#,
            "databaseConfig.publishPresence: publishing presence changes",
        ),
        (
            r#"{"socketio": {"transports": ["websocket"]}}"#,
            "socketio.transports: unknown key",
        ),
        (
            r#"{"subscribers": {"http": "on"}}"#,
            "subscribers.http: expected true or false",
        ),
        (
            r#"{"sidecast": {"maxFrameBytes": 1}}"#,
            "sidecast.maxFrameBytes: expected a whole number from 64 to 16777216, found 1",
        ),
        (
            r#"{"autHost": "http://typo"}"#,
            "autHost: unknown key; known keys here: ",
        ),
        (r#"[1, 2]"#, "(top level): expected an object, found a list"),
        ("{not json", "not valid JSON: "),
    ];
    for (text, expected) in cases {
        let error = EchoServerFile::parse(text).unwrap_err();
        assert!(
            error.starts_with(expected),
            "{text}\n  gave: {error}\n  expected: {expected}"
        );
    }
}

#[test]
fn environment_overrides_win_and_may_name_another_variable() {
    let mut file = EchoServerFile::parse(AS_INIT_WRITES_IT).unwrap();
    let env = |name: &str| match name {
        "LARAVEL_ECHO_SERVER_PORT" => Some("7001".to_owned()),
        "LARAVEL_ECHO_SERVER_AUTH_HOST" => Some("${APP_URL}".to_owned()),
        "APP_URL" => Some("http://app.test".to_owned()),
        "LARAVEL_ECHO_SERVER_REDIS_PASSWORD" => Some("s3cret".to_owned()),
        "LARAVEL_ECHO_SERVER_DEBUG" => Some("true".to_owned()),
        "LARAVEL_ECHO_SERVER_HOST" => Some("127.0.0.1".to_owned()),
        _ => None,
    };
    file.apply_env(env).unwrap();
    assert_eq!(file.port, Some(7001));
    assert_eq!(file.auth_hosts, Some(vec!["http://app.test".to_owned()]));
    assert_eq!(file.redis.password.as_deref(), Some("s3cret"));
    assert_eq!(file.dev_mode, Some(true));
    assert_eq!(file.host, Some(Some("127.0.0.1".to_owned())));

    let bad = |name: &str| (name == "LARAVEL_ECHO_SERVER_PORT").then(|| "x".to_owned());
    assert_eq!(
        file.apply_env(bad).unwrap_err(),
        r#"LARAVEL_ECHO_SERVER_PORT: expected a port number, found "x""#
    );
}
