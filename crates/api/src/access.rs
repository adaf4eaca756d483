//! Who may call the API: laravel-echo-server's `clients`, each an app id with a key, and
//! Pusher apps, whose requests are signed with their secret (`signing`).

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path};
use axum::http::{HeaderMap, StatusCode, header};

use crate::signing::{self, SignedRequest};
use crate::{Api, Config, Failure};
use sidecast_core::Core;

/// One API client from the config file's `clients`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Client {
    pub app_id: String,
    pub key: String,
}

/// Who is calling, which decides the shape of the answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Caller {
    /// A laravel-echo-server client, with its key.
    EchoServer,
    /// A Pusher SDK (Laravel's `pusher` and `reverb` drivers), with a signed request.
    Pusher,
}

/// A request as far as access depends on it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Request<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub query: Option<&'a str>,
    pub headers: &'a HeaderMap,
    pub body: &'a [u8],
}

/// Lets the request through if it carries a valid Pusher signature for `app_id`, when that is
/// a Pusher app and the request has an `auth_signature`, or else the key of `app_id`'s
/// laravel-echo-server client. A Pusher app's key is public (every browser has it), so it
/// never counts as a key here. (Laravel's `pusher` driver pointed at a laravel-echo-server
/// client's app id and key, as some apps were, sends a signed request that laravel-echo-server
/// checked by its `auth_key` alone: that still works.)
pub(crate) fn check(
    config: &Config,
    app_id: &str,
    request: Request<'_>,
) -> Result<Caller, Failure> {
    let pusher_app = config.signed_apps.iter().any(|app| app.id == app_id);
    if pusher_app && signing::is_signed(request.query) {
        let signed = SignedRequest {
            method: request.method,
            path: request.path,
            query: request.query.unwrap_or_default(),
            body: request.body,
        };
        signing::verify(&config.signed_apps, app_id, signed)?;
        return Ok(Caller::Pusher);
    }
    check_key(&config.clients, app_id, request.headers, request.query)?;
    Ok(Caller::EchoServer)
}

/// A request to `/apps/{app_id}/…` that may proceed: who sent it, the channels it reaches,
/// and its body (read within the size limit, since a signature covers it).
pub(crate) struct Admitted {
    pub caller: Caller,
    pub target: Core,
    pub body: Bytes,
}

impl FromRequest<Arc<Api>> for Admitted {
    type Rejection = Failure;

    async fn from_request(
        request: axum::extract::Request,
        api: &Arc<Api>,
    ) -> Result<Self, Failure> {
        let (mut parts, body) = request.into_parts();
        let Path(params) = Path::<HashMap<String, String>>::from_request_parts(&mut parts, api)
            .await
            .map_err(|error| Failure::new(StatusCode::BAD_REQUEST, error.body_text()))?;
        let app_id = params.get("app_id").map_or("", String::as_str);
        let limit = api.config.max_body_bytes;
        let body = axum::body::to_bytes(body, limit).await.map_err(|_| {
            Failure::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("the request body is larger than {limit} bytes"),
            )
        })?;
        let request = Request {
            method: parts.method.as_str(),
            path: parts.uri.path(),
            query: parts.uri.query(),
            headers: &parts.headers,
            body: &body,
        };
        let caller = check(&api.config, app_id, request)?;
        let target = match caller {
            Caller::Pusher => api.others.get(app_id).unwrap_or(&api.main),
            Caller::EchoServer => &api.main,
        };
        Ok(Admitted {
            caller,
            target: target.clone(),
            body,
        })
    }
}

/// Checks that the request carries the key of `app_id`'s client, in the `Authorization:
/// Bearer` header or the `auth_key` query parameter. An unknown app and a wrong key get the
/// same answer, so the answer does not tell which app ids exist.
fn check_key(
    clients: &[Client],
    app_id: &str,
    headers: &HeaderMap,
    query: Option<&str>,
) -> Result<(), Failure> {
    let offered = bearer(headers).or_else(|| crate::params::parameter(query, "auth_key"));
    let expected = clients.iter().find(|client| client.app_id == app_id);
    match (expected, offered) {
        // An empty key never matches, even one a client was (wrongly) given.
        (Some(client), Some(offered))
            if !offered.is_empty()
                && constant_time_eq(client.key.as_bytes(), offered.as_bytes()) =>
        {
            Ok(())
        }
        _ => Err(Failure::new(StatusCode::FORBIDDEN, "Unauthorized")),
    }
}

pub fn bearer(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_owned())
}

/// Compares without returning early, so the time taken says nothing about where keys differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    let mut difference = a.len() ^ b.len();
    for (index, byte) in a.iter().enumerate() {
        difference |= usize::from(byte ^ b.get(index).copied().unwrap_or(0));
    }
    difference == 0
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn clients() -> Vec<Client> {
        vec![Client {
            app_id: "app1".into(),
            key: "k1".into(),
        }]
    }

    #[test]
    fn the_key_may_come_as_a_bearer_token_or_as_auth_key() {
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer k1"));
        assert!(check_key(&clients(), "app1", &headers, None).is_ok());
        assert!(
            check_key(
                &clients(),
                "app1",
                &HeaderMap::new(),
                Some("x=1&auth_key=k1")
            )
            .is_ok()
        );
    }

    #[test]
    fn wrong_missing_or_misplaced_keys_are_refused_alike() {
        let none = HeaderMap::new();
        assert!(check_key(&clients(), "app1", &none, None).is_err());
        assert!(check_key(&clients(), "app1", &none, Some("auth_key=k2")).is_err());
        assert!(check_key(&clients(), "app1", &none, Some("auth_key=k1x")).is_err());
        assert!(check_key(&clients(), "app1", &none, Some("auth_key=")).is_err());
        assert!(check_key(&clients(), "app2", &none, Some("auth_key=k1")).is_err());
        assert!(check_key(&[], "app1", &none, Some("auth_key=k1")).is_err());
        let keyless = [Client {
            app_id: "app1".into(),
            key: String::new(),
        }];
        assert!(check_key(&keyless, "app1", &none, Some("auth_key=")).is_err());
        assert!(check_key(&keyless, "app1", &none, Some("x=1")).is_err());
        let mut empty_bearer = HeaderMap::new();
        empty_bearer.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer "));
        assert!(check_key(&keyless, "app1", &empty_bearer, None).is_err());
    }

    #[test]
    fn constant_time_comparison_is_still_a_comparison() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
        assert!(!constant_time_eq(b"", b"a"));
    }
}
