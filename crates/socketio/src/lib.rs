//! Laravel Echo's socket.io protocol, as laravel-echo-server spoke it, over the sidecast core.
//!
//! Last step of the data path. Echo clients (socket.io-client 2.x over Engine.IO 3, and 3.x/4.x
//! over Engine.IO 4; polling, WebSocket and the upgrade) connect to the default namespace, send
//! `subscribe` / `unsubscribe` with `{channel, auth}`, and receive every event as
//! `(eventName, channel, data)`. Each connection becomes a [`Subscriber`](sidecast_core::Subscriber)
//! of the core's hub; socketioxide's own rooms are not used, because the hub does the fan-out
//! and the `toOthers()` exclusion for every front end alike.
//!
//! [`mount`] gives the server what it serves: the `/socket.io/` endpoint behind its CORS
//! rules, the socket.io 2 browser client at `/socket.io/socket.io.js`, and a closer for
//! shutdown.
//!
//! # Layout
//! - [`config`]: the socket.io settings sidecast exposes, with their defaults.
//! - `detach`: copies each request's head out of the HTTP server's read buffer, which socket.io
//!   would otherwise keep alive for the life of the session.
//! - `connection`: the life of one socket: set-up in a connect middleware, registration with
//!   the hub, delivery of events and presence changes, disconnect.
//! - `channels`: `subscribe` / `unsubscribe`, asking the Laravel app (through the core's
//!   `Authorizer`) before joining private and presence channels.
//! - `whisper`: `client event`, with its size and rate limits.
//! - `flood`: what a client's floods and mistakes cost: counted, logged once in a while.
//! - `ordering`: applies each socket's events in the order the client sent them, although
//!   socketioxide runs every handler as its own task and authorization is asynchronous.
#![forbid(unsafe_code)]

mod channels;
pub mod config;
mod connection;
mod detach;
mod flood;
mod ordering;
mod whisper;

use std::future::Future;
use std::sync::Arc;

use axum::Router;
use axum::http::{HeaderValue, Method, header};
use axum::response::IntoResponse;
use axum::routing::get;
use sidecast_core::{AllowedOrigins, Authorizer, Hub};
use socketioxide::SocketIo;
use socketioxide::handler::ConnectHandler;
use tower_http::cors::{AllowHeaders, AllowOrigin, CorsLayer};
use tower_layer::Stack;

pub use config::Config;

/// What every handler of the front end shares.
pub(crate) struct FrontEnd {
    hub: Arc<Hub>,
    authorizer: Arc<dyn Authorizer>,
    config: Config,
    /// Events refused because a client sent too many: past its backlog, past the channel limit.
    refusals: flood::Refusals,
}

/// socket.io-client 2.5.0's browser build; see `assets/README.md`.
const SOCKET_IO_CLIENT: &[u8] = include_bytes!("../assets/socket.io-2.5.0.min.js");

/// What a WebSocket connection reserves for reading client messages at a time. Echo's messages
/// (`subscribe`, whispers) are a few hundred bytes; a larger one grows the buffer as needed.
/// socketioxide's default of 4 KiB costs 3 KiB more per idle connection.
const WS_READ_BUFFER_BYTES: usize = 1024;

/// Builds the front end over `hub`: its routes, to merge into the sidecar's HTTP server
/// (socket.io answers every path under `/socket.io/` itself, so it is the router's fallback),
/// and what closes every connection, awaited at shutdown. `authorizer` is asked before a
/// client joins a private or presence channel.
///
/// CORS must be the outermost layer of socket.io: the socket.io layer answers `/socket.io/`
/// requests itself, so a CORS layer inside it would never see them. socket.io-client 2.x polls
/// with `withCredentials`, which browsers only allow with the requesting origin echoed back
/// (not `*`) and `Access-Control-Allow-Credentials: true`.
pub fn mount(
    hub: Arc<Hub>,
    authorizer: Arc<dyn Authorizer>,
    config: &Config,
) -> (Router, impl Future<Output = ()> + Send + 'static) {
    let (layer, io) = socket_io(hub, authorizer, config);
    let engine = Router::new().layer(layer).layer(cors(&config.origins));
    let routes = Router::new()
        .route("/socket.io/socket.io.js", get(client_script))
        .fallback_service(engine);
    (routes, async move { io.close().await })
}

/// The socket.io layer, behind a copy of each request's head (see `detach`), and the handle
/// that closes its connections.
fn socket_io(
    hub: Arc<Hub>,
    authorizer: Arc<dyn Authorizer>,
    config: &Config,
) -> (
    Stack<socketioxide::layer::SocketIoLayer, detach::DetachHeadLayer>,
    SocketIo,
) {
    let front_end = Arc::new(FrontEnd {
        hub,
        authorizer,
        config: config.clone(),
        refusals: flood::Refusals::default(),
    });
    let (layer, io) = SocketIo::builder()
        .max_buffer_size(config.max_buffer_size)
        .max_payload(config.max_payload)
        // One limit for what a client sends, whatever the transport: engine.io's own WebSocket
        // default would let a client send 64 MiB messages.
        .ws_max_message_size(config.max_payload as usize)
        .ws_max_frame_size(config.max_payload as usize)
        .ws_read_buffer_size(WS_READ_BUFFER_BYTES)
        .ping_interval(config.ping_interval)
        .ping_timeout(config.ping_timeout)
        .with_state(front_end)
        .build_layer();
    io.ns("/", connection::on_connect.with(connection::prepare_socket));
    (Stack::new(layer, detach::DetachHeadLayer), io)
}

fn cors(origins: &AllowedOrigins) -> CorsLayer {
    let allowed = if origins.is_any() {
        AllowOrigin::mirror_request()
    } else {
        AllowOrigin::list(
            origins
                .list()
                .iter()
                .filter_map(|origin| HeaderValue::from_str(origin).ok()),
        )
    };
    CorsLayer::new()
        .allow_origin(allowed)
        .allow_credentials(true)
        .allow_methods([Method::GET, Method::POST, Method::OPTIONS])
        .allow_headers(AllowHeaders::mirror_request())
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
