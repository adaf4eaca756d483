//! The API as a client sees it: requests through the router, answers checked to the byte.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::value::RawValue;
use serde_json::{Value, json};
use sidecast_api::{Client, Config, Cors, SignedApp, router};
use sidecast_core::{
    Access, Census, ChannelInfo, ChannelName, Core, Gathered, Gathering, Hub, Member, Message,
    Notice, SocketId, Subscriber, Totals, Undelivered,
};
use tower::ServiceExt;

#[derive(Default)]
struct Recorder(Mutex<Vec<String>>);

impl Subscriber for Recorder {
    fn deliver(&self, message: Message<'_>) -> Result<(), Undelivered> {
        let line = format!(
            "{} {} {}",
            message.event,
            message.channel,
            message.payload.as_str()
        );
        self.0.lock().unwrap().push(line);
        Ok(())
    }

    fn notify(&self, _: Notice<'_>) -> Result<(), Undelivered> {
        Ok(())
    }
}

fn config(cors: Option<Cors>) -> Config {
    Config {
        clients: vec![Client {
            app_id: "app1".into(),
            key: "secret-key".into(),
        }],
        signed_apps: vec![SignedApp {
            id: "pusher-app".into(),
            key: "public-key".into(),
            secret: "app-secret".into(),
        }],
        cors,
        max_body_bytes: 1024,
    }
}

async fn hub_with_subscribers() -> (Arc<Hub>, Arc<Recorder>) {
    let hub = Arc::new(Hub::new());
    let recorder = Arc::new(Recorder::default());
    for (socket, channel, access) in [
        ("s1", "orders", Access::Public),
        ("s2", "orders", Access::Public),
        ("s3", "presence-room", Access::Presence(member(7, "Ann"))),
        ("s4", "presence-room", Access::Presence(member(7, "Ann"))),
    ] {
        let id = SocketId::new(socket).unwrap();
        hub.connect(id.clone(), recorder.clone());
        hub.subscribe(&id, ChannelName::new(channel).unwrap(), access)
            .await
            .unwrap();
    }
    (hub, recorder)
}

fn member(id: u64, name: &str) -> Member {
    Member::new(
        id.into(),
        RawValue::from_string(format!("{{\"name\":\"{name}\"}}")).unwrap(),
    )
    .unwrap()
}

async fn call(
    hub: Arc<Hub>,
    config: Config,
    request: Request<Body>,
) -> (StatusCode, Value, axum::http::HeaderMap) {
    call_with(hub.clone(), hub, config, request).await
}

async fn call_with(
    hub: Arc<Hub>,
    census: Arc<dyn Census>,
    config: Config,
    request: Request<Body>,
) -> (StatusCode, Value, axum::http::HeaderMap) {
    let main = Core { hub, census };
    answer_of(router(main, HashMap::new(), config), request).await
}

async fn answer_of(
    router: axum::Router,
    request: Request<Body>,
) -> (StatusCode, Value, axum::http::HeaderMap) {
    let response = router.oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    let body = serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()));
    (status, body, headers)
}

fn get(uri: &str) -> Request<Body> {
    Request::get(uri).body(Body::empty()).unwrap()
}

fn post(uri: &str, body: &str, bearer: Option<&str>) -> Request<Body> {
    let mut request = Request::post(uri).header("content-type", "application/json");
    if let Some(key) = bearer {
        request = request.header("authorization", format!("Bearer {key}"));
    }
    request.body(Body::from(body.to_owned())).unwrap()
}

#[tokio::test]
async fn publishing_needs_the_apps_key_and_delivers_to_the_channel() {
    let (hub, recorder) = hub_with_subscribers().await;
    let body = r#"{"channel":"orders","name":"Shipped","data":{"id":1},"socket_id":"s1"}"#;

    let (status, answer, _) = call(
        hub.clone(),
        config(None),
        post("/apps/app1/events", body, Some("secret-key")),
    )
    .await;
    assert_eq!((status, answer), (StatusCode::OK, json!({"message": "ok"})));
    assert_eq!(
        *recorder.0.lock().unwrap(),
        vec![r#"Shipped orders {"id":1}"#],
        "s1 excluded (toOthers)"
    );

    let query = "/apps/app1/events?auth_key=secret-key&auth_timestamp=1&auth_signature=x";
    let (status, _, _) = call(hub.clone(), config(None), post(query, body, None)).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "auth_key, as Laravel's pusher driver sends it"
    );

    for (uri, key) in [
        ("/apps/app1/events", Some("wrong")),
        ("/apps/app1/events", None),
        ("/apps/app2/events", Some("secret-key")),
    ] {
        let (status, answer, _) = call(hub.clone(), config(None), post(uri, body, key)).await;
        assert_eq!(
            (status, answer),
            (StatusCode::FORBIDDEN, json!({"error": "Unauthorized"})),
            "{uri} {key:?}"
        );
    }
    assert_eq!(
        recorder.0.lock().unwrap().len(),
        2,
        "refused requests published nothing"
    );
}

#[tokio::test]
async fn malformed_and_oversized_bodies_are_refused_with_a_reason() {
    let (hub, recorder) = hub_with_subscribers().await;
    let (status, answer, _) = call(
        hub.clone(),
        config(None),
        post("/apps/app1/events", "{oops", Some("secret-key")),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        answer["error"]
            .as_str()
            .unwrap()
            .starts_with("the body is not JSON")
    );

    let (status, answer, _) = call(
        hub.clone(),
        config(None),
        post(
            "/apps/app1/events",
            r#"{"channel":"orders"}"#,
            Some("secret-key"),
        ),
    )
    .await;
    assert_eq!(
        (status, answer),
        (
            StatusCode::BAD_REQUEST,
            json!({"error": "Event must include channel, event name and data"})
        )
    );

    let big = format!(
        r#"{{"channel":"orders","name":"E","data":"{}"}}"#,
        "x".repeat(2000)
    );
    let (status, answer, _) = call(
        hub.clone(),
        config(None),
        post("/apps/app1/events", &big, Some("secret-key")),
    )
    .await;
    assert_eq!(
        (status, answer),
        (
            StatusCode::PAYLOAD_TOO_LARGE,
            json!({"error": "the request body is larger than 1024 bytes"})
        )
    );
    assert!(recorder.0.lock().unwrap().is_empty());
}

#[tokio::test]
async fn channels_can_be_listed_and_inspected() {
    let (hub, _) = hub_with_subscribers().await;
    let key = "?auth_key=secret-key";

    let (status, answer, _) = call(
        hub.clone(),
        config(None),
        get(&format!("/apps/app1/channels{key}")),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        answer,
        json!({"channels": {
            "orders": {"subscription_count": 2, "occupied": true},
            "presence-room": {"subscription_count": 2, "occupied": true},
        }})
    );

    let (_, answer, _) = call(
        hub.clone(),
        config(None),
        get(&format!(
            "/apps/app1/channels{key}&filter_by_prefix=presence-"
        )),
    )
    .await;
    assert_eq!(answer["channels"].as_object().unwrap().len(), 1);

    let (_, answer, _) = call(
        hub.clone(),
        config(None),
        get(&format!("/apps/app1/channels/presence-room{key}")),
    )
    .await;
    assert_eq!(
        answer,
        json!({"subscription_count": 2, "occupied": true, "user_count": 1})
    );

    let (_, answer, _) = call(
        hub.clone(),
        config(None),
        get(&format!("/apps/app1/channels/empty{key}")),
    )
    .await;
    assert_eq!(answer, json!({"subscription_count": 0, "occupied": false}));

    let (_, answer, _) = call(
        hub.clone(),
        config(None),
        get(&format!("/apps/app1/channels/presence-room/users{key}")),
    )
    .await;
    assert_eq!(
        answer,
        json!({"users": [{"id": 7, "user_info": {"name": "Ann"}}]})
    );

    let (status, _, _) = call(
        hub.clone(),
        config(None),
        get(&format!("/apps/app1/channels/orders/users{key}")),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    let (status, answer, _) = call(
        hub.clone(),
        config(None),
        get(&format!("/apps/app1/status{key}")),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(answer["subscription_count"], json!(4));
    assert!(answer["memory_usage"]["rss"].as_u64().unwrap() > 0);

    let (status, _, _) = call(hub.clone(), config(None), get("/apps/app1/channels")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, body, _) = call(hub, config(None), get("/")).await;
    assert_eq!((status, body), (StatusCode::OK, Value::String("OK".into())));
}

#[tokio::test]
async fn cors_headers_come_from_api_origin_allow() {
    let (hub, _) = hub_with_subscribers().await;
    let cors = Cors {
        allow_origin: "http://app.test".into(),
        allow_methods: "GET, POST".into(),
        allow_headers: "Authorization, Content-Type".into(),
    };
    let preflight = Request::options("/apps/app1/events")
        .body(Body::empty())
        .unwrap();
    let (status, _, headers) = call(hub.clone(), config(Some(cors.clone())), preflight).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(headers["access-control-allow-origin"], "http://app.test");
    assert_eq!(headers["access-control-allow-methods"], "GET, POST");

    let (_, _, headers) = call(
        hub.clone(),
        config(Some(cors)),
        get("/apps/app1/status?auth_key=secret-key"),
    )
    .await;
    assert_eq!(
        headers["access-control-allow-headers"],
        "Authorization, Content-Type"
    );

    let (_, _, headers) = call(
        hub,
        config(None),
        get("/apps/app1/status?auth_key=secret-key"),
    )
    .await;
    assert!(headers.get("access-control-allow-origin").is_none());
}

/// A cluster in which one of the nodes did not answer: counts from the others only.
struct OneNodeSilent;

fn partial<T: Send + 'static>(value: T) -> Gathering<T> {
    Box::pin(std::future::ready(Gathered {
        value,
        missing_nodes: 1,
    }))
}

impl Census for OneNodeSilent {
    fn channels(&self, _: &str) -> Gathering<Vec<(ChannelName, ChannelInfo)>> {
        let info = ChannelInfo {
            subscription_count: 3,
            user_count: None,
        };
        partial(vec![(ChannelName::new("orders").unwrap(), info)])
    }

    fn channel(&self, _: &ChannelName) -> Gathering<ChannelInfo> {
        partial(ChannelInfo::default())
    }

    fn members(&self, _: &ChannelName) -> Gathering<Vec<Member>> {
        partial(vec![member(7, "Ann")])
    }

    fn totals(&self) -> Gathering<Totals> {
        partial(Totals::default())
    }
}

#[tokio::test]
async fn answers_lacking_a_nodes_part_say_so_in_a_header_and_keep_their_body() {
    let hub = Arc::new(Hub::new());
    let key = "?auth_key=secret-key";
    for (path, body) in [
        (
            "/apps/app1/channels",
            json!({"channels": {"orders": {"subscription_count": 3, "occupied": true}}}),
        ),
        (
            "/apps/app1/channels/presence-room/users",
            json!({"users": [{"id": 7, "user_info": {"name": "Ann"}}]}),
        ),
        (
            "/apps/app1/channels/presence-room",
            json!({"subscription_count": 0, "occupied": false, "user_count": 0}),
        ),
    ] {
        let (status, answer, headers) = call_with(
            hub.clone(),
            Arc::new(OneNodeSilent),
            config(None),
            get(&format!("{path}{key}")),
        )
        .await;
        assert_eq!((status, answer), (StatusCode::OK, body), "{path}");
        assert_eq!(headers["x-sidecast-missing-nodes"], "1", "{path}");
    }
    let (_, status, headers) = call_with(
        hub.clone(),
        Arc::new(OneNodeSilent),
        config(None),
        get(&format!("/apps/app1/status{key}")),
    )
    .await;
    assert_eq!(status["subscription_count"], 0);
    assert_eq!(headers["x-sidecast-missing-nodes"], "1");

    // Counts asked for with a publication are gathered the same way, and said to be partial.
    for (path, body, answer) in [
        (
            "/apps/pusher-app/events",
            r#"{"name":"E","data":"1","channel":"orders","info":"subscription_count"}"#,
            json!({"channels": {"orders": {"subscription_count": 0}}}),
        ),
        (
            "/apps/pusher-app/batch_events",
            r#"{"batch":[{"name":"E","data":"1","channel":"orders","info":"subscription_count"}]}"#,
            json!({"batch": [{"subscription_count": 0}]}),
        ),
    ] {
        let request = signed("POST", path, &[], body, "app-secret");
        let (_, given, headers) =
            call_with(hub.clone(), Arc::new(OneNodeSilent), config(None), request).await;
        assert_eq!(given, answer, "{path}");
        assert_eq!(headers["x-sidecast-missing-nodes"], "1", "{path}");
    }

    let (_, _, complete) = call(hub, config(None), get(&format!("/apps/app1/channels{key}"))).await;
    assert!(!complete.contains_key("x-sidecast-missing-nodes"));
}

/// A request signed as pusher-http-php signs it for the app `public-key`, with this machine's
/// clock.
fn signed(
    method: &str,
    path: &str,
    params: &[(&str, &str)],
    body: &str,
    secret: &str,
) -> Request<Body> {
    signed_for("public-key", method, path, params, body, secret)
}

fn signed_for(
    key: &str,
    method: &str,
    path: &str,
    params: &[(&str, &str)],
    body: &str,
    secret: &str,
) -> Request<Body> {
    use hmac::{Hmac, KeyInit, Mac};
    use md5::{Digest, Md5};
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        .to_string();
    let mut all: Vec<(String, String)> = vec![
        ("auth_key".into(), key.into()),
        ("auth_timestamp".into(), now),
        ("auth_version".into(), "1.0".into()),
    ];
    if !body.is_empty() {
        let digest: String = Md5::digest(body.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        all.push(("body_md5".into(), digest));
    }
    all.extend(params.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    all.sort();
    let query: Vec<String> = all.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let query = query.join("&");
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{method}\n{path}\n{query}").as_bytes());
    let signature: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let uri = format!(
        "{path}?{}&auth_signature={signature}",
        query.replace(',', "%2C")
    );
    Request::builder()
        .method(method)
        .uri(uri)
        .header("content-type", "application/json")
        .body(Body::from(body.to_owned()))
        .unwrap()
}

#[tokio::test]
async fn pusher_signed_requests_publish_and_query_in_pushers_shapes() {
    let (hub, recorder) = hub_with_subscribers().await;
    let body = r#"{"name":"Shipped","data":"{\"id\":3}","channels":["orders"]}"#;
    let request = signed("POST", "/apps/pusher-app/events", &[], body, "app-secret");
    let (status, answer, _) = call(hub.clone(), config(None), request).await;
    assert_eq!((status, answer), (StatusCode::OK, json!({})));
    assert_eq!(recorder.0.lock().unwrap().len(), 2);

    let batch = r#"{"batch":[{"channel":"orders","name":"A","data":"1"},{"channel":"presence-room","name":"B","data":"2"}]}"#;
    let request = signed(
        "POST",
        "/apps/pusher-app/batch_events",
        &[],
        batch,
        "app-secret",
    );
    let (status, answer, _) = call(hub.clone(), config(None), request).await;
    assert_eq!((status, answer), (StatusCode::OK, json!({})));
    assert_eq!(recorder.0.lock().unwrap().len(), 6);

    // Asked for, the channels' counts come back after publishing; user counts of presence
    // channels only.
    let body = r#"{"name":"C","data":"3","channels":["orders","presence-room"],"info":"user_count,subscription_count"}"#;
    let request = signed("POST", "/apps/pusher-app/events", &[], body, "app-secret");
    let (_, answer, _) = call(hub.clone(), config(None), request).await;
    assert_eq!(
        answer,
        json!({"channels": {
            "orders": {"subscription_count": 2},
            "presence-room": {"subscription_count": 2, "user_count": 1},
        }})
    );
    let batch = r#"{"batch":[{"channel":"orders","name":"D","data":"4"},{"channel":"presence-room","name":"E","data":"5","info":"user_count"}]}"#;
    let request = signed(
        "POST",
        "/apps/pusher-app/batch_events",
        &[],
        batch,
        "app-secret",
    );
    let (_, answer, _) = call(hub.clone(), config(None), request).await;
    assert_eq!(answer, json!({"batch": [{}, {"user_count": 1}]}));
    let delivered = recorder.0.lock().unwrap().len();
    let body = r#"{"name":"F","data":"6","channel":"orders","info":["user_count"]}"#;
    let request = signed("POST", "/apps/pusher-app/events", &[], body, "app-secret");
    let (status, answer, _) = call(hub.clone(), config(None), request).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    assert_eq!(
        recorder.0.lock().unwrap().len(),
        delivered,
        "nothing published"
    );

    let request = signed(
        "GET",
        "/apps/pusher-app/channels/presence-room",
        &[("info", "user_count,subscription_count")],
        "",
        "app-secret",
    );
    let (_, answer, _) = call(hub.clone(), config(None), request).await;
    assert_eq!(
        answer,
        json!({"occupied": true, "subscription_count": 2, "user_count": 1})
    );
    let request = signed(
        "GET",
        "/apps/pusher-app/channels",
        &[("filter_by_prefix", "presence-"), ("info", "user_count")],
        "",
        "app-secret",
    );
    let (_, answer, _) = call(hub.clone(), config(None), request).await;
    assert_eq!(
        answer,
        json!({"channels": {"presence-room": {"user_count": 1}}})
    );
    let request = signed(
        "GET",
        "/apps/pusher-app/channels/presence-room/users",
        &[],
        "",
        "app-secret",
    );
    let (_, answer, _) = call(hub.clone(), config(None), request).await;
    assert_eq!(answer, json!({"users": [{"id": "7"}]}));
    let request = signed(
        "POST",
        "/apps/pusher-app/users/7/terminate_connections",
        &[],
        "{}",
        "app-secret",
    );
    let (status, answer, _) = call(hub, config(None), request).await;
    assert_eq!((status, answer), (StatusCode::OK, json!({})));
}

#[tokio::test]
async fn a_wrong_secret_a_tampered_body_or_the_public_key_alone_publishes_nothing() {
    let (hub, recorder) = hub_with_subscribers().await;
    let body = r#"{"name":"Shipped","data":"{}","channel":"orders"}"#;
    let request = signed("POST", "/apps/pusher-app/events", &[], body, "guessed");
    let (status, answer, _) = call(hub.clone(), config(None), request).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(
        answer["error"]
            .as_str()
            .unwrap()
            .contains("Invalid signature")
    );

    let mut request = signed("POST", "/apps/pusher-app/events", &[], body, "app-secret");
    *request.body_mut() = Body::from(body.replace("orders", "private-x"));
    let (status, answer, _) = call(hub.clone(), config(None), request).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(answer["error"].as_str().unwrap().contains("body_md5"));

    // The Pusher key is in every browser: as a key it opens nothing.
    let (status, _, _) = call(
        hub.clone(),
        config(None),
        post("/apps/pusher-app/events", body, Some("public-key")),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, _) = call(
        hub.clone(),
        config(None),
        post("/apps/pusher-app/events?auth_key=public-key", body, None),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // laravel-echo-server clients have no batch or terminate.
    let (status, _, _) = call(
        hub.clone(),
        config(None),
        post(
            "/apps/app1/batch_events",
            r#"{"batch":[]}"#,
            Some("secret-key"),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // Eleven events are one too many for a batch; nothing of it is published.
    let events: Vec<String> = (0..11)
        .map(|i| format!(r#"{{"channel":"orders","name":"E{i}","data":"{{}}"}}"#))
        .collect();
    let batch = format!(r#"{{"batch":[{}]}}"#, events.join(","));
    let request = signed(
        "POST",
        "/apps/pusher-app/batch_events",
        &[],
        &batch,
        "app-secret",
    );
    let (status, answer, _) = call(hub, config(None), request).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    assert!(recorder.0.lock().unwrap().is_empty());
}

#[tokio::test]
async fn info_cache_shows_a_cache_channels_last_event() {
    let hub = Arc::new(Hub::new());
    let query = |channel: &str| {
        let path = format!("/apps/pusher-app/channels/{channel}");
        signed("GET", &path, &[("info", "cache")], "", "app-secret")
    };
    let (_, answer, _) = call(hub.clone(), config(None), query("cache-prices")).await;
    assert_eq!(answer, json!({"occupied": false}), "nothing published yet");

    let body = r#"{"name":"Priced","data":"{\"eur\":2}","channel":"cache-prices"}"#;
    let request = signed("POST", "/apps/pusher-app/events", &[], body, "app-secret");
    call(hub.clone(), config(None), request).await;
    let (_, answer, _) = call(hub.clone(), config(None), query("cache-prices")).await;
    let ttl = answer["cache"]["ttl"].as_u64().unwrap();
    assert!((3590..=3600).contains(&ttl), "{answer}");
    assert_eq!(
        answer,
        json!({"occupied": false, "cache": {"event": "Priced", "data": "{\"eur\":2}", "ttl": ttl}})
    );

    // Only cache channels keep their last event.
    let body = r#"{"name":"Priced","data":"{}","channel":"prices"}"#;
    let request = signed("POST", "/apps/pusher-app/events", &[], body, "app-secret");
    call(hub.clone(), config(None), request).await;
    let (_, answer, _) = call(hub, config(None), query("prices")).await;
    assert_eq!(answer, json!({"occupied": false}));
}

#[tokio::test]
async fn each_pusher_app_reaches_its_own_channels_only() {
    let (main, main_recorder) = hub_with_subscribers().await;
    let other = Arc::new(Hub::new());
    let other_recorder = Arc::new(Recorder::default());
    let socket = SocketId::new("o1").unwrap();
    other.connect(socket.clone(), other_recorder.clone());
    other
        .subscribe(&socket, ChannelName::new("orders").unwrap(), Access::Public)
        .await
        .unwrap();
    let mut config = config(None);
    config.signed_apps.push(SignedApp {
        id: "second".into(),
        key: "second-key".into(),
        secret: "second-secret".into(),
    });
    let others = HashMap::from([("second".to_owned(), Core::single(other.clone()))]);
    let router = || router(Core::single(main.clone()), others.clone(), config.clone());
    let published = |recorder: &Recorder| recorder.0.lock().unwrap().len();
    let body = r#"{"name":"Shipped","data":"{}","channel":"orders"}"#;
    let to_second = |secret| {
        signed_for(
            "second-key",
            "POST",
            "/apps/second/events",
            &[],
            body,
            secret,
        )
    };

    assert_eq!(
        answer_of(router(), to_second("second-secret")).await.0,
        StatusCode::OK
    );
    assert_eq!(
        (published(&main_recorder), published(&other_recorder)),
        (0, 1)
    );

    let request = signed("POST", "/apps/pusher-app/events", &[], body, "app-secret");
    assert_eq!(answer_of(router(), request).await.0, StatusCode::OK);
    let request = post("/apps/app1/events", body, Some("secret-key"));
    assert_eq!(answer_of(router(), request).await.0, StatusCode::OK);
    assert_eq!(
        (published(&main_recorder), published(&other_recorder)),
        (4, 1),
        "the first app and laravel-echo-server's clients share the main channels"
    );

    // One app's secret does not sign for another.
    assert_eq!(
        answer_of(router(), to_second("app-secret")).await.0,
        StatusCode::UNAUTHORIZED
    );
    let request = signed("POST", "/apps/second/events", &[], body, "app-secret");
    assert_eq!(
        answer_of(router(), request).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(published(&other_recorder), 1);

    let request = signed_for(
        "second-key",
        "GET",
        "/apps/second/channels",
        &[],
        "",
        "second-secret",
    );
    let (_, answer, _) = answer_of(router(), request).await;
    assert_eq!(answer, json!({"channels": {"orders": {}}}));
}
