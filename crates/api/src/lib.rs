//! The HTTP API, over the sidecast core: laravel-echo-server's, and Pusher's on the same
//! paths.
//!
//! Another way in beside the Unix socket (`POST /apps/{appId}/events`; Pusher's
//! `batch_events`), a read-only view of the channels, and Pusher's `terminate_connections`.
//! A request with an `auth_signature` is a Pusher SDK's (Laravel's `pusher` and `reverb`
//! drivers), checked against a Pusher app's secret and answered in Pusher's shapes; any other
//! needs the key of a laravel-echo-server client, as laravel-echo-server required:
//! `Authorization: Bearer <key>` or `?auth_key=<key>`, compared in constant time.
//!
//! # Layout
//! - [`access`]: clients, their keys, and the check every route makes; [`signing`]: Pusher's
//!   request signatures.
//! - [`events`]: publishing, with laravel-echo-server's body and Pusher's, one event or a batch.
//! - [`query`]: status, channels, one channel, a presence channel's users — from the census,
//!   with `X-Sidecast-Missing-Nodes` when some nodes of a cluster did not answer in time.
//! - [`users`]: closing a signed-in user's connections.
//! - [`cors`]: the `apiOriginAllow` headers.
//! - `params`: query-string parameters, percent-decoded.
#![forbid(unsafe_code)]

pub mod access;
pub mod cors;
pub mod events;
#[doc(hidden)]
pub mod fuzzing;
mod params;
pub mod query;
pub mod signing;
pub mod users;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::json;
use sidecast_core::Core;

pub use access::Client;
pub use cors::Cors;
pub use signing::SignedApp;

/// How the API is served.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// Who may call `/apps/{appId}/…` with a key (laravel-echo-server's clients).
    pub clients: Vec<Client>,
    /// Who may call it with a signed request (Pusher apps).
    pub signed_apps: Vec<SignedApp>,
    /// Cross-origin access to the API, if any.
    pub cors: Option<Cors>,
    /// Largest request body, in bytes.
    pub max_body_bytes: usize,
}

/// What every handler shares.
pub(crate) struct Api {
    /// The first app's channels, which laravel-echo-server's clients reach too.
    main: Core,
    /// The channels of the other Pusher apps, by app id.
    others: HashMap<String, Core>,
    config: Config,
    started: Instant,
}

/// The API's routes, to merge into the sidecar's HTTP server. A signed request for an app id
/// in `others` reaches that app's channels; every other request, the `main` ones.
pub fn router(main: Core, others: HashMap<String, Core>, config: Config) -> Router {
    let api = Arc::new(Api {
        main,
        others,
        config,
        started: Instant::now(),
    });
    let cors = api.config.cors.clone();
    let router = Router::new()
        .route("/", get(|| async { "OK" }))
        .route("/apps/{app_id}/status", get(query::status))
        .route("/apps/{app_id}/channels", get(query::channels))
        .route("/apps/{app_id}/channels/{channel}", get(query::channel))
        .route("/apps/{app_id}/channels/{channel}/users", get(query::users))
        .route("/apps/{app_id}/events", post(events::publish))
        .route("/apps/{app_id}/batch_events", post(events::publish_batch))
        .route(
            "/apps/{app_id}/users/{user}/terminate_connections",
            post(users::terminate),
        )
        .with_state(api);
    match cors {
        Some(cors) => cors::apply(router, cors),
        None => router,
    }
}

/// An error answer: `{"error": "…"}` with a status, as laravel-echo-server answered.
#[derive(Debug)]
pub(crate) struct Failure(StatusCode, String);

impl Failure {
    pub(crate) fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Failure(status, message.into())
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        (self.0, axum::Json(json!({ "error": self.1 }))).into_response()
    }
}
