//! The config file reader, as a bounded property test: random text, and files made of the
//! keys sidecast reads with values of any type and size, are either loaded or refused with a
//! reason — never a panic. (The reader is in the binary, so it has no fuzz target of its own.)

use proptest::prelude::*;

use super::*;

/// A JSON value of any kind, including the wrong ones for the key it lands on.
fn value() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        any::<i64>().prop_map(|n| n.to_string()),
        any::<f64>().prop_map(|n| if n.is_finite() {
            n.to_string()
        } else {
            "1e400".into()
        }),
        "\"[a-zA-Z0-9:/._*@ -]{0,24}\"",
        Just("true".to_owned()),
        Just("null".to_owned()),
        Just("[]".to_owned()),
        Just("{}".to_owned()),
    ];
    leaf.prop_recursive(2, 8, 3, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..3)
                .prop_map(|items| format!("[{}]", items.join(","))),
            proptest::collection::vec(("[a-zA-Z]{1,8}", inner), 0..3).prop_map(|pairs| {
                let fields: Vec<String> =
                    pairs.iter().map(|(k, v)| format!("\"{k}\":{v}")).collect();
                format!("{{{}}}", fields.join(","))
            }),
        ]
    })
}

/// An object with some of `keys`, each with any value, or a nested section where given.
fn object(
    keys: &'static [&'static str],
    sections: Vec<BoxedStrategy<String>>,
) -> BoxedStrategy<String> {
    let fields = proptest::collection::vec((proptest::sample::select(keys), value()), 0..6);
    let nested = proptest::collection::vec(proptest::strategy::Union::new(sections), 0..2);
    (fields, nested)
        .prop_map(|(fields, nested)| {
            let mut all: Vec<String> = fields.iter().map(|(k, v)| format!("\"{k}\":{v}")).collect();
            all.extend(nested);
            format!("{{{}}}", all.join(","))
        })
        .boxed()
}

fn leaf_section(name: &'static str, keys: &'static [&'static str]) -> BoxedStrategy<String> {
    object(keys, vec![value().boxed()])
        .prop_map(move |body| format!("\"{name}\":{body}"))
        .boxed()
}

fn config_file() -> BoxedStrategy<String> {
    let pusher = leaf_section(
        "pusher",
        &[
            "appId",
            "key",
            "secret",
            "apps",
            "pingInterval",
            "maxConnections",
            "messageLimit",
            "socket",
            "allowedOrigins",
            "subscriptionCount",
            "clientEvents",
        ],
    );
    let cluster = leaf_section("cluster", &["redis", "prefix", "heartbeat", "deadAfter"]);
    let sidecast = object(
        &[
            "socket",
            "clientBuffer",
            "clientBufferBytes",
            "allowedOrigins",
            "authTimeout",
            "authMaxInFlight",
            "authMaxPerAddress",
            "maxFrameBytes",
            "clientEventMaxBytes",
        ],
        vec![pusher, cluster],
    )
    .prop_map(|body| format!("\"sidecast\":{body}"))
    .boxed();
    let socketio = leaf_section(
        "socketio",
        &[
            "pingInterval",
            "pingTimeout",
            "maxHttpBufferSize",
            "origins",
        ],
    );
    let database = leaf_section("databaseConfig", &["redis", "prefix", "publishPresence"]);
    object(
        &[
            "authHost",
            "authEndpoint",
            "host",
            "port",
            "protocol",
            "devMode",
            "database",
            "clients",
            "apiOriginAllow",
            "sslCertPath",
            "subscribers",
        ],
        vec![sidecast, socketio, database],
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn random_text_is_parsed_or_refused(text in "\\PC{0,200}") {
        let _ = EchoServerFile::parse(&text);
    }

    #[test]
    fn any_values_under_the_known_keys_load_or_are_refused_with_a_reason(file in config_file()) {
        let dir = dir_with(Some(&file), None);
        if let Err(error) = load_in(dir.path(), &[]) {
            prop_assert!(!error.to_string().is_empty());
        }
    }
}
