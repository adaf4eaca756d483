//! The HTTP side: every front end's routes, and laravel-echo-server's HTTP API when it is on,
//! served plain or over TLS. Each front end brings its own routes and CORS rules; the API has
//! its own (`apiOriginAllow`).

use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::net::SocketAddr;

use axum::Router;
use axum::serve::{Listener, ListenerExt};
use axum_server::accept::NoDelayAcceptor;
use axum_server::tls_rustls::RustlsAcceptor;
use sidecast_core::Core;
use tokio::task::JoinHandle;

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
            max_body_bytes: settings.limits.max_frame_bytes,
            ..sidecast_api::Config::default()
        }),
    }
}

/// The plain HTTP listener as axum serves it: every accepted connection with TCP_NODELAY.
/// Without it, an event written while the client has not yet acknowledged the previous small
/// frame waits for that acknowledgement, which the client delays by up to 40 ms (Nagle's
/// algorithm meeting delayed ACKs): measured as a 40 ms p99 at 10 events/s to 1,000 clients.
fn without_delay(
    listener: tokio::net::TcpListener,
) -> impl Listener<Io = tokio::net::TcpStream, Addr = SocketAddr> {
    listener.tap_io(|stream| {
        if let Err(error) = stream.set_nodelay(true) {
            tracing::warn!(%error, "cannot set TCP_NODELAY on a connection");
        }
    })
}

/// Serves `app` on `listener`, over TLS when `tls` is set, until `stopped` completes.
pub fn serve_http(
    listener: std::net::TcpListener,
    tls: Option<axum_server::tls_rustls::RustlsConfig>,
    app: axum::Router,
    stopped: impl Future<Output = ()> + Send + 'static,
) -> io::Result<JoinHandle<io::Result<()>>> {
    let service = app.into_make_service();
    Ok(match tls {
        Some(config) => {
            let handle = axum_server::Handle::new();
            let stopper = handle.clone();
            tokio::spawn(async move {
                stopped.await;
                stopper.graceful_shutdown(Some(SHUTDOWN_GRACE));
            });
            // Without delay, as the plain listener below.
            let acceptor = RustlsAcceptor::new(config).acceptor(NoDelayAcceptor::new());
            let server = axum_server::from_tcp(listener)?
                .acceptor(acceptor)
                .handle(handle);
            tokio::spawn(async move { server.serve(service).await })
        }
        None => {
            let listener = without_delay(tokio::net::TcpListener::from_std(listener)?);
            tokio::spawn(async move {
                axum::serve(listener, service)
                    .with_graceful_shutdown(stopped)
                    .await
            })
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn connections_are_accepted_without_delay() {
        let plain = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let _client = tokio::net::TcpStream::connect(plain.local_addr().unwrap())
            .await
            .unwrap();
        let (accepted, _) = plain.accept().await.unwrap();
        assert!(!accepted.nodelay().unwrap(), "the kernel's default is off");

        let address = plain.local_addr().unwrap();
        let mut listener = without_delay(plain);
        let _client = tokio::net::TcpStream::connect(address).await.unwrap();
        let (accepted, _) = listener.accept().await;
        assert!(accepted.nodelay().unwrap());
    }
}
