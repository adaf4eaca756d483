//! Pusher's webhooks: a POST of `{"time_ms": …, "events": [...]}` to each configured URL, with
//! `X-Pusher-Key` and `X-Pusher-Signature` (the hex HMAC-SHA256 of the body with the app's
//! secret), so that receivers written for Pusher, Soketi or Sockudo work unchanged. A failed
//! request is retried with backoff (not after a 4xx other than 408 and 429: the receiver
//! refuses it); one that still fails is dropped and counted. Each URL has a queue and a task of
//! its own: an endpoint that is down, slow or failing holds up only its own requests, never
//! delivery to clients nor the other URLs. A request keeps its `X-Sidecast-Webhook-Id` across
//! retries, so a receiver that answered too slowly can tell a repeat.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};
use sidecast_core::Transition;
use tokio::sync::mpsc;

use crate::metrics::METRICS;

/// Attempts per batch: the first and four retries, 0.5 s, 1 s, 2 s and 4 s apart.
const ATTEMPTS: u32 = 5;
const FIRST_RETRY: Duration = Duration::from_millis(500);
/// How long one request may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

/// Where webhooks go and how they are signed.
#[derive(Clone)]
pub struct Endpoint {
    pub url: String,
    pub key: String,
    pub secret: String,
}

impl std::fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Endpoint")
            .field("url", &sidecast_auth::host::redacted(&self.url))
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

/// One transition as Pusher writes it in a webhook.
pub fn event(transition: &Transition) -> Value {
    match transition {
        Transition::ChannelOccupied { channel } => {
            json!({ "name": "channel_occupied", "channel": channel.as_str() })
        }
        Transition::ChannelVacated { channel } => {
            json!({ "name": "channel_vacated", "channel": channel.as_str() })
        }
        Transition::MemberAdded { channel, user_id } => {
            json!({ "name": "member_added", "channel": channel.as_str(), "user_id": user_id })
        }
        Transition::MemberRemoved { channel, user_id } => {
            json!({ "name": "member_removed", "channel": channel.as_str(), "user_id": user_id })
        }
        Transition::ClientEvent {
            channel,
            event,
            payload,
            socket_id,
            user_id,
        } => {
            // Pusher sends the client's data as the string it was sent as.
            let mut value = json!({
                "name": "client_event",
                "channel": channel.as_str(),
                "event": event.as_str(),
                "data": payload.as_str(),
                "socket_id": socket_id.as_str(),
            });
            if let Some(user_id) = user_id {
                value["user_id"] = json!(user_id);
            }
            value
        }
        Transition::SubscriptionCount { channel, count } => json!({
            "name": "subscription_count",
            "channel": channel.as_str(),
            "subscription_count": count,
        }),
        Transition::UserConnected { user_id } => {
            json!({ "name": "user_connected", "user_id": user_id })
        }
        Transition::UserDisconnected { user_id } => {
            json!({ "name": "user_disconnected", "user_id": user_id })
        }
    }
}

/// The body of one webhook request.
pub fn body(events: &[Value]) -> String {
    json!({ "time_ms": now_ms(), "events": events }).to_string()
}

pub(crate) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_millis() as u64)
}

/// One request's worth of events, ready to send to every endpoint.
#[derive(Debug, Clone)]
pub(crate) struct Batch {
    id: Arc<str>,
    pub(crate) body: Arc<str>,
    pub(crate) events: usize,
}

impl Batch {
    pub(crate) fn new(events: Vec<Value>) -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        let body = body(&events);
        Batch {
            // Unique in this process, and the time tells processes apart.
            id: format!("{}-{}", now_ms(), NEXT.fetch_add(1, Ordering::Relaxed)).into(),
            body: body.into(),
            events: events.len(),
        }
    }
}

/// One endpoint's queue, bounded in requests (the channel) and in bytes.
#[derive(Debug)]
pub(crate) struct Queue {
    pub(crate) sender: mpsc::Sender<Batch>,
    pub(crate) bytes: Arc<AtomicUsize>,
}

impl Queue {
    /// Queues `batch`, or drops and counts it when the endpoint is that far behind.
    pub(crate) fn offer(&self, batch: Batch) {
        let size = batch.body.len();
        if self.bytes.load(Ordering::Relaxed) + size > crate::BYTES_QUEUED {
            METRICS.given_up(batch.events);
            return;
        }
        let events = batch.events;
        self.bytes.fetch_add(size, Ordering::Relaxed);
        if self.sender.try_send(batch).is_err() {
            self.bytes.fetch_sub(size, Ordering::Relaxed);
            METRICS.given_up(events);
        }
    }
}

/// Sends the requests `queued` to `endpoint` until the queue closes; `bytes` counts what it
/// holds.
pub(crate) async fn deliver(
    endpoint: Endpoint,
    mut queued: mpsc::Receiver<Batch>,
    bytes: Arc<AtomicUsize>,
) {
    let client = match reqwest::Client::builder()
        .no_proxy()
        .timeout(REQUEST_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .build()
    {
        Ok(client) => client,
        Err(error) => {
            tracing::error!(%error, "cannot make the webhook client; no webhook will be sent");
            return;
        }
    };
    let url = sidecast_auth::host::redacted(&endpoint.url);
    while let Some(batch) = queued.recv().await {
        send(&client, &endpoint, &url, &batch).await;
        bytes.fetch_sub(batch.body.len(), Ordering::Relaxed);
    }
}

/// One request, retried with backoff.
async fn send(client: &reqwest::Client, endpoint: &Endpoint, url: &str, batch: &Batch) {
    let signature = sidecast_auth::signature(&endpoint.secret, &batch.body);
    let mut wait = FIRST_RETRY;
    for attempt in 1..=ATTEMPTS {
        let sent = client
            .post(&endpoint.url)
            .header("Content-Type", "application/json")
            .header("X-Pusher-Key", &endpoint.key)
            .header("X-Pusher-Signature", &signature)
            .header("X-Sidecast-Webhook-Id", &*batch.id)
            .body(batch.body.to_string())
            .send()
            .await;
        let (failure, retry) = match sent {
            Ok(response) if response.status().is_success() => {
                METRICS.sent(batch.events);
                return;
            }
            Ok(response) => {
                let status = response.status();
                let refused = status.is_client_error() && !matches!(status.as_u16(), 408 | 429);
                (format!("it answered {status}"), !refused)
            }
            Err(error) => (error.without_url().to_string(), true),
        };
        METRICS.failed_attempt();
        if !retry || attempt == ATTEMPTS {
            METRICS.given_up(batch.events);
            tracing::warn!(%url, events = batch.events, %failure, attempts = attempt, "webhook dropped: the endpoint kept failing or refused it");
            return;
        }
        tracing::info!(%url, %failure, retry_in = ?wait, "webhook failed; retrying");
        tokio::time::sleep(wait).await;
        wait *= 2;
    }
}

#[cfg(test)]
mod tests {
    use sidecast_core::{ChannelName, EventName, Payload, SocketId};

    use super::*;

    #[test]
    fn events_are_written_as_pushers_webhooks_write_them() {
        let channel = || ChannelName::new("presence-room").unwrap();
        assert_eq!(
            event(&Transition::MemberAdded {
                channel: channel(),
                user_id: "7".into()
            }),
            json!({ "name": "member_added", "channel": "presence-room", "user_id": "7" })
        );
        let whisper = Transition::ClientEvent {
            channel: channel(),
            event: EventName::new("client-typing").unwrap(),
            payload: Payload::from_json(br#"{"typing":true}"#).unwrap(),
            socket_id: SocketId::new("123.456").unwrap(),
            user_id: Some("7".into()),
        };
        assert_eq!(
            event(&whisper),
            json!({
                "name": "client_event", "channel": "presence-room", "event": "client-typing",
                "data": "{\"typing\":true}", "socket_id": "123.456", "user_id": "7"
            })
        );
        assert_eq!(
            event(&Transition::SubscriptionCount {
                channel: channel(),
                count: 2
            }),
            json!({ "name": "subscription_count", "channel": "presence-room", "subscription_count": 2 })
        );
        assert_eq!(
            event(&Transition::UserDisconnected {
                user_id: "7".into()
            }),
            json!({ "name": "user_disconnected", "user_id": "7" })
        );
        let sent: Value = serde_json::from_str(&body(&[event(&whisper)])).unwrap();
        assert!(sent["time_ms"].as_u64().unwrap() > 1_700_000_000_000);
        assert_eq!(sent["events"][0]["name"], "client_event");
    }
}
