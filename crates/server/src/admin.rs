//! The operator's routes. `/up` and `/ready` are always served, on the clients' port and on
//! the admin listener, for load balancers, Docker's `HEALTHCHECK` and orchestrators.
//! `/metrics` (Prometheus) and `/status` (the same census as JSON) are served on the admin
//! listener, which binds to loopback unless told otherwise, and on the clients' port only when
//! an admin key is set and presented. The dashboard (`dashboard`) takes the key everywhere.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::Router;
use axum::extract::{Query, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sidecast_ingest::SocketFile;
use sidecast_lifecycle::journal::Journal;

use crate::connections::HttpLimits;
use crate::hubs::Hubs;
use crate::server::Settings;
use crate::vitals::{Watch, prometheus};

mod dashboard;

/// What the routes read: the census, the socket files, and whether the sidecar is stopping.
#[derive(Clone)]
pub struct Admin {
    pub watch: Arc<Watch>,
    pub sockets: Vec<SocketFile>,
    /// Whether Laravel's Redis broadcaster is to be subscribed to.
    pub redis: bool,
    /// Set once a stop signal came: a stopping sidecar is alive but no longer ready.
    pub stopping: Arc<AtomicBool>,
    /// Asked of `/metrics` on the clients' port and of the dashboard everywhere; `None` keeps
    /// both off there.
    pub key: Option<Arc<str>>,
    /// Development mode: the dashboard shows payloads.
    pub dev_mode: bool,
}

/// Connections the admin listener takes at once: a scraper, a health check, an operator.
const MAX_ADMIN_CONNECTIONS: usize = 64;

impl Admin {
    /// The census of `hubs` and the routes that show it; and the task that samples the census
    /// every second for rates, to be stopped with the server.
    pub fn start(
        hubs: Arc<Hubs>,
        settings: &Settings,
        sockets: Vec<SocketFile>,
        listener: Option<Arc<Journal>>,
    ) -> (Self, tokio::task::JoinHandle<()>) {
        let configured = crate::vitals::Configured {
            redis: settings.redis.is_some(),
            webhooks: settings
                .lifecycle
                .as_ref()
                .is_some_and(|lifecycle| !lifecycle.endpoints.is_empty()),
            listener,
        };
        let watch = Watch::new(hubs, configured);
        let sampler = tokio::spawn(watch.clone().sample_every_second());
        let admin = Admin {
            watch,
            sockets,
            redis: settings.redis.is_some(),
            stopping: Arc::default(),
            key: settings.admin.key.as_deref().map(Arc::from),
            dev_mode: settings.admin.dev_mode,
        };
        (admin, sampler)
    }

    /// The census as JSON, with the readiness `/ready` answers, for the `stats` question on
    /// the Unix socket (`sidecast status`, `sidecast health`, PHP's `Sidecast::stats()`).
    pub fn report(&self) -> sidecast_ingest::Report {
        let admin = self.clone();
        Arc::new(move || {
            let admin = admin.clone();
            Box::pin(async move {
                let mut report =
                    serde_json::to_value(admin.watch.vitals().await).unwrap_or_default();
                report["readiness"] = json!(admin.readiness().await);
                report
            })
        })
    }

    /// Serves the admin listener until `stopped` completes.
    pub fn serve(
        &self,
        listener: std::net::TcpListener,
        stopped: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<tokio::task::JoinHandle<std::io::Result<()>>> {
        let limits = HttpLimits {
            max_connections: Some(MAX_ADMIN_CONNECTIONS),
            ..HttpLimits::default()
        };
        crate::http::serve_http(listener, None, self.private_routes(), limits, stopped)
    }

    /// `/up` and `/ready`, for the clients' port.
    pub fn health_routes(&self) -> Router {
        Router::new()
            .route("/up", get(up))
            .route("/ready", get(ready))
            .with_state(self.clone())
    }

    /// The clients' port: health, and the figures and the dashboard behind the key when one
    /// is set.
    pub fn public_routes(&self) -> Router {
        let routes = self.health_routes();
        match self.key {
            Some(_) => routes
                .merge(
                    self.figure_routes()
                        .route_layer(axum::middleware::from_fn_with_state(self.clone(), with_key)),
                )
                .merge(dashboard::routes(self)),
            None => routes,
        }
    }

    /// The admin listener: health and the figures, which its address keeps private, and the
    /// dashboard, which takes the key even here.
    pub fn private_routes(&self) -> Router {
        self.health_routes()
            .merge(self.figure_routes())
            .merge(dashboard::routes(self))
    }

    /// `/metrics` for Prometheus; `/status`, the same census as JSON with the last minute's
    /// history.
    fn figure_routes(&self) -> Router {
        Router::new()
            .route("/metrics", get(metrics))
            .route("/status", get(status))
            .with_state(self.clone())
    }

    /// Whether the sidecar is ready, and each check: cheap enough for a probe every second
    /// from anyone (it reads flags, the socket files' inodes and the cluster link's state,
    /// never the whole census).
    async fn readiness(&self) -> Readiness {
        let mut readiness = Readiness::default();
        readiness.check("accepting", !self.stopping.load(Ordering::Relaxed));
        readiness.check("unix_socket", self.sockets.iter().all(SocketFile::in_place));
        if self.redis {
            let subscribed = sidecast_ingest::metrics::METRICS.redis_is_subscribed();
            readiness.check("redis", subscribed);
        }
        let cluster = tokio::time::timeout(
            crate::vitals::CLUSTER_HEALTH_WITHIN,
            self.watch.hubs().cluster_health(),
        )
        .await;
        match cluster {
            Ok(None) => {}
            Ok(Some(health)) => readiness.check("cluster_redis", health.reachable),
            Err(_) => readiness.check("cluster_redis", false),
        }
        readiness
    }
}

/// What `/ready` answers, and `sidecast health` reads in the `stats` answer.
#[derive(Debug, Default, Serialize)]
struct Readiness {
    ready: bool,
    failing: Vec<&'static str>,
    checks: serde_json::Map<String, serde_json::Value>,
}

impl Readiness {
    fn check(&mut self, name: &'static str, ok: bool) {
        self.checks.insert(name.to_owned(), json!(ok));
        if !ok {
            self.failing.push(name);
        }
        self.ready = self.failing.is_empty();
    }
}

async fn up() -> Response {
    axum::Json(json!({ "status": "up" })).into_response()
}

async fn ready(State(admin): State<Admin>) -> Response {
    let readiness = admin.readiness().await;
    let status = if readiness.ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, axum::Json(readiness)).into_response()
}

async fn metrics(State(admin): State<Admin>) -> Response {
    let text = prometheus::render(admin.watch.vitals().await);
    ([(header::CONTENT_TYPE, prometheus::CONTENT_TYPE)], text).into_response()
}

async fn status(State(admin): State<Admin>) -> Response {
    let vitals = admin.watch.vitals().await;
    axum::Json(json!({ "vitals": vitals, "history": admin.watch.recent() })).into_response()
}

#[derive(Deserialize)]
struct KeyQuery {
    key: Option<String>,
}

/// Lets a request through only with the admin key.
async fn with_key(
    State(admin): State<Admin>,
    headers: HeaderMap,
    Query(query): Query<KeyQuery>,
    request: Request,
    next: Next,
) -> Response {
    let offered = sidecast_api::access::bearer(&headers).or(query.key);
    let Some(key) = &admin.key else {
        return (
            StatusCode::FORBIDDEN,
            "the dashboard needs an admin key: start the sidecar with --admin-key (SIDECAST_ADMIN_KEY)\n",
        )
            .into_response();
    };
    let allowed = offered.is_some_and(|offered| {
        sidecast_api::access::constant_time_eq(key.as_bytes(), offered.as_bytes())
    });
    if !allowed {
        return (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer")],
            "the admin key is needed: Authorization: Bearer <key>, or ?key=<key>\n",
        )
            .into_response();
    }
    next.run(request).await
}
