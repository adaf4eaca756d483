//! Pusher's documented worked example (app 3, key 278d425bdf160c739803, secret
//! 7ad3773142a6692b25b8, timestamp 1353088179), with the digests computed independently.

use super::*;

const NOW: u64 = 1_353_088_179;
const BODY: &[u8] = br#"{"name":"foo","channels":["project-3"],"data":"{\"some\":\"data\"}"}"#;
const POST_QUERY: &str = "auth_key=278d425bdf160c739803&auth_timestamp=1353088179&auth_version=1.0&body_md5=ec365a775a4cd0599faeb73354201b6f&auth_signature=da454824c97ba181a32ccc17a72625ba02771f50b50e1e7430e47a1f3f457e6c";

fn apps() -> Vec<SignedApp> {
    vec![SignedApp {
        id: "3".into(),
        key: "278d425bdf160c739803".into(),
        secret: "7ad3773142a6692b25b8".into(),
    }]
}

fn post(query: &str, body: &[u8]) -> SignedRequest<'static> {
    SignedRequest {
        method: "POST",
        path: "/apps/3/events",
        query: Box::leak(query.to_owned().into_boxed_str()),
        body: Box::leak(body.to_vec().into_boxed_slice()),
    }
}

fn refusal(result: Result<(), Failure>) -> String {
    let Failure(status, message) = result.expect_err("refused");
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    message
}

#[test]
fn the_worked_examples_verify() {
    assert_eq!(hex(&Md5::digest(BODY)), "ec365a775a4cd0599faeb73354201b6f");
    assert!(verify_at(&apps(), "3", post(POST_QUERY, BODY), NOW).is_ok());
    // Percent-encoded values are signed decoded, as Guzzle sends them.
    let get = SignedRequest {
        method: "GET",
        path: "/apps/3/channels",
        query: "auth_key=278d425bdf160c739803&auth_timestamp=1353088179&auth_version=1.0&filter_by_prefix=presence-&info=user_count&auth_signature=16819168891cb5dfd72b5c7a5d3d602605b26c6ba1930033b5e2eeeb65010291",
        body: b"",
    };
    assert!(verify_at(&apps(), "3", get, NOW).is_ok());
    let encoded = SignedRequest {
        query: "auth_key=278d425bdf160c739803&auth_timestamp=1353088179&auth_version=1.0&filter_by_prefix=presence%2D&info=user%5Fcount&auth_signature=16819168891cb5dfd72b5c7a5d3d602605b26c6ba1930033b5e2eeeb65010291",
        ..get
    };
    assert!(verify_at(&apps(), "3", encoded, NOW).is_ok());
}

#[test]
fn a_tampered_body_a_wrong_secret_or_path_is_refused() {
    let tampered = br#"{"name":"foo","channels":["project-4"],"data":"{\"some\":\"data\"}"}"#;
    assert!(refusal(verify_at(&apps(), "3", post(POST_QUERY, tampered), NOW)).contains("body_md5"));
    let mut other = apps();
    other[0].secret = "guessed".into();
    assert!(
        refusal(verify_at(&other, "3", post(POST_QUERY, BODY), NOW)).contains("Invalid signature")
    );
    let batch = SignedRequest {
        path: "/apps/3/batch_events",
        ..post(POST_QUERY, BODY)
    };
    assert!(refusal(verify_at(&apps(), "3", batch, NOW)).contains("Invalid signature"));
    assert!(
        refusal(verify_at(&apps(), "4", post(POST_QUERY, BODY), NOW)).contains("unknown app id")
    );
}

#[test]
fn a_stale_or_future_timestamp_is_refused_within_600_seconds_it_is_not() {
    assert!(verify_at(&apps(), "3", post(POST_QUERY, BODY), NOW + 600).is_ok());
    assert!(verify_at(&apps(), "3", post(POST_QUERY, BODY), NOW - 600).is_ok());
    assert!(
        refusal(verify_at(&apps(), "3", post(POST_QUERY, BODY), NOW + 601))
            .contains("more than 600 s")
    );
    assert!(
        refusal(verify_at(&apps(), "3", post(POST_QUERY, BODY), NOW - 601))
            .contains("more than 600 s")
    );
}

#[test]
fn the_public_key_alone_or_a_malformed_query_is_refused() {
    for (query, reason) in [
        ("auth_key=278d425bdf160c739803", "no auth_signature"),
        ("auth_signature=00&auth_key=other", "not this app's key"),
        (
            "auth_signature=00&auth_key=278d425bdf160c739803&auth_timestamp=soon",
            "auth_timestamp",
        ),
        (
            "auth_signature=00&auth_key=278d425bdf160c739803&auth_timestamp=1353088179",
            "no auth_version",
        ),
        (
            "auth_signature=00&auth_key=278d425bdf160c739803&auth_timestamp=1353088179&auth_version=2.0",
            "auth_version \"2.0\"",
        ),
        (
            "auth_signature=zz&auth_key=278d425bdf160c739803&auth_timestamp=1353088179&auth_version=1.0",
            "not hexadecimal",
        ),
        ("auth_signature=00&auth_signature=00", "given twice"),
        (
            "AUTH_KEY=278d425bdf160c739803&auth_key=x&auth_signature=00",
            "given twice",
        ),
    ] {
        let request = SignedRequest {
            method: "GET",
            path: "/apps/3/channels",
            query,
            body: b"",
        };
        let message = refusal(verify_at(&apps(), "3", request, NOW));
        assert!(message.contains(reason), "{query}: {message}");
    }
}

#[test]
fn signed_requests_are_told_from_laravel_echo_server_ones() {
    assert!(is_signed(Some("auth_key=k&auth_signature=ab")));
    assert!(!is_signed(Some("auth_key=k")));
    assert!(!is_signed(None));
}
