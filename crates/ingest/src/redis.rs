//! Events from Laravel's stock `redis` broadcaster, as laravel-echo-server took them.
//!
//! Laravel publishes each event on `<prefix><channel>` (the Redis connection's key prefix,
//! `laravel_database_` by default) with `{"event": …, "data": …, "socket": …}`. This subscriber
//! pattern-subscribes to `<prefix>*`, strips the prefix and hands the event to the hub,
//! excluding the `socket` for `toOthers()`. A message that is not such JSON, or larger than the
//! limit every way in has (`--max-frame-bytes`), is skipped with a warning. When Redis goes away
//! the subscriber reconnects with backoff and subscribes again; clients stay connected
//! meanwhile.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use redis::{ConnectionAddr, IntoConnectionInfo, RedisConnectionInfo};
use serde::Deserialize;
use serde_json::value::RawValue;
use sidecast_core::{
    ChannelName, EventName, Hub, LogLimit, Origin, Payload, Publication, SocketId,
};

use crate::metrics::METRICS;

/// Where Redis is and which channels are Laravel's.
#[derive(Debug, Clone)]
pub struct RedisSource {
    pub host: String,
    pub port: u16,
    pub password: Option<String>,
    pub db: i64,
    /// Laravel's Redis key prefix; also the prefix of its broadcast channels.
    pub key_prefix: String,
    /// Largest message taken, in bytes; the Unix socket's and the HTTP API's limit.
    pub max_message_bytes: usize,
}

/// Longest wait between reconnection attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(5);
/// How long one connection attempt may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Subscribes until `shutdown` completes, reconnecting whenever the connection is lost.
pub async fn subscribe(source: RedisSource, hub: Arc<Hub>, shutdown: impl Future<Output = ()>) {
    tokio::pin!(shutdown);
    let mut backoff = Duration::from_millis(100);
    loop {
        let outcome = tokio::select! {
            () = &mut shutdown => return,
            outcome = listen(&source, &hub) => outcome,
        };
        METRICS.redis_subscribed(false);
        match outcome {
            Ok(()) => {
                METRICS.redis_connection_losses.inc();
                tracing::warn!(host = %source.host, port = source.port, "lost the connection to Redis; reconnecting");
                backoff = Duration::from_millis(100);
            }
            Err(error) => {
                METRICS.redis_failed_attempts.inc();
                tracing::warn!(
                    host = %source.host,
                    port = source.port,
                    %error,
                    retry_in = ?backoff,
                    "cannot subscribe to Redis",
                );
            }
        }
        tokio::select! {
            () = &mut shutdown => return,
            () = tokio::time::sleep(backoff) => {}
        }
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

/// One connection's life: connect, subscribe, hand over messages until the stream ends.
async fn listen(source: &RedisSource, hub: &Hub) -> Result<(), String> {
    let mut settings = RedisConnectionInfo::default().set_db(source.db);
    if let Some(password) = &source.password {
        settings = settings.set_password(password);
    }
    let info = ConnectionAddr::Tcp(source.host.clone(), source.port)
        .into_connection_info()
        .map_err(|e| e.to_string())?
        .set_redis_settings(settings);
    let client = redis::Client::open(info).map_err(|e| e.to_string())?;
    let mut pubsub = match tokio::time::timeout(CONNECT_TIMEOUT, client.get_async_pubsub()).await {
        Ok(connected) => connected.map_err(|e| e.to_string())?,
        Err(_) => return Err(silence(&source.host, source.port).await),
    };
    let pattern = format!("{}*", source.key_prefix);
    pubsub
        .psubscribe(&pattern)
        .await
        .map_err(|e| e.to_string())?;
    METRICS.redis_subscribed(true);
    tracing::info!(host = %source.host, port = source.port, %pattern, "subscribed to Redis");
    let mut messages = pubsub.on_message();
    let skipped_log = LogLimit::default();
    while let Some(message) = messages.next().await {
        let channel = message.get_channel_name();
        let payload = message.get_payload_bytes();
        if payload.len() > source.max_message_bytes {
            METRICS.redis_too_large.inc();
            if let Some(held_back) = skipped_log.check() {
                tracing::warn!(
                    redis_channel = channel,
                    bytes = payload.len(),
                    limit = source.max_message_bytes,
                    like_this_since_last_line = held_back,
                    "Redis message skipped: larger than the limit (--max-frame-bytes)"
                );
            }
            continue;
        }
        match publication(&source.key_prefix, channel, payload) {
            Ok(publication) => {
                METRICS.redis_events.inc();
                hub.publish(&publication);
            }
            Err(reason) => {
                METRICS.redis_malformed.inc();
                tracing::warn!(redis_channel = channel, %reason, "Redis message skipped")
            }
        }
    }
    Ok(())
}

/// Why no Redis connection came within the timeout, as far as a plain TCP connection tells:
/// nothing accepted it, or something did but never answered as Redis.
async fn silence(host: &str, port: u16) -> String {
    match tokio::time::timeout(
        Duration::from_secs(1),
        tokio::net::TcpStream::connect((host, port)),
    )
    .await
    {
        Ok(Ok(_)) => format!(
            "{host}:{port} accepted a TCP connection but did not answer as Redis within {CONNECT_TIMEOUT:?} (is something else listening there, or does it expect TLS?)"
        ),
        Ok(Err(error)) => format!("cannot open a TCP connection to {host}:{port}: {error}"),
        Err(_) => format!("no TCP connection to {host}:{port} within {CONNECT_TIMEOUT:?}"),
    }
}

/// What Laravel's `RedisBroadcaster` publishes.
#[derive(Deserialize)]
struct LaravelMessage {
    event: String,
    #[serde(default)]
    data: Option<Box<RawValue>>,
    #[serde(default)]
    socket: Option<String>,
}

/// The publication a Redis message stands for.
pub fn publication(
    prefix: &str,
    redis_channel: &str,
    payload: &[u8],
) -> Result<Publication, String> {
    let channel = redis_channel.strip_prefix(prefix).unwrap_or(redis_channel);
    let message: LaravelMessage = serde_json::from_slice(payload)
        .map_err(|e| format!("not a Laravel broadcast message: {e}"))?;
    let data = match message.data {
        Some(data) => data,
        None => RawValue::from_string("null".to_owned()).map_err(|e| e.to_string())?,
    };
    Ok(Publication {
        channels: vec![ChannelName::new(channel).map_err(|e| e.to_string())?],
        event: EventName::new(&message.event).map_err(|e| e.to_string())?,
        payload: Payload::from_raw(data),
        except: match message.socket.as_deref() {
            None | Some("") => None,
            Some(socket) => Some(SocketId::new(socket).map_err(|e| e.to_string())?),
        },
        // Every node of a cluster subscribes to Laravel's channels itself.
        origin: Origin::EveryNode,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_server_that_accepts_but_never_answers_is_told_apart_from_none() {
        let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = silent.local_addr().unwrap().port();
        let accepting = tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((stream, _)) = silent.accept().await {
                held.push(stream);
            }
        });
        let source = RedisSource {
            host: "127.0.0.1".into(),
            port,
            password: None,
            db: 0,
            key_prefix: String::new(),
            max_message_bytes: 1024,
        };
        let error = listen(&source, &Hub::new()).await.unwrap_err();
        assert!(
            error.contains("accepted a TCP connection but did not answer as Redis"),
            "{error}"
        );
        accepting.abort();

        let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = closed.local_addr().unwrap().port();
        drop(closed);
        let error = silence("127.0.0.1", port).await;
        assert!(error.contains("cannot open a TCP connection"), "{error}");
    }

    #[test]
    fn laravels_message_becomes_a_publication_on_the_unprefixed_channel() {
        let body = br#"{"event":"App\\Events\\OrderShipped","data":{"id":1,"socket":"abc"},"socket":"abc"}"#;
        let shipped = publication(
            "laravel_database_",
            "laravel_database_private-orders.1",
            body,
        )
        .unwrap();
        assert_eq!(shipped.channels[0].as_str(), "private-orders.1");
        assert_eq!(shipped.event.as_str(), "App\\Events\\OrderShipped");
        assert_eq!(shipped.payload.as_str(), r#"{"id":1,"socket":"abc"}"#);
        assert_eq!(shipped.except.as_ref().map(SocketId::as_str), Some("abc"));

        let plain = publication(
            "",
            "orders",
            br#"{"event":"E","data":"text","socket":null}"#,
        )
        .unwrap();
        assert_eq!(
            (
                plain.channels[0].as_str(),
                plain.payload.as_str(),
                plain.except.is_none()
            ),
            ("orders", "\"text\"", true)
        );
    }

    #[test]
    fn other_messages_are_refused_with_a_reason() {
        for (body, reason) in [
            (&b"hello"[..], "not a Laravel broadcast message"),
            (br#"{"data":{}}"#, "not a Laravel broadcast message"),
            (br#"{"event":"","data":{}}"#, "event name is empty"),
            (
                br#"{"event":"E","data":{},"socket":5}"#,
                "not a Laravel broadcast message",
            ),
        ] {
            let error = publication("", "orders", body).unwrap_err();
            assert!(error.contains(reason), "{error}");
        }
    }
}
