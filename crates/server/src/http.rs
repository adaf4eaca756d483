//! The HTTP side: every front end's routes, and laravel-echo-server's HTTP API when it is on,
//! served plain or over TLS. Each front end brings its own routes and CORS rules; the API has
//! its own (`apiOriginAllow`).

use std::collections::HashMap;
use std::future::Future;
use std::io;

use axum::Router;
use axum_server::accept::NoDelayAcceptor;
use axum_server::tls_rustls::RustlsAcceptor;
use hyper_util::rt::TokioTimer;
use sidecast_core::Core;
use tokio::task::JoinHandle;

use crate::connections::{self, Capped, HttpLimits};
use crate::server::{SHUTDOWN_GRACE, Settings};

/// `main` is the first app's channels; `others`, the other Pusher apps' by id.
pub fn router(
    front_ends: Vec<Router>,
    settings: &Settings,
    main: Core,
    others: HashMap<String, Core>,
) -> Router {
    let api = match api_config(settings) {
        Some(config) => sidecast_api::router(main, others, config),
        None => Router::new(),
    };
    // Under the Pusher path too, as Reverb serves it; the API sees (and signatures cover) the
    // path without it.
    let api = match settings.pusher.as_ref().map(|pusher| pusher.path.as_str()) {
        Some(path) if !path.is_empty() => Router::new().nest(path, api.clone()).merge(api),
        _ => api,
    };
    front_ends.into_iter().fold(api, Router::merge)
}

/// The HTTP API serves laravel-echo-server's clients when its config file turns it on, and the
/// Pusher apps' signed requests whenever there are any (Laravel's `pusher` and `reverb` drivers
/// publish through it).
fn api_config(settings: &Settings) -> Option<sidecast_api::Config> {
    let apps: Vec<sidecast_api::SignedApp> = settings
        .pusher
        .iter()
        .flat_map(|pusher| &pusher.apps)
        .map(|config| sidecast_api::SignedApp {
            id: config.app.id.clone(),
            key: config.app.key.clone(),
            secret: config.app.secret.clone(),
        })
        .collect();
    match settings.api.clone() {
        None if apps.is_empty() => None,
        Some(mut config) => {
            config.signed_apps.extend(apps);
            Some(config)
        }
        None => Some(sidecast_api::Config {
            signed_apps: apps,
            max_body_bytes: settings.ingest.frames.max_frame_bytes,
            ..sidecast_api::Config::default()
        }),
    }
}

/// Serves `app` on `listener`, over TLS when `tls` is set, within `limits`, until `stopped`
/// completes.
///
/// Every accepted connection gets TCP_NODELAY: without it, an event written while the client
/// has not yet acknowledged the previous small frame waits for that acknowledgement, which the
/// client delays by up to 40 ms (Nagle's algorithm meeting delayed ACKs): measured as a 40 ms
/// p99 at 10 events/s to 1,000 clients.
pub fn serve_http(
    listener: std::net::TcpListener,
    tls: Option<axum_server::tls_rustls::RustlsConfig>,
    app: axum::Router,
    limits: HttpLimits,
    stopped: impl Future<Output = ()> + Send + 'static,
) -> io::Result<JoinHandle<io::Result<()>>> {
    let open_files = connections::raise_open_files_limit();
    let max = limits.max_connections.unwrap_or_else(|| {
        usize::try_from(
            open_files
                .saturating_sub(connections::RESERVED_FILES)
                .max(64),
        )
        .unwrap_or(usize::MAX)
    });
    tracing::debug!(max_connections = max, per_address = ?limits.max_per_address, header_timeout = ?limits.header_timeout, "HTTP connection limits");
    let capped = Capped::new(NoDelayAcceptor::new(), max, limits.max_per_address);
    let handle = axum_server::Handle::new();
    let stopper = handle.clone();
    tokio::spawn(async move {
        stopped.await;
        stopper.graceful_shutdown(Some(SHUTDOWN_GRACE));
    });
    let mut server = axum_server::from_tcp(listener)?
        .first_request_timeout(limits.header_timeout)
        .accept_error_handler(connections::accept_error_logger())
        .handle(handle);
    server
        .http_builder()
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout);
    // Each request carries its client's address (`ConnectInfo`), for the limits per address.
    let service = app.into_make_service_with_connect_info::<std::net::SocketAddr>();
    Ok(match tls {
        Some(config) => {
            let server = server.acceptor(RustlsAcceptor::new(config).acceptor(capped));
            tokio::spawn(async move { server.serve(service).await })
        }
        None => {
            let server = server.acceptor(capped);
            tokio::spawn(async move { server.serve(service).await })
        }
    })
}
