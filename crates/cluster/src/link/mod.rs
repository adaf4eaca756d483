//! The connection to Redis that commands go over, kept open and re-opened when it breaks.
//!
//! Every (re)connection asks Sentinel for the current master first, so a failover is
//! followed. While Redis cannot be reached, a command fails at once instead of waiting for a
//! connection attempt (at most a moment, when another caller is connecting), and attempts are
//! spaced out with a growing backoff: a node keeps serving its own clients, and asks again
//! shortly.
//!
//! - `connect`: how Redis is reached (one server, Sentinel's master, a Redis Cluster).
//! - `subscription`: the bus, as pub/sub or a Redis Cluster's sharded pub/sub.

mod connect;
mod subscription;

use std::time::Duration;

use redis::{Cmd, ConnectionAddr, RedisError, Value};
use tokio::sync::{Mutex, Notify, watch};
use tokio::time::Instant;

pub(crate) use connect::Connection;
pub(crate) use subscription::{Heard, Subscription};

use crate::config::RedisAddress;

/// How long a command waits for another caller's connection attempt before failing.
const CONNECTING_WAIT: Duration = Duration::from_millis(250);
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
    /// Woken when a connection attempt ends.
    settled: Notify,
}

enum State {
    Up(Connection),
    /// A caller is connecting, without the lock held.
    Connecting,
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
            settled: Notify::new(),
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
        F: FnOnce(Connection) -> Fut,
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

    /// Subscribes to `channels` on the current master (or the Redis Cluster), and returns
    /// that master's address (empty for a Redis Cluster).
    pub(crate) async fn subscribe(
        &self,
        channels: &[String],
    ) -> Result<(Subscription, String), LinkError> {
        Subscription::open(&self.address, channels).await
    }

    /// Whether the cluster's Redis is a Redis Cluster, whose pub/sub is sharded and whose
    /// multi-key commands must stay within one slot.
    pub(crate) fn is_sharded(&self) -> bool {
        matches!(self.address, RedisAddress::Cluster { .. })
    }

    /// Runs independent commands: one pipeline to one server; on a Redis Cluster one request
    /// each (their keys may live in different slots), all at once.
    pub(crate) async fn each<T: redis::FromRedisValue>(
        &self,
        commands: Vec<Cmd>,
    ) -> Result<Vec<T>, LinkError> {
        if commands.is_empty() {
            return Ok(Vec::new());
        }
        let sharded = self.is_sharded();
        self.run(|connection| async move {
            if !sharded {
                let mut pipeline = redis::pipe();
                for command in commands {
                    pipeline.add_command(command);
                }
                let mut connection = connection;
                return pipeline.query_async(&mut connection).await;
            }
            let requests = commands.into_iter().map(|command| {
                let mut connection = connection.clone();
                async move { command.query_async::<Value>(&mut connection).await }
            });
            futures_util::future::try_join_all(requests)
                .await?
                .into_iter()
                .map(|value| redis::from_redis_value(value).map_err(RedisError::from))
                .collect()
        })
        .await
    }

    /// The server commands went to last: a subscription to another one (the master before a
    /// failover) hears nothing of what is published now.
    pub(crate) fn server(&self) -> String {
        self.server
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    async fn connection(&self) -> Result<Connection, LinkError> {
        let (backoff, reason) = {
            let mut state = self.state.lock().await;
            match &*state {
                State::Up(connection) => return Ok(connection.clone()),
                State::Connecting => {
                    // Another caller is connecting: wait a moment for it, not for as long as
                    // asking every Sentinel may take.
                    let settled = self.settled.notified();
                    tokio::pin!(settled);
                    settled.as_mut().enable();
                    drop(state);
                    let _ = tokio::time::timeout(CONNECTING_WAIT, settled).await;
                    return match &*self.state.lock().await {
                        State::Up(connection) => Ok(connection.clone()),
                        _ => Err(LinkError::Down("connecting".into())),
                    };
                }
                State::Down {
                    retry_at,
                    backoff,
                    reason,
                } => {
                    if Instant::now() < *retry_at {
                        return Err(LinkError::Down(reason.clone()));
                    }
                    let attempt = (*backoff, reason.clone());
                    *state = State::Connecting;
                    attempt
                }
            }
        };
        let outcome = connect::commands(&self.address).await;
        let mut state = self.state.lock().await;
        let result = match outcome {
            Ok((connection, server)) => {
                *self
                    .server
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner) = server;
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
        };
        self.settled.notify_waiters();
        result
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
        let Ok((host, port)) = connect::ask_sentinels(sentinels, master).await else {
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
