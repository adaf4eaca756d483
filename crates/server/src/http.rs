//! The HTTP side: socket.io under `/socket.io/`, wrapped in CORS.
//!
//! CORS must be the outermost layer: the socket.io layer answers `/socket.io/` requests itself,
//! so a CORS layer inside it would never see them. socket.io-client 2.x polls with
//! `withCredentials`, which browsers only allow with the requesting origin echoed back (not
//! `*`) and `Access-Control-Allow-Credentials: true`.

use axum::Router;
use axum::http::{HeaderValue, Method};
use socketioxide::layer::SocketIoLayer;
use tower_http::cors::{AllowHeaders, AllowOrigin, CorsLayer};

/// `allowed_origins` empty: any origin is mirrored, as laravel-echo-server did.
pub fn router(socketio: SocketIoLayer, allowed_origins: &[String]) -> Router {
    let origins = if allowed_origins.is_empty() {
        AllowOrigin::mirror_request()
    } else {
        AllowOrigin::list(
            allowed_origins
                .iter()
                .filter_map(|origin| HeaderValue::from_str(origin).ok()),
        )
    };
    let cors = CorsLayer::new()
        .allow_origin(origins)
        .allow_credentials(true)
        .allow_methods([Method::GET, Method::POST, Method::OPTIONS])
        .allow_headers(AllowHeaders::mirror_request());
    Router::new().layer(socketio).layer(cors)
}
