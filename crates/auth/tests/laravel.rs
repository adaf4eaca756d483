//! The authorizer against a stand-in for the Laravel app: a real HTTP server on 127.0.0.1,
//! port 0, that records what it is asked and answers as told.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use sidecast_auth::{Config, LaravelAuthorizer};
use sidecast_core::{
    Access, AuthDenied, AuthRequest, Authorizer, ChannelName, Credentials, SocketId,
};

#[derive(Default)]
struct App {
    asked: Mutex<Vec<(HeaderMap, String)>>,
    busy: AtomicUsize,
    most_at_once: AtomicUsize,
}

/// `/broadcasting/auth` answers by channel name: `private-denied` gets 403, `presence-*` a
/// member, `private-slow` after 300 ms, anything else `true`.
async fn auth(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, String) {
    let form = String::from_utf8_lossy(&body).into_owned();
    let now = app.busy.fetch_add(1, Ordering::SeqCst) + 1;
    app.most_at_once.fetch_max(now, Ordering::SeqCst);
    app.asked.lock().unwrap().push((headers, form.clone()));
    let answer = if form.contains("private-denied") {
        (StatusCode::FORBIDDEN, String::new())
    } else if form.contains("private-slow") {
        tokio::time::sleep(Duration::from_millis(300)).await;
        (StatusCode::OK, "true".into())
    } else if form.contains("presence-") {
        (
            StatusCode::OK,
            r#"{"channel_data":{"user_id":1,"user_info":{"name":"Ann"}}}"#.into(),
        )
    } else {
        (StatusCode::OK, "true".into())
    };
    app.busy.fetch_sub(1, Ordering::SeqCst);
    answer
}

async fn start_app() -> (String, Arc<App>) {
    let app = Arc::new(App::default());
    let router = Router::new()
        .route("/broadcasting/auth", post(auth))
        .with_state(app.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    (base, app)
}

fn authorizer(hosts: Vec<String>, timeout: Duration, max_in_flight: usize) -> LaravelAuthorizer {
    LaravelAuthorizer::new(Config {
        hosts,
        timeout,
        max_in_flight,
        ..Config::default()
    })
    .unwrap()
}

fn request(channel: &str) -> AuthRequest {
    AuthRequest {
        channel: ChannelName::new(channel).unwrap(),
        socket_id: SocketId::new("sock-1").unwrap(),
        credentials: Credentials::Forwarded {
            headers: vec![
                ("X-CSRF-TOKEN".into(), "csrf-abc".into()),
                ("Host".into(), "evil.example".into()),
            ],
            cookie: Some("laravel_session=s3ss10n".into()),
            referer: None,
            address: None,
        },
    }
}

#[tokio::test]
async fn the_app_is_asked_with_the_clients_session_and_headers() {
    let (base, app) = start_app().await;
    let granted = authorizer(vec![base], Duration::from_secs(5), 4)
        .authorize(request("private-orders.1"))
        .await;
    assert!(matches!(granted, Ok(Access::Private)));

    let asked = app.asked.lock().unwrap();
    let (headers, form) = &asked[0];
    assert_eq!(form, "channel_name=private-orders.1&socket_id=sock-1");
    let header = |name: &str| headers.get(name).map(|v| v.to_str().unwrap().to_owned());
    assert_eq!(header("x-csrf-token").as_deref(), Some("csrf-abc"));
    assert_eq!(header("cookie").as_deref(), Some("laravel_session=s3ss10n"));
    assert_eq!(
        header("x-requested-with").as_deref(),
        Some("XMLHttpRequest")
    );
    assert_eq!(
        header("content-type").as_deref(),
        Some("application/x-www-form-urlencoded")
    );
    assert_ne!(header("host").as_deref(), Some("evil.example"));
}

#[tokio::test]
async fn presence_answers_become_members_and_refusals_keep_their_status() {
    let (base, _) = start_app().await;
    let authorizer = authorizer(vec![base], Duration::from_secs(5), 4);
    match authorizer.authorize(request("presence-room.1")).await {
        Ok(Access::Presence(member)) => assert_eq!(
            serde_json::to_string(&member).unwrap(),
            r#"{"user_id":1,"user_info":{"name":"Ann"}}"#
        ),
        other => panic!("expected a presence member, got {other:?}"),
    }
    let denied = authorizer
        .authorize(request("private-denied"))
        .await
        .unwrap_err();
    assert_eq!(denied, AuthDenied::Refused(403));
    assert_eq!(denied.status(), 403);
}

#[tokio::test]
async fn an_unreachable_or_slow_app_fails_with_status_0() {
    let (base, _) = start_app().await;
    let slow = authorizer(vec![base], Duration::from_millis(100), 4)
        .authorize(request("private-slow"))
        .await;
    assert!(
        matches!(&slow, Err(AuthDenied::Failed(reason)) if reason.contains("within 0.1 s")),
        "{slow:?}"
    );

    // A port that was just free: nothing listens on it.
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap();
    let unreachable = authorizer(vec![format!("http://{closed}")], Duration::from_secs(2), 4)
        .authorize(request("private-orders.1"))
        .await
        .unwrap_err();
    assert!(
        matches!(&unreachable, AuthDenied::Failed(_)),
        "{unreachable:?}"
    );
    assert_eq!(unreachable.status(), 0);
}

#[tokio::test]
async fn no_more_than_the_configured_number_of_requests_are_in_flight() {
    let (base, app) = start_app().await;
    let authorizer = authorizer(vec![base], Duration::from_secs(10), 2);
    let requests = (0..8).map(|_| authorizer.authorize(request("private-slow")));
    let answers = spawn_all(requests).await;
    assert!(answers.iter().all(|a| matches!(a, Ok(Access::Private))));
    assert_eq!(app.most_at_once.load(Ordering::SeqCst), 2);
}

/// A request for `channel` from a client at `address`.
fn request_from(channel: &str, address: &str) -> AuthRequest {
    let mut request = request(channel);
    if let Credentials::Forwarded { address: from, .. } = &mut request.credentials {
        *from = Some(address.parse().unwrap());
    }
    request
}

#[tokio::test]
async fn one_address_cannot_take_every_slot_when_addresses_are_bounded() {
    let (base, _app) = start_app().await;
    let authorizer = LaravelAuthorizer::new(Config {
        hosts: vec![base],
        timeout: Duration::from_secs(10),
        max_in_flight: 4,
        max_in_flight_per_address: Some(2),
        ..Config::default()
    })
    .unwrap();
    // Twenty slow subscriptions from one address, then one from another; each records when
    // (in order) it was answered.
    let answered = Arc::new(AtomicUsize::new(0));
    let ask = |address: &'static str| {
        let (authorizer, answered) = (authorizer.clone(), answered.clone());
        tokio::spawn(async move {
            let access = authorizer
                .authorize(request_from("private-slow", address))
                .await;
            (access, answered.fetch_add(1, Ordering::SeqCst))
        })
    };
    let flood: Vec<_> = (0..20).map(|_| ask("192.0.2.1")).collect();
    // Once the flood's first answers are in, the rest of it is in flight or waiting.
    while answered.load(Ordering::SeqCst) == 0 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let (other, place) = ask("192.0.2.2").await.unwrap();
    assert!(matches!(other, Ok(Access::Private)), "{other:?}");
    // The flood holds two slots at a time, so the other client's request is among the first
    // answered; sharing one pool, it would wait behind the whole flood.
    assert!(place < 6, "answered {place}th of 21");
    for request in flood {
        assert!(matches!(request.await.unwrap().0, Ok(Access::Private)));
    }
}

#[tokio::test]
async fn the_referer_picks_among_several_app_hosts() {
    let (first, first_app) = start_app().await;
    let (second, second_app) = start_app().await;
    let authorizer = authorizer(
        vec![first.clone(), second.clone()],
        Duration::from_secs(5),
        4,
    );
    let mut from_second = request("private-orders.1");
    if let Credentials::Forwarded { referer, .. } = &mut from_second.credentials {
        *referer = Some(format!("{second}/dashboard"));
    }
    authorizer.authorize(from_second).await.unwrap();
    authorizer
        .authorize(request("private-orders.1"))
        .await
        .unwrap();
    let counts: HashMap<&str, usize> = HashMap::from([
        ("first", first_app.asked.lock().unwrap().len()),
        ("second", second_app.asked.lock().unwrap().len()),
    ]);
    assert_eq!(counts, HashMap::from([("first", 1), ("second", 1)]));
}

/// Spawns every future, so they run at the same time, and collects their outputs in order.
async fn spawn_all<F>(futures: impl Iterator<Item = F>) -> Vec<F::Output>
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    let handles: Vec<_> = futures.map(tokio::spawn).collect();
    let mut outputs = Vec::new();
    for handle in handles {
        outputs.push(handle.await.unwrap());
    }
    outputs
}
