//! The HTTP upgrade to a WebSocket at `/app/{key}`, and the refusals the Pusher protocol
//! makes on a connection that has just opened (an unknown app, an origin that is not allowed,
//! a protocol version it does not speak): sent as `pusher:error` and a close frame with the
//! same code, which pusher-js acts on.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, header};
use axum::response::Response;
use sidecast_websocket::upgrade;

use crate::connection;
use crate::{Apps, FrontEnd};

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
    let accept = match upgrade::check(request.headers()) {
        Ok(accept) => accept,
        Err(refused) => return refused.response("Pusher protocol"),
    };
    let admitted = admit(apps.get(&key), &query, request.headers());
    if let Err(refusal) = admitted {
        tracing::info!(%key, code = refusal.code, reason = refusal.message, "Pusher connection refused");
    }
    upgrade::switch(&mut request, accept, move |io| async move {
        match admitted {
            Ok(front_end) => connection::run(front_end, io).await,
            Err(refusal) => connection::refuse(io, refusal).await,
        }
    })
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
