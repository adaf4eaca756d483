//! The HTTP upgrade to a WebSocket at `/app/{key}`, and the refusals the Pusher protocol
//! makes on a connection that has just opened (an unknown app, an origin that is not allowed,
//! a protocol version it does not speak): sent as `pusher:error` and a close frame with the
//! same code, which pusher-js acts on.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use hyper_util::rt::TokioIo;
use sha1::{Digest, Sha1};

use crate::connection;
use crate::{Apps, FrontEnd};

/// RFC 6455 §1.3: the server proves it read the key by hashing it with this.
const ACCEPT_GUID: &str = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// A connection that is refused as soon as it opens.
#[derive(Debug, Clone, Copy)]
pub struct Refusal {
    pub code: u16,
    pub message: &'static str,
}

pub async fn upgrade(
    State(apps): State<Arc<Apps>>,
    Path(key): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    mut request: Request,
) -> Response {
    let accept = match accept_key(request.headers()) {
        Ok(accept) => accept,
        Err(refused) => return refused.into_response(),
    };
    let admitted = admit(apps.get(&key), &query, request.headers());
    if let Err(refusal) = admitted {
        tracing::info!(%key, code = refusal.code, reason = refusal.message, "Pusher connection refused");
    }
    let upgrading = hyper::upgrade::on(&mut request);
    tokio::spawn(async move {
        let io = match upgrading.await {
            Ok(upgraded) => TokioIo::new(upgraded),
            Err(error) => return tracing::debug!(%error, "WebSocket upgrade failed"),
        };
        match admitted {
            Ok(front_end) => connection::run(front_end, io).await,
            Err(refusal) => connection::refuse(io, refusal).await,
        }
    });
    (
        StatusCode::SWITCHING_PROTOCOLS,
        [
            (header::UPGRADE, HeaderValue::from_static("websocket")),
            (header::CONNECTION, HeaderValue::from_static("Upgrade")),
            (
                header::SEC_WEBSOCKET_ACCEPT,
                HeaderValue::from_str(&accept).expect("base64 is a valid header value"),
            ),
        ],
    )
        .into_response()
}

/// A request to `/app/{key}` that is not a WebSocket upgrade this server can accept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NotAnUpgrade {
    NotWebSocket,
    Version,
    Key,
}

impl IntoResponse for NotAnUpgrade {
    fn into_response(self) -> Response {
        match self {
            NotAnUpgrade::NotWebSocket => (
                StatusCode::UPGRADE_REQUIRED,
                [(header::UPGRADE, "websocket")],
                "This is a Pusher protocol WebSocket endpoint.\n",
            )
                .into_response(),
            NotAnUpgrade::Version => (
                StatusCode::UPGRADE_REQUIRED,
                [(header::SEC_WEBSOCKET_VERSION, "13")],
                "Only WebSocket version 13 is supported.\n",
            )
                .into_response(),
            NotAnUpgrade::Key => (
                StatusCode::BAD_REQUEST,
                "Missing or invalid Sec-WebSocket-Key.\n",
            )
                .into_response(),
        }
    }
}

/// Checks that the request asks for a WebSocket and computes `Sec-WebSocket-Accept`.
fn accept_key(headers: &HeaderMap) -> Result<String, NotAnUpgrade> {
    let has = |name: header::HeaderName, token: &str| {
        headers.get_all(name).iter().any(|value| {
            value
                .to_str()
                .unwrap_or_default()
                .split(',')
                .any(|part| part.trim().eq_ignore_ascii_case(token))
        })
    };
    if !has(header::UPGRADE, "websocket") || !has(header::CONNECTION, "upgrade") {
        return Err(NotAnUpgrade::NotWebSocket);
    }
    if headers
        .get(header::SEC_WEBSOCKET_VERSION)
        .is_none_or(|version| version != "13")
    {
        return Err(NotAnUpgrade::Version);
    }
    let key = headers
        .get(header::SEC_WEBSOCKET_KEY)
        .and_then(|key| key.to_str().ok())
        .filter(|key| BASE64.decode(key).is_ok_and(|bytes| bytes.len() == 16))
        .ok_or(NotAnUpgrade::Key)?;
    Ok(accept_for(key))
}

fn accept_for(key: &str) -> String {
    let mut sha1 = Sha1::new();
    sha1.update(key.as_bytes());
    sha1.update(ACCEPT_GUID.as_bytes());
    BASE64.encode(sha1.finalize())
}

/// The app whose key the client named, or why this connection cannot be served, in
/// pusher-js's terms.
fn admit(
    front_end: Option<&Arc<FrontEnd>>,
    query: &HashMap<String, String>,
    headers: &HeaderMap,
) -> Result<Arc<FrontEnd>, Refusal> {
    let Some(front_end) = front_end else {
        return Err(Refusal {
            code: 4001,
            message: "Application does not exist",
        });
    };
    let origin = headers
        .get(header::ORIGIN)
        .map(|value| value.to_str().unwrap_or("(not text)"));
    if !front_end.config.origins.allows(origin) {
        return Err(Refusal {
            code: 4009,
            message: "Origin not allowed",
        });
    }
    // Like Reverb, a missing version is accepted; pusher-js always sends 7.
    match query.get("protocol").map(|version| version.parse::<u32>()) {
        None | Some(Ok(5..=7)) => Ok(front_end.clone()),
        Some(Ok(_)) => Err(Refusal {
            code: 4007,
            message: "Unsupported protocol version",
        }),
        Some(Err(_)) => Err(Refusal {
            code: 4006,
            message: "Invalid version string format",
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_accept_key_is_the_rfc_example() {
        assert_eq!(
            accept_for("dGhlIHNhbXBsZSBub25jZQ=="),
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        );
    }

    #[test]
    fn requests_that_are_not_websocket_upgrades_are_answered_over_http() {
        let mut headers = HeaderMap::new();
        assert_eq!(accept_key(&headers), Err(NotAnUpgrade::NotWebSocket));
        headers.insert(header::UPGRADE, HeaderValue::from_static("WebSocket"));
        headers.insert(
            header::CONNECTION,
            HeaderValue::from_static("keep-alive, Upgrade"),
        );
        headers.insert(header::SEC_WEBSOCKET_VERSION, HeaderValue::from_static("8"));
        assert_eq!(accept_key(&headers), Err(NotAnUpgrade::Version));
        assert_eq!(
            NotAnUpgrade::Version.into_response().status(),
            StatusCode::UPGRADE_REQUIRED
        );
        headers.insert(
            header::SEC_WEBSOCKET_VERSION,
            HeaderValue::from_static("13"),
        );
        assert_eq!(accept_key(&headers), Err(NotAnUpgrade::Key));
        headers.insert(
            header::SEC_WEBSOCKET_KEY,
            HeaderValue::from_static("c2hvcnQ="),
        );
        assert_eq!(accept_key(&headers), Err(NotAnUpgrade::Key));
        assert_eq!(
            NotAnUpgrade::Key.into_response().status(),
            StatusCode::BAD_REQUEST
        );
        headers.insert(
            header::SEC_WEBSOCKET_KEY,
            HeaderValue::from_static("dGhlIHNhbXBsZSBub25jZQ=="),
        );
        assert_eq!(
            accept_key(&headers).unwrap(),
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        );
    }
}
