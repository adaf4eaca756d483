//! The HTTP side: socket.io under `/socket.io/`, wrapped in CORS.
//!
//! CORS must be the outermost layer: the socket.io layer answers `/socket.io/` requests itself,
//! so a CORS layer inside it would never see them. socket.io-client 2.x polls with
//! `withCredentials`, which browsers only allow with the requesting origin echoed back (not
//! `*`) and `Access-Control-Allow-Credentials: true`.

use axum::Router;
use axum::http::Method;
use socketioxide::layer::SocketIoLayer;
use tower_http::cors::{AllowHeaders, AllowOrigin, CorsLayer};

pub fn router(socketio: SocketIoLayer) -> Router {
    let cors = CorsLayer::new()
        .allow_origin(AllowOrigin::mirror_request())
        .allow_credentials(true)
        .allow_methods([Method::GET, Method::POST, Method::OPTIONS])
        .allow_headers(AllowHeaders::mirror_request());
    Router::new().layer(socketio).layer(cors)
}
