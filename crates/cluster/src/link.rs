//! The connection to Redis that commands go over, kept open and re-opened when it breaks.
//!
//! Every (re)connection asks Sentinel for the current master first, so a failover is
//! followed. While Redis cannot be reached, a command fails at once instead of waiting for a
//! connection attempt, and attempts are spaced out with a growing backoff: a node keeps
//! serving its own clients, and asks again shortly.

use std::time::Duration;

use redis::aio::{MultiplexedConnection, PubSub};
use redis::{AsyncConnectionConfig, Client, ConnectionAddr, IntoConnectionInfo, RedisError};
use tokio::sync::{Mutex, watch};
use tokio::time::Instant;

use crate::config::RedisAddress;

/// How long one connection attempt may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);
/// How long one command may take before the connection counts as broken.
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(2);
const FIRST_BACKOFF: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(2);

/// Why Redis could not be used.
#[derive(Debug, Clone, thiserror::Error)]
pub(crate) enum LinkError {
    #[error("Redis is unreachable ({0}); next attempt soon")]
    Down(String),
    #[error("{0}")]
    Command(String),
}

pub(crate) struct Link {
    address: RedisAddress,
    state: Mutex<State>,
    /// The server the command connection went to last (Sentinel's master of the moment).
    server: std::sync::Mutex<String>,
    /// Counts connections made: what was written just before a connection broke may be lost
    /// (a failover discards what the old master took after the last sync), so whoever keeps
    /// state in Redis checks it again when this changes.
    connections: watch::Sender<u64>,
}

enum State {
    Up(MultiplexedConnection),
    Down {
        retry_at: Instant,
        backoff: Duration,
        reason: String,
    },
}

impl Link {
    pub(crate) fn new(address: RedisAddress) -> Self {
        Link {
            address,
            server: std::sync::Mutex::new(String::new()),
            connections: watch::Sender::new(0),
            state: Mutex::new(State::Down {
                retry_at: Instant::now(),
                backoff: FIRST_BACKOFF,
                reason: "not connected yet".to_owned(),
            }),
        }
    }

    /// Runs `command` on the connection, connecting first if needed. A connection that fails
    /// is dropped, so the next command reconnects.
    pub(crate) async fn run<T, F, Fut>(&self, command: F) -> Result<T, LinkError>
    where
        F: FnOnce(MultiplexedConnection) -> Fut,
        Fut: Future<Output = Result<T, RedisError>>,
    {
        let connection = self.connection().await?;
        match command(connection).await {
            Ok(value) => Ok(value),
            Err(error) if broken(&error) => {
                self.broke(&error).await;
                Err(LinkError::Down(error.to_string()))
            }
            Err(error) => Err(LinkError::Command(error.to_string())),
        }
    }

    /// Changes with every new connection.
    pub(crate) fn connections(&self) -> watch::Receiver<u64> {
        self.connections.subscribe()
    }

    /// Whether the last attempt found Redis.
    pub(crate) async fn is_up(&self) -> bool {
        matches!(*self.state.lock().await, State::Up(_))
    }

    /// A new connection for subscribing, to the current master, and that master's address.
    pub(crate) async fn pubsub(&self) -> Result<(PubSub, String), LinkError> {
        let client = self.client().await?;
        let server = client.get_connection_info().addr().to_string();
        let pubsub = tokio::time::timeout(CONNECT_TIMEOUT, client.get_async_pubsub())
            .await
            .map_err(|_| LinkError::Down(format!("no connection within {CONNECT_TIMEOUT:?}")))?
            .map_err(|error| LinkError::Down(error.to_string()))?;
        Ok((pubsub, server))
    }

    /// The server commands went to last: a subscription to another one (the master before a
    /// failover) hears nothing of what is published now.
    pub(crate) fn server(&self) -> String {
        self.server
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    async fn connection(&self) -> Result<MultiplexedConnection, LinkError> {
        let mut state = self.state.lock().await;
        let (backoff, reason) = match &*state {
            State::Up(connection) => return Ok(connection.clone()),
            State::Down {
                retry_at,
                backoff,
                reason,
            } => {
                if Instant::now() < *retry_at {
                    return Err(LinkError::Down(reason.clone()));
                }
                (*backoff, reason.clone())
            }
        };
        match self.connect().await {
            Ok(connection) => {
                if reason != "not connected yet" {
                    tracing::info!(redis = %self.address.describe(), "connected to the cluster's Redis again");
                }
                *state = State::Up(connection.clone());
                self.connections.send_modify(|count| *count += 1);
                Ok(connection)
            }
            Err(error) => {
                if reason == "not connected yet" || backoff == MAX_BACKOFF / 2 {
                    tracing::warn!(redis = %self.address.describe(), %error, "cannot reach the cluster's Redis; serving this node's clients meanwhile");
                }
                *state = State::Down {
                    retry_at: Instant::now() + backoff,
                    backoff: (backoff * 2).min(MAX_BACKOFF),
                    reason: error.to_string(),
                };
                Err(error)
            }
        }
    }

    /// With Sentinel: asks whether the master is still the one commands go to, and drops
    /// the connection if not. After a failover the old master may take writes for seconds
    /// before Sentinel demotes it, and what it takes then is lost.
    pub(crate) async fn follow_failover(&self) {
        let RedisAddress::Sentinel {
            sentinels, master, ..
        } = &self.address
        else {
            return;
        };
        let Ok((host, port)) = ask_sentinels(sentinels, master).await else {
            return;
        };
        let named = ConnectionAddr::Tcp(host, port).to_string();
        let current = self.server();
        if !current.is_empty() && current != named {
            let mut state = self.state.lock().await;
            if matches!(*state, State::Up(_)) {
                tracing::warn!(from = %current, to = %named, "Sentinel names another master; moving to it");
                *state = State::Down {
                    retry_at: Instant::now(),
                    backoff: FIRST_BACKOFF,
                    reason: "the master changed".to_owned(),
                };
            }
        }
    }

    async fn broke(&self, error: &RedisError) {
        let mut state = self.state.lock().await;
        if matches!(*state, State::Up(_)) {
            tracing::warn!(redis = %self.address.describe(), %error, "lost the connection to the cluster's Redis");
            *state = State::Down {
                retry_at: Instant::now(),
                backoff: FIRST_BACKOFF,
                reason: error.to_string(),
            };
        }
    }

    async fn connect(&self) -> Result<MultiplexedConnection, LinkError> {
        let client = self.client().await?;
        *self
            .server
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) =
            client.get_connection_info().addr().to_string();
        let config = AsyncConnectionConfig::new()
            .set_connection_timeout(Some(CONNECT_TIMEOUT))
            .set_response_timeout(Some(RESPONSE_TIMEOUT));
        let mut connection = client
            .get_multiplexed_async_connection_with_config(&config)
            .await
            .map_err(|error| LinkError::Down(error.to_string()))?;
        if matches!(self.address, RedisAddress::Sentinel { .. }) {
            // Sentinel may still name a master that is being demoted: check, as Sentinel's
            // client guidelines ask.
            let role: Vec<redis::Value> = redis::cmd("ROLE")
                .query_async(&mut connection)
                .await
                .map_err(|error| LinkError::Down(error.to_string()))?;
            let is_master = role
                .first()
                .and_then(|role| redis::from_redis_value_ref::<String>(role).ok())
                .is_some_and(|role| role == "master");
            if !is_master {
                return Err(LinkError::Down(
                    "Sentinel named a server that is not a master (a failover is under way)".into(),
                ));
            }
        }
        Ok(connection)
    }

    /// A client for the current master.
    async fn client(&self) -> Result<Client, LinkError> {
        let down = |error: RedisError| LinkError::Down(error.to_string());
        match &self.address {
            RedisAddress::Server(url) => Client::open(url.as_str()).map_err(down),
            RedisAddress::Sentinel {
                sentinels,
                master,
                template,
            } => {
                let (host, port) = ask_sentinels(sentinels, master).await?;
                let info = template.as_str().into_connection_info().map_err(down)?;
                let addr = match info.addr() {
                    ConnectionAddr::TcpTls {
                        insecure,
                        tls_params,
                        ..
                    } => ConnectionAddr::TcpTls {
                        host,
                        port,
                        insecure: *insecure,
                        tls_params: tls_params.clone(),
                    },
                    _ => ConnectionAddr::Tcp(host, port),
                };
                Client::open(info.set_addr(addr)).map_err(down)
            }
        }
    }
}

/// The master's address, from the first Sentinel that knows it.
async fn ask_sentinels(
    sentinels: &[(String, u16)],
    master: &str,
) -> Result<(String, u16), LinkError> {
    let mut reasons = Vec::new();
    for (host, port) in sentinels {
        let asked = async {
            let client = Client::open(ConnectionAddr::Tcp(host.clone(), *port))?;
            let mut connection = client.get_multiplexed_async_connection().await?;
            redis::cmd("SENTINEL")
                .arg("get-master-addr-by-name")
                .arg(master)
                .query_async::<Option<(String, u16)>>(&mut connection)
                .await
        };
        match tokio::time::timeout(CONNECT_TIMEOUT, asked).await {
            Ok(Ok(Some(address))) => return Ok(address),
            Ok(Ok(None)) => reasons.push(format!("{host}:{port} knows no master {master}")),
            Ok(Err(error)) => reasons.push(format!("{host}:{port}: {error}")),
            Err(_) => reasons.push(format!("{host}:{port}: no answer")),
        }
    }
    Err(LinkError::Down(format!(
        "no Sentinel gave the master's address: {}",
        reasons.join("; ")
    )))
}

/// Whether an error means the connection cannot be used any more: also `READONLY`, which a
/// former master answers after a failover, and `LOADING`, from a restarting server.
fn broken(error: &RedisError) -> bool {
    error.is_io_error()
        || error.is_connection_dropped()
        || error.is_timeout()
        || error.is_unrecoverable_error()
        || matches!(error.code(), Some("READONLY" | "LOADING" | "MASTERDOWN"))
}
