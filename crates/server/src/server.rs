//! Wiring: the hub, the ingest socket and the socket.io front end, with their shutdown.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use sidecast_core::Hub;
use sidecast_ingest::{BindError, UnixIngest};
use thiserror::Error;
use tokio::net::TcpListener;
use tokio::sync::watch;

/// How long connections get to close after a stop signal before the process exits anyway.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(3);

/// Everything `sidecast start` needs, already validated.
#[derive(Debug, Clone)]
pub struct Settings {
    pub http_addr: SocketAddr,
    pub socket_path: PathBuf,
    pub limits: sidecast_wire::Limits,
    pub socketio: sidecast_socketio::Config,
    pub auth: sidecast_auth::Config,
}

#[derive(Debug, Error)]
pub enum StartError {
    #[error("invalid channel authorization settings: {0}")]
    Auth(#[from] sidecast_auth::ConfigError),
    #[error("cannot take events from PHP: {0}")]
    Ingest(#[from] BindError),
    #[error("cannot listen for Echo clients on {addr}: {source}")]
    Http { addr: SocketAddr, source: io::Error },
}

/// Both listeners, bound, not yet serving.
pub struct Server {
    settings: Settings,
    authorizer: sidecast_auth::LaravelAuthorizer,
    ingest: UnixIngest,
    http: TcpListener,
}

impl Server {
    /// Binds the Unix socket first (so a second sidecar on the same path stops here, before
    /// touching the network), then the TCP port.
    pub async fn bind(settings: Settings) -> Result<Self, StartError> {
        let authorizer = sidecast_auth::LaravelAuthorizer::new(settings.auth.clone())?;
        let ingest = UnixIngest::bind(&settings.socket_path)?;
        let http = TcpListener::bind(settings.http_addr)
            .await
            .map_err(|source| StartError::Http {
                addr: settings.http_addr,
                source,
            })?;
        Ok(Server {
            settings,
            authorizer,
            ingest,
            http,
        })
    }

    /// Serves until `shutdown` completes, then stops accepting, closes every client and
    /// removes the socket file.
    pub async fn run(self, shutdown: impl Future<Output = ()>) -> io::Result<()> {
        let hub = Arc::new(Hub::new());
        let (socketio, io) = sidecast_socketio::layer(
            hub.clone(),
            Arc::new(self.authorizer),
            &self.settings.socketio,
        );
        let app = crate::http::router(socketio, &self.settings.socketio.allowed_origins);
        if self.settings.socketio.allowed_origins.is_empty() {
            tracing::info!("pages from any origin may connect; list yours with --allowed-origin");
        }
        let (stop, stopped) = watch::channel(false);
        let when_stopped = move || {
            let mut stopped = stopped.clone();
            async move {
                let _ = stopped.wait_for(|stop| *stop).await;
            }
        };

        tracing::info!(
            echo = %format!("http://{}/socket.io/", self.http.local_addr()?),
            socket = %self.ingest.path().display(),
            auth = %format!("{}{}", self.settings.auth.hosts.join(" | "), self.settings.auth.endpoint),
            "sidecast is listening",
        );
        let mut ingest = tokio::spawn(self.ingest.serve(
            hub.clone(),
            self.settings.limits,
            when_stopped(),
        ));
        let mut http = tokio::spawn(
            axum::serve(self.http, app)
                .with_graceful_shutdown(when_stopped())
                .into_future(),
        );

        // Either listener ending on its own is a failure: without ingest no event gets in,
        // without HTTP no client does. Stop the other one and report it.
        let failure = tokio::select! {
            () = shutdown => None,
            ended = &mut ingest => Some(("the ingest socket", ended)),
            ended = &mut http => Some(("the HTTP server", ended)),
        };
        let _ = stop.send(true);
        if let Some((what, ended)) = failure {
            io.close().await;
            let error = match ended {
                Ok(Ok(())) => io::Error::other(format!("{what} stopped unexpectedly")),
                Ok(Err(error)) => io::Error::other(format!("{what} failed: {error}")),
                Err(panic) => io::Error::other(format!("{what} crashed: {panic}")),
            };
            return Err(error);
        }

        let drained = tokio::time::timeout(SHUTDOWN_GRACE, async {
            io.close().await;
            (ingest.await, http.await)
        })
        .await;
        match drained {
            Ok((ingest, http)) => {
                ingest.map_err(io::Error::other)??;
                http.map_err(io::Error::other)??;
            }
            Err(_) => {
                tracing::warn!(grace = ?SHUTDOWN_GRACE, "connections still open after the grace period; exiting anyway")
            }
        }
        tracing::info!(stats = ?hub.stats(), "sidecast stopped");
        Ok(())
    }
}
