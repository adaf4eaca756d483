//! The HTTP side: socket.io under `/socket.io/` (wrapped in CORS), laravel-echo-server's HTTP
//! API when it is on, and the socket.io 2 browser client at `/socket.io/socket.io.js`.
//!
//! CORS must be the outermost layer of socket.io: the socket.io layer answers `/socket.io/`
//! requests itself, so a CORS layer inside it would never see them. socket.io-client 2.x polls
//! with `withCredentials`, which browsers only allow with the requesting origin echoed back
//! (not `*`) and `Access-Control-Allow-Credentials: true`. The API has its own CORS rules
//! (`apiOriginAllow`), so the two are separate routers.

use std::sync::Arc;

use axum::Router;
use axum::http::{HeaderValue, Method, header};
use axum::response::IntoResponse;
use axum::routing::get;
use sidecast_core::Hub;
use tower_http::cors::{AllowHeaders, AllowOrigin, CorsLayer};

use crate::server::Settings;

/// socket.io-client 2.5.0's browser build; see `assets/README.md`.
const SOCKET_IO_CLIENT: &[u8] = include_bytes!("../assets/socket.io-2.5.0.min.js");

pub fn router(
    socketio: sidecast_socketio::EchoLayer,
    settings: &Settings,
    hub: Arc<Hub>,
) -> Router {
    let allowed = &settings.socketio.allowed_origins;
    let origins = if allowed.is_empty() {
        AllowOrigin::mirror_request()
    } else {
        AllowOrigin::list(
            allowed
                .iter()
                .filter_map(|origin| HeaderValue::from_str(origin).ok()),
        )
    };
    let cors = CorsLayer::new()
        .allow_origin(origins)
        .allow_credentials(true)
        .allow_methods([Method::GET, Method::POST, Method::OPTIONS])
        .allow_headers(AllowHeaders::mirror_request());
    let socket_io = Router::new().layer(socketio).layer(cors);

    let api = match &settings.api {
        Some(config) => sidecast_api::router(hub, config.clone()),
        None => Router::new(),
    };
    api.route("/socket.io/socket.io.js", get(client_script))
        .fallback_service(socket_io)
}

async fn client_script() -> impl IntoResponse {
    (
        [
            (
                header::CONTENT_TYPE,
                "application/javascript; charset=utf-8",
            ),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        SOCKET_IO_CLIENT,
    )
}
