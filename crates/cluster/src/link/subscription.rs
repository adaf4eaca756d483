//! Listening to the bus: a pub/sub connection to one server (`SUBSCRIBE`), or sharded
//! channels of a Redis Cluster (`SSUBSCRIBE`, over RESP3). A master that stops serving a
//! slot (a failover) ends its subscriptions with an `SUNSUBSCRIBE` push: that, like a lost
//! connection, makes the caller subscribe anew.

use futures_util::StreamExt;
use redis::aio::{PubSubSink, PubSubStream};
use redis::cluster_async::ClusterConnection;
use redis::{PushInfo, PushKind, Value};
use tokio::sync::mpsc;

use super::LinkError;
use super::connect::{self, CONNECT_TIMEOUT};
use crate::config::RedisAddress;

pub(crate) enum Subscription {
    Server {
        sink: PubSubSink,
        stream: PubSubStream,
    },
    Cluster {
        connection: ClusterConnection,
        pushed: mpsc::UnboundedReceiver<PushInfo>,
        /// Confirmations still expected for the first subscription; one after that means
        /// the subscription was made again.
        confirmations: usize,
    },
}

/// What a subscription brings.
pub(crate) enum Heard {
    /// A message's payload.
    Message(Vec<u8>),
    /// The subscription was made again after a break: messages may have been missed.
    Resubscribed,
    /// The subscription is lost: open a new one.
    Lost,
}

impl Subscription {
    /// Subscribes to `channels`; also returns the server it went to (empty for a Redis
    /// Cluster).
    pub(crate) async fn open(
        address: &RedisAddress,
        channels: &[String],
    ) -> Result<(Self, String), LinkError> {
        let down = |error: redis::RedisError| LinkError::Down(error.to_string());
        let opening = async {
            if let RedisAddress::Cluster { nodes } = address {
                let (sender, pushed) = mpsc::unbounded_channel();
                let client = connect::cluster_subscriber(nodes, sender)?;
                let mut connection = client.get_async_connection().await.map_err(down)?;
                // One channel at a time: channels of different slots cannot share a command.
                for channel in channels {
                    connection.ssubscribe(channel).await.map_err(down)?;
                }
                let subscription = Subscription::Cluster {
                    connection,
                    pushed,
                    confirmations: channels.len(),
                };
                return Ok((subscription, String::new()));
            }
            let client = connect::server(address).await?;
            let server = client.get_connection_info().addr().to_string();
            let (mut sink, stream) = client.get_async_pubsub().await.map_err(down)?.split();
            sink.subscribe(channels).await.map_err(down)?;
            Ok((Subscription::Server { sink, stream }, server))
        };
        tokio::time::timeout(CONNECT_TIMEOUT * 3, opening)
            .await
            .map_err(|_| LinkError::Down("no subscription within 3 s".into()))?
    }

    /// The next thing heard.
    pub(crate) async fn next(&mut self) -> Heard {
        match self {
            Subscription::Server { stream, .. } => match stream.next().await {
                Some(message) => Heard::Message(message.get_payload_bytes().to_vec()),
                None => Heard::Lost,
            },
            Subscription::Cluster {
                pushed,
                confirmations,
                ..
            } => loop {
                let Some(push) = pushed.recv().await else {
                    return Heard::Lost;
                };
                match push.kind {
                    PushKind::SMessage | PushKind::Message => {
                        if let Some(Value::BulkString(payload)) = push.data.get(1) {
                            return Heard::Message(payload.clone());
                        }
                    }
                    PushKind::SSubscribe if *confirmations > 0 => *confirmations -= 1,
                    PushKind::SSubscribe => return Heard::Resubscribed,
                    // A master that lost a slot (failover, resharding) ends the subscriptions
                    // of its channels; a new subscription finds the new owners.
                    PushKind::SUnsubscribe | PushKind::Disconnection => return Heard::Lost,
                    _ => {}
                }
            },
        }
    }

    /// Whether the connection still answers.
    pub(crate) async fn ping(&mut self) -> bool {
        let answered = match self {
            Subscription::Server { sink, .. } => {
                tokio::time::timeout(CONNECT_TIMEOUT * 2, sink.ping::<Value>()).await
            }
            Subscription::Cluster { connection, .. } => {
                tokio::time::timeout(
                    CONNECT_TIMEOUT * 2,
                    redis::cmd("PING").query_async::<Value>(connection),
                )
                .await
            }
        };
        matches!(answered, Ok(Ok(_)))
    }
}
