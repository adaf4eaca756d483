//! `/socket.io/`: every Engine.IO request comes here, and its query says what it is — a new
//! session or one already open (`sid`), over polling or a WebSocket (`transport`), in which
//! protocol version (`EIO`). Requests Engine.IO would refuse are answered as it answers them:
//! 400 with a JSON code and message, which socket.io clients report as a connection error.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, Query, Request, State};
use axum::http::{Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sidecast_core::SocketId;
use sidecast_websocket::upgrade;

use crate::engine::Version;
use crate::session::{Handshake, Session};
use crate::{FrontEnd, polling, websocket};

/// Engine.IO's refusals, with its codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EngineError {
    UnknownTransport,
    UnknownSession,
    BadHandshakeMethod,
    BadRequest,
    UnsupportedVersion,
}

impl IntoResponse for EngineError {
    fn into_response(self) -> Response {
        let (code, message) = match self {
            EngineError::UnknownTransport => (0, "Transport unknown"),
            EngineError::UnknownSession => (1, "Session ID unknown"),
            EngineError::BadHandshakeMethod => (2, "Bad handshake method"),
            EngineError::BadRequest => (3, "Bad request"),
            EngineError::UnsupportedVersion => (5, "Unsupported protocol version"),
        };
        (
            StatusCode::BAD_REQUEST,
            [(header::CONTENT_TYPE, "application/json")],
            format!(r#"{{"code":{code},"message":"{message}"}}"#),
        )
            .into_response()
    }
}

pub(crate) async fn handle(
    State(front_end): State<Arc<FrontEnd>>,
    Query(query): Query<HashMap<String, String>>,
    mut request: Request,
) -> Response {
    let Some(version) = Version::from_query(query.get("EIO").map(String::as_str)) else {
        return EngineError::UnsupportedVersion.into_response();
    };
    // JSONP polling, for browsers without XHR: no browser Echo supports lacks it.
    if query.contains_key("j") {
        return EngineError::BadRequest.into_response();
    }
    let session = match query.get("sid") {
        None => None,
        Some(sid) => match front_end.session(sid) {
            Some(session) if session.version == version => Some(session),
            _ => return EngineError::UnknownSession.into_response(),
        },
    };
    let method = request.method().clone();
    match (query.get("transport").map(String::as_str), session) {
        (Some("polling"), None) if method == Method::GET => {
            polling::open(&front_end, version, handshake(&front_end, &request))
        }
        (Some("polling"), None) => EngineError::BadHandshakeMethod.into_response(),
        (Some("polling"), Some(session)) if method == Method::GET => polling::poll(session).await,
        (Some("polling"), Some(session)) if method == Method::POST => {
            polling::post(&front_end, &session, request.into_body()).await
        }
        (Some("polling"), Some(_)) => EngineError::BadRequest.into_response(),
        (Some("websocket"), session) => {
            let accept = match upgrade::check(request.headers()) {
                Ok(accept) => accept,
                Err(refused) => return refused.response("socket.io"),
            };
            let Some(session) = session else {
                let handshake = handshake(&front_end, &request);
                return upgrade::switch(&mut request, accept, move |io| {
                    websocket::open(front_end, version, handshake, io)
                });
            };
            upgrade::switch(&mut request, accept, move |io| {
                websocket::upgrade(front_end, session, io)
            })
        }
        _ => EngineError::UnknownTransport.into_response(),
    }
}

/// What a new session keeps of the request that opened it.
fn handshake(front_end: &FrontEnd, request: &Request) -> Handshake {
    let headers = request.headers();
    // Set by the server when it serves with connect info; a bare router has none.
    let peer = request.extensions().get::<ConnectInfo<SocketAddr>>();
    let text = |name: header::HeaderName| {
        headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .map(Box::from)
    };
    let origin = headers
        .get(header::ORIGIN)
        .map(|value| value.to_str().unwrap_or("(not text)"));
    Handshake {
        cookie: text(header::COOKIE),
        referer: text(header::REFERER),
        origin_allowed: front_end.config.origins.allows(origin),
        address: peer.map(|ConnectInfo(address)| address.ip()),
    }
}

/// A session with fresh ids, known to the front end (not yet to the hub).
pub(crate) fn new_session(
    front_end: &FrontEnd,
    version: Version,
    handshake: Handshake,
) -> Arc<Session> {
    let mut sessions = front_end.sessions();
    loop {
        let sid = random_id();
        if sessions.contains_key(sid.as_str()) {
            continue;
        }
        let socket_id = match version {
            Version::V3 => sid.clone(),
            Version::V4 => random_id(),
        };
        let session = Arc::new(Session::new(
            sid.clone().into(),
            SocketId::new(&socket_id).expect("a short, printable id"),
            version,
            handshake,
            front_end.outbox(),
            front_end.epoch,
        ));
        sessions.insert(sid.into(), session.clone());
        return session;
    }
}

/// 20 characters from 120 random bits, URL-safe: session and socket ids. No `.`, so a
/// socket.io id is never taken for a Pusher one.
fn random_id() -> String {
    URL_SAFE_NO_PAD.encode(rand::random::<[u8; 15]>())
}
