//! Reaching the cluster's Redis: one server, the master Sentinel names (checked to be one),
//! or a Redis Cluster. The connection commands go over, and the one subscriptions go over.

use std::time::Duration;

use redis::aio::{ConnectionLike, MultiplexedConnection};
use redis::cluster::ClusterClient;
use redis::cluster_async::ClusterConnection;
use redis::{
    AsyncConnectionConfig, Client, Cmd, ConnectionAddr, IntoConnectionInfo, Pipeline,
    ProtocolVersion, RedisError, RedisFuture, Value,
};

use super::LinkError;
use crate::config::RedisAddress;

/// How long one connection attempt may take.
pub(super) const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);
/// How long one command may take before the connection counts as broken.
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(2);

/// A connection commands go over: to one server, or to every master of a Redis Cluster (each
/// command goes to the master of its keys' slot).
#[derive(Clone)]
pub(crate) enum Connection {
    Server(MultiplexedConnection),
    Cluster(ClusterConnection),
}

impl ConnectionLike for Connection {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match self {
            Connection::Server(connection) => connection.req_packed_command(cmd),
            Connection::Cluster(connection) => connection.req_packed_command(cmd),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        match self {
            Connection::Server(connection) => {
                connection.req_packed_commands(pipeline, offset, count)
            }
            Connection::Cluster(connection) => {
                connection.req_packed_commands(pipeline, offset, count)
            }
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            Connection::Server(connection) => connection.get_db(),
            Connection::Cluster(connection) => connection.get_db(),
        }
    }
}

/// A connection for commands, and the server it went to (empty for a Redis Cluster).
pub(super) async fn commands(address: &RedisAddress) -> Result<(Connection, String), LinkError> {
    let down = |error: RedisError| LinkError::Down(error.to_string());
    if let RedisAddress::Cluster { nodes } = address {
        let client = ClusterClient::builder(nodes.iter().map(String::as_str))
            .connection_timeout(CONNECT_TIMEOUT)
            .response_timeout(RESPONSE_TIMEOUT)
            .build()
            .map_err(down)?;
        let connection = client.get_async_connection().await.map_err(down)?;
        return Ok((Connection::Cluster(connection), String::new()));
    }
    let client = server(address).await?;
    let server = client.get_connection_info().addr().to_string();
    let config = AsyncConnectionConfig::new()
        .set_connection_timeout(Some(CONNECT_TIMEOUT))
        .set_response_timeout(Some(RESPONSE_TIMEOUT));
    let mut connection = client
        .get_multiplexed_async_connection_with_config(&config)
        .await
        .map_err(down)?;
    if matches!(address, RedisAddress::Sentinel { .. }) {
        // Sentinel may still name a master that is being demoted: check, as Sentinel's
        // client guidelines ask.
        let role: Vec<Value> = redis::cmd("ROLE")
            .query_async(&mut connection)
            .await
            .map_err(down)?;
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
    Ok((Connection::Server(connection), server))
}

/// A client for one server: the one named, or the master Sentinel names now.
pub(super) async fn server(address: &RedisAddress) -> Result<Client, LinkError> {
    let down = |error: RedisError| LinkError::Down(error.to_string());
    match address {
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
        RedisAddress::Cluster { .. } => Err(LinkError::Down(
            "a Redis Cluster has no single server".into(),
        )),
    }
}

/// A client for subscribing to a Redis Cluster's sharded channels: RESP3, messages pushed to
/// `pushed`.
pub(super) fn cluster_subscriber(
    nodes: &[String],
    pushed: tokio::sync::mpsc::UnboundedSender<redis::PushInfo>,
) -> Result<ClusterClient, LinkError> {
    ClusterClient::builder(nodes.iter().map(String::as_str))
        .connection_timeout(CONNECT_TIMEOUT)
        .response_timeout(RESPONSE_TIMEOUT)
        .use_protocol(ProtocolVersion::RESP3)
        .push_sender(pushed)
        .build()
        .map_err(|error| LinkError::Down(error.to_string()))
}

/// The master's address, from the first Sentinel that knows it.
pub(super) async fn ask_sentinels(
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
