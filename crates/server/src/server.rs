//! Wiring: the hubs (`hubs`); the ways events come in (the Unix socket, Redis, the HTTP API); the
//! front ends clients connect to; and their shutdown.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use sidecast_ingest::redis::RedisSource;
use sidecast_ingest::{BindError, OpenPublishers, UnixIngest};
use thiserror::Error;
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::admin::Admin;
use crate::hubs::Hubs;

/// How long connections get to close after a stop signal before the process exits anyway.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(3);

/// Everything `sidecast start` needs, already validated (see `config`).
#[derive(Debug, Clone)]
pub struct Settings {
    pub http_addr: SocketAddr,
    /// What clients may hold of the HTTP listener.
    pub http_limits: crate::connections::HttpLimits,
    pub socket_path: PathBuf,
    /// After a stop signal, events are still taken until none came for this long.
    pub publisher_grace: Duration,
    /// Owner, group and mode of the socket files.
    pub socket_access: sidecast_ingest::SocketAccess,
    /// More Unix sockets, each reaching the channels of one Pusher app other than the first
    /// (which `socket_path` reaches).
    pub app_sockets: Vec<AppSocket>,
    /// What PHP's publishers may hold: frame size, connections, time per frame.
    pub ingest: sidecast_ingest::IngestLimits,
    pub socketio: sidecast_socketio::Config,
    /// The Pusher protocol, served when an app is configured.
    pub pusher: Option<sidecast_pusher::Config>,
    pub auth: sidecast_auth::Config,
    /// Laravel's `redis` broadcaster, subscribed to when set.
    pub redis: Option<RedisSource>,
    /// laravel-echo-server's HTTP API, served when set.
    pub api: Option<sidecast_api::Config>,
    /// Scale-out over Redis, when set; a single node otherwise.
    pub cluster: Option<sidecast_cluster::Config>,
    /// HTTPS and WSS when set.
    pub tls: Option<TlsFiles>,
    /// The operator's listener and key.
    pub admin: AdminSettings,
    /// Lifecycle events told to the app (webhooks, `sidecast:listen`), when set.
    pub lifecycle: Option<sidecast_lifecycle::Config>,
}

/// Where `/metrics` is served, and the key it takes on the clients' port.
#[derive(Clone, Default)]
pub struct AdminSettings {
    /// The admin listener's address, when it is on.
    pub addr: Option<SocketAddr>,
    pub key: Option<String>,
    /// Development mode (`--dev`): the dashboard shows payloads.
    pub dev_mode: bool,
}

/// Without the key: settings are logged at debug level.
impl std::fmt::Debug for AdminSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdminSettings")
            .field("addr", &self.addr)
            .field("key", &self.key.as_ref().map(|_| "***"))
            .field("dev_mode", &self.dev_mode)
            .finish()
    }
}

/// A Unix socket of its own for one Pusher app: what PHP writes to it reaches that app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppSocket {
    pub app_id: String,
    pub path: PathBuf,
}

/// The certificate files of `protocol: https`.
#[derive(Debug, Clone)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
    /// Intermediate certificates, sent after `cert`.
    pub chain: Option<PathBuf>,
    /// For an encrypted key.
    pub passphrase: Option<String>,
}

#[derive(Debug, Error)]
pub enum StartError {
    #[error("invalid channel authorization settings: {0}")]
    Auth(#[from] sidecast_auth::ConfigError),
    #[error("cannot take events from PHP: {0}")]
    Ingest(#[from] BindError),
    #[error("cannot listen for Echo clients on {addr}: {source}")]
    Http { addr: SocketAddr, source: io::Error },
    #[error("cannot listen for the admin routes on {addr}: {source}")]
    Admin { addr: SocketAddr, source: io::Error },
    #[error("cannot use the TLS certificate: {0}")]
    Tls(String),
}

/// Both listeners, bound, not yet serving.
pub struct Server {
    settings: Settings,
    authorizer: sidecast_auth::LaravelAuthorizer,
    ingest: UnixIngest,
    /// The app sockets, by app id.
    app_ingests: Vec<(String, UnixIngest)>,
    http: std::net::TcpListener,
    admin: Option<std::net::TcpListener>,
    tls: Option<axum_server::tls_rustls::RustlsConfig>,
}

impl Server {
    /// Checks the certificate, binds the Unix socket (so a second sidecar on the same path
    /// stops here, before touching the network), then the TCP port.
    pub async fn bind(settings: Settings) -> Result<Self, StartError> {
        let authorizer = sidecast_auth::LaravelAuthorizer::new(settings.auth.clone())?;
        let tls = match &settings.tls {
            Some(files) => Some(crate::tls::load(files).await.map_err(StartError::Tls)?),
            None => None,
        };
        let access = &settings.socket_access;
        let ingest = UnixIngest::bind_with(&settings.socket_path, access)?;
        let app_ingests = settings
            .app_sockets
            .iter()
            .map(|socket| {
                let ingest = UnixIngest::bind_with(&socket.path, access)?;
                Ok((socket.app_id.clone(), ingest))
            })
            .collect::<Result<_, BindError>>()?;
        let http_error = |source| StartError::Http {
            addr: settings.http_addr,
            source,
        };
        let http = std::net::TcpListener::bind(settings.http_addr).map_err(http_error)?;
        http.set_nonblocking(true).map_err(http_error)?;
        let admin = match settings.admin.addr {
            Some(addr) => {
                let admin_error = |source| StartError::Admin { addr, source };
                let listener = std::net::TcpListener::bind(addr).map_err(admin_error)?;
                listener.set_nonblocking(true).map_err(admin_error)?;
                Some(listener)
            }
            None => None,
        };
        Ok(Server {
            settings,
            authorizer,
            ingest,
            app_ingests,
            http,
            admin,
            tls,
        })
    }

    /// Serves until `shutdown` completes, then stops accepting, closes every client and
    /// removes the socket file.
    pub async fn run(self, shutdown: impl Future<Output = ()>) -> io::Result<()> {
        // Lifecycle events: the first app's hub tells the lifecycle, which is finished after the
        // clients.
        let (observer, lifecycle) = match self.settings.lifecycle.clone() {
            Some(mut config) => {
                if self.settings.cluster.is_some() {
                    // The cluster holds leaves for the grace period, with a marker in Redis
                    // that a return on any node removes; not again here.
                    config.grace = Duration::ZERO;
                }
                let (lifecycle, tasks) = sidecast_lifecycle::Lifecycle::start(config);
                (
                    Some(lifecycle as Arc<dyn sidecast_core::Observer>),
                    Some(tasks),
                )
            }
            None => (None, None),
        };
        let mut hubs = Hubs::new(&self.settings, observer);
        let core = hubs.main().clone();
        let hub = core.hub.clone();
        let mut cluster_tasks = hubs.run_cluster();
        let hubs = Arc::new(hubs);
        let sockets = std::iter::once(&self.ingest)
            .chain(self.app_ingests.iter().map(|(_, ingest)| ingest))
            .map(UnixIngest::file)
            .collect();
        let journal = lifecycle
            .as_ref()
            .and_then(sidecast_lifecycle::Running::journal);
        let (admin, sampler) = Admin::start(hubs.clone(), &self.settings, sockets, journal.clone());
        type Closer = std::pin::Pin<Box<dyn Future<Output = ()> + Send>>;
        let (socketio, close_socketio) = sidecast_socketio::mount(
            hub.clone(),
            Arc::new(self.authorizer),
            &self.settings.socketio,
        );
        let mut front_ends: Vec<(axum::Router, Closer)> =
            vec![(socketio, Box::pin(close_socketio))];
        if let Some(config) = &self.settings.pusher {
            let apps = hubs.pusher_hubs().zip(config.apps.iter().cloned());
            let (pusher, handle) = sidecast_pusher::mount(&config.path, apps);
            front_ends.push((pusher, Box::pin(handle.close())));
        }
        let (routes, closers): (Vec<_>, Vec<_>) = front_ends.into_iter().unzip();
        let close_clients = || futures_util::future::join_all(closers);
        let app = crate::http::router(routes, &self.settings, core.clone(), hubs.others())
            .merge(admin.public_routes());
        if self.settings.socketio.origins.is_any() {
            tracing::info!("pages from any origin may connect; list yours with --allowed-origin");
        }
        // Event sources stop first and clients last, so that what publishers had already sent
        // still reaches the clients connected when the stop came.
        let (stop_sources, sources_stopped) = watch::channel(false);
        let (stop_clients, clients_stopped) = watch::channel(false);
        let when = |mut stopped: watch::Receiver<bool>| async move {
            let _ = stopped.wait_for(|stop| *stop).await;
        };

        let scheme = if self.tls.is_some() { "https" } else { "http" };
        tracing::info!(
            echo = %format!("{scheme}://{}/socket.io/", self.http.local_addr()?),
            pusher = %self.settings.pusher.as_ref().map_or("off".to_owned(), |p| p.apps.iter().map(|app| format!("{}/app/{}", p.path, app.app.key)).collect::<Vec<_>>().join(" ")),
            socket = %self.ingest.path().display(),
            app_sockets = %self.app_ingests.iter().map(|(id, ingest)| format!("{}={}", id, ingest.path().display())).collect::<Vec<_>>().join(" "),
            auth = %self.settings.auth.hosts.iter().map(|host| sidecast_auth::host::redacted(&format!("{host}{}", self.settings.auth.endpoint))).collect::<Vec<_>>().join(" | "),
            redis = %self.settings.redis.as_ref().map_or("off".to_owned(), |r| format!("{}:{} {}*", r.host, r.port, r.key_prefix)),
            http_api = self.settings.api.is_some() || self.settings.pusher.is_some(),
            cluster = %self.settings.cluster.as_ref().map_or("off".to_owned(), |c| c.redis.describe()),
            node = hubs.node_id().unwrap_or_default(),
            "sidecast is listening",
        );
        let publishers: Vec<OpenPublishers> = std::iter::once(&self.ingest)
            .chain(self.app_ingests.iter().map(|(_, ingest)| ingest))
            .map(UnixIngest::open_publishers)
            .collect();
        let report = admin.report();
        let mut ingests = JoinSet::new();
        let mut main_ingest = self.ingest.with_report(report.clone());
        if let Some(journal) = journal {
            main_ingest = main_ingest.with_listeners(serve_listeners(journal));
        }
        ingests.spawn(main_ingest.serve(core, self.settings.ingest, when(sources_stopped.clone())));
        let app_cores = hubs.others();
        for (app_id, ingest) in self.app_ingests {
            let core = app_cores
                .get(&app_id)
                .expect("the config gives a socket only to an app of sidecast.pusher.apps")
                .clone();
            ingests.spawn(ingest.with_report(report.clone()).serve(
                core,
                self.settings.ingest,
                when(sources_stopped.clone()),
            ));
        }
        let mut redis = self.settings.redis.clone().map(|source| {
            tokio::spawn(sidecast_ingest::redis::subscribe(
                source,
                hub.clone(),
                when(sources_stopped.clone()),
            ))
        });
        let mut http = crate::http::serve_http(
            self.http,
            self.tls,
            app,
            self.settings.http_limits,
            when(clients_stopped.clone()),
        )?;
        let admin_server = match self.admin {
            Some(listener) => Some(admin.serve(listener, when(clients_stopped))?),
            None => None,
        };

        // Any of them ending on its own is a failure: without ingest or Redis no event gets
        // in, without HTTP no client does. Stop the others and report it.
        let redis_ended = async {
            match redis.as_mut() {
                Some(task) => task.await.map(Ok),
                None => std::future::pending().await,
            }
        };
        let cluster_ended = async {
            match cluster_tasks.as_mut() {
                Some(tasks) => match tasks.join_next().await {
                    Some(ended) => ended.map(Ok),
                    None => std::future::pending().await,
                },
                None => std::future::pending().await,
            }
        };
        let failure = tokio::select! {
            () = shutdown => {
                admin.stopping.store(true, std::sync::atomic::Ordering::Relaxed);
                crate::shutdown::until_sources_quiet(&hubs, &publishers, self.settings.publisher_grace).await;
                None
            }
            Some(ended) = ingests.join_next() => Some(("an ingest socket", ended)),
            ended = &mut http => Some(("the HTTP server", ended)),
            ended = redis_ended => Some(("the Redis subscriber", ended)),
            ended = cluster_ended => Some(("the cluster", ended)),
        };
        let _ = stop_sources.send(true);
        if let Some((what, ended)) = failure {
            let _ = stop_clients.send(true);
            close_clients().await;
            hubs.leave().await;
            let error = match ended {
                Ok(Ok(())) => io::Error::other(format!("{what} stopped unexpectedly")),
                Ok(Err(error)) => io::Error::other(format!("{what} failed: {error}")),
                Err(panic) => io::Error::other(format!("{what} crashed: {panic}")),
            };
            return Err(error);
        }

        // Publishers' already-sent events are handled (and acknowledged) first, while clients
        // are still connected to receive them; then clients are closed.
        let drained = tokio::time::timeout(SHUTDOWN_GRACE, async {
            let mut drained = Vec::new();
            while let Some(ended) = ingests.join_next().await {
                drained.push(ended);
            }
            if let Some(redis) = redis {
                let _ = redis.await;
            }
            let _ = stop_clients.send(true);
            close_clients().await;
            (drained, http.await)
        })
        .await;
        match drained {
            Ok((ingests, http)) => {
                for ingest in ingests {
                    ingest.map_err(io::Error::other)??;
                }
                http.map_err(io::Error::other)??;
            }
            Err(_) => {
                tracing::warn!(grace = ?SHUTDOWN_GRACE, "connections still open after the grace period; exiting anyway")
            }
        }
        // Clients are gone: the other nodes are told this node's presence members left, and
        // the app is told who left: at once on a single node (nobody can come back to this
        // process), after the grace period in a cluster (they may come back on another node).
        hubs.leave().await;
        if let Some(lifecycle) = lifecycle {
            lifecycle.finish(SHUTDOWN_GRACE).await;
        }
        drop(cluster_tasks);
        sampler.abort();
        if let Some(admin_server) = admin_server {
            admin_server.abort();
        }
        let stats = hub.stats();
        tracing::info!(
            publications = stats.publications,
            deliveries = stats.deliveries,
            dropped = stats.dropped,
            "sidecast stopped"
        );
        Ok(())
    }
}

/// Serves the connections that ask to `LISTEN` (`php artisan sidecast:listen`) from the
/// lifecycle's journal, each in a task of its own: the Unix socket's reader does not wait.
fn serve_listeners(
    journal: Arc<sidecast_lifecycle::journal::Journal>,
) -> sidecast_ingest::Listeners {
    Arc::new(move |handover: sidecast_ingest::Handover| {
        tokio::spawn(sidecast_lifecycle::listener::serve(
            journal.clone(),
            handover.stream,
            handover.buffered,
            handover.request_id,
        ));
    })
}
