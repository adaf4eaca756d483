//! The HTTP upgrade to a WebSocket (RFC 6455 §4.2): [`check`] reads the request, then
//! [`switch`] answers 101 and runs the connection on the upgraded stream. Between the two, a
//! front end decides whether to admit the client: a WebSocket refusal is sent over the
//! WebSocket, where the client's library can read it.

use std::future::Future;

use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use hyper::upgrade::Upgraded;
use hyper_util::rt::TokioIo;
use sha1::{Digest, Sha1};

/// The upgraded connection.
pub type Stream = TokioIo<Upgraded>;

/// RFC 6455 §1.3: the server proves it read the key by hashing it with this.
const ACCEPT_GUID: &str = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// A request that asked for a WebSocket this server can accept: what the 101 answer carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accept(String);

/// A request that is not a WebSocket upgrade this server can accept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotAnUpgrade {
    NotWebSocket,
    Version,
    Key,
}

impl NotAnUpgrade {
    /// The HTTP answer, naming what the endpoint speaks (`"Pusher protocol"`).
    pub fn response(self, protocol: &str) -> Response {
        match self {
            NotAnUpgrade::NotWebSocket => (
                StatusCode::UPGRADE_REQUIRED,
                [(header::UPGRADE, "websocket")],
                format!("This is a {protocol} WebSocket endpoint.\n"),
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

/// Checks that the request asks for a WebSocket, version 13, with a valid key.
pub fn check(headers: &HeaderMap) -> Result<Accept, NotAnUpgrade> {
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

fn accept_for(key: &str) -> Accept {
    let mut sha1 = Sha1::new();
    sha1.update(key.as_bytes());
    sha1.update(ACCEPT_GUID.as_bytes());
    Accept(BASE64.encode(sha1.finalize()))
}

/// Answers 101 and runs `connection` on the upgraded stream once the HTTP server hands it
/// over, as a task of its own.
pub fn switch<F, Fut>(request: &mut Request, accept: Accept, connection: F) -> Response
where
    F: FnOnce(Stream) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let upgrading = hyper::upgrade::on(request);
    tokio::spawn(async move {
        match upgrading.await {
            Ok(upgraded) => connection(TokioIo::new(upgraded)).await,
            Err(error) => tracing::debug!(%error, "WebSocket upgrade failed"),
        }
    });
    (
        StatusCode::SWITCHING_PROTOCOLS,
        [
            (header::UPGRADE, HeaderValue::from_static("websocket")),
            (header::CONNECTION, HeaderValue::from_static("Upgrade")),
            (
                header::SEC_WEBSOCKET_ACCEPT,
                HeaderValue::from_str(&accept.0).expect("base64 is a valid header value"),
            ),
        ],
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_accept_key_is_the_rfc_example() {
        assert_eq!(
            accept_for("dGhlIHNhbXBsZSBub25jZQ==").0,
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        );
    }

    #[test]
    fn requests_that_are_not_websocket_upgrades_are_answered_over_http() {
        let mut headers = HeaderMap::new();
        assert_eq!(check(&headers), Err(NotAnUpgrade::NotWebSocket));
        headers.insert(header::UPGRADE, HeaderValue::from_static("WebSocket"));
        headers.insert(
            header::CONNECTION,
            HeaderValue::from_static("keep-alive, Upgrade"),
        );
        headers.insert(header::SEC_WEBSOCKET_VERSION, HeaderValue::from_static("8"));
        assert_eq!(check(&headers), Err(NotAnUpgrade::Version));
        assert_eq!(
            NotAnUpgrade::Version.response("test").status(),
            StatusCode::UPGRADE_REQUIRED
        );
        headers.insert(
            header::SEC_WEBSOCKET_VERSION,
            HeaderValue::from_static("13"),
        );
        assert_eq!(check(&headers), Err(NotAnUpgrade::Key));
        headers.insert(
            header::SEC_WEBSOCKET_KEY,
            HeaderValue::from_static("c2hvcnQ="),
        );
        assert_eq!(check(&headers), Err(NotAnUpgrade::Key));
        assert_eq!(
            NotAnUpgrade::Key.response("test").status(),
            StatusCode::BAD_REQUEST
        );
        headers.insert(
            header::SEC_WEBSOCKET_KEY,
            HeaderValue::from_static("dGhlIHNhbXBsZSBub25jZQ=="),
        );
        assert_eq!(check(&headers).unwrap().0, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    }
}
