//! The HTTP side: every front end's routes, and laravel-echo-server's HTTP API when it is on.
//! Each front end brings its own routes and CORS rules; the API has its own (`apiOriginAllow`).

use std::sync::Arc;

use axum::Router;
use sidecast_core::{Census, Hub};

use crate::server::Settings;

pub fn router(
    front_ends: Vec<Router>,
    settings: &Settings,
    hub: Arc<Hub>,
    census: Arc<dyn Census>,
) -> Router {
    let api = match &settings.api {
        Some(config) => sidecast_api::router(hub, census, config.clone()),
        None => Router::new(),
    };
    front_ends.into_iter().fold(api, Router::merge)
}
