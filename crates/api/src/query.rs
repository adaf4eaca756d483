//! The read-only routes: the server's status, its channels, one channel, a presence channel's
//! users — with laravel-echo-server's answers, or Pusher's to a signed request (only the
//! `info` asked for: `user_count`, `subscription_count`, and `cache` for a cache channel). In
//! a cluster an answer that lacks some nodes' part says so in a header,
//! `X-Sidecast-Missing-Nodes`, leaving the body as clients expect it.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderName, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};
use sidecast_core::{ChannelInfo, ChannelKind, ChannelName, Gathered};

use crate::access::{Admitted, Caller};
use crate::params::parameter;
use crate::{Api, Failure};

const MISSING_NODES: HeaderName = HeaderName::from_static("x-sidecast-missing-nodes");

/// A JSON answer, with the missing-nodes header when some nodes' part is missing.
pub(crate) fn answer(missing_nodes: usize, body: Value) -> Response {
    let mut response = Json(body).into_response();
    if missing_nodes > 0 {
        response
            .headers_mut()
            .insert(MISSING_NODES, missing_nodes.into());
    }
    response
}

pub(crate) async fn status(
    State(api): State<Arc<Api>>,
    Path(_app_id): Path<String>,
    admitted: Admitted,
) -> Result<Response, Failure> {
    let totals = admitted.target.census.totals().await;
    let mut body = json!({
        "subscription_count": totals.value.connections,
        "uptime": api.started.elapsed().as_secs(),
        "memory_usage": { "rss": resident_bytes() },
    });
    if let Some(cluster) = totals.value.cluster {
        body["cluster"] = json!(cluster);
    }
    Ok(answer(totals.missing_nodes, body))
}

pub(crate) async fn channels(
    Path(_app_id): Path<String>,
    RawQuery(query): RawQuery,
    admitted: Admitted,
) -> Result<Response, Failure> {
    let prefix = parameter(query.as_deref(), "filter_by_prefix").unwrap_or_default();
    let info = Info::asked(query.as_deref());
    let gathered = admitted.target.census.channels(&prefix).await;
    let channels: Map<String, Value> = gathered
        .value
        .into_iter()
        .map(|(name, channel)| {
            let entry = match admitted.caller {
                Caller::EchoServer => {
                    json!({ "subscription_count": channel.subscription_count, "occupied": true })
                }
                Caller::Pusher => info.attributes(&name, channel),
            };
            (name.to_string(), entry)
        })
        .collect();
    Ok(answer(
        gathered.missing_nodes,
        json!({ "channels": channels }),
    ))
}

pub(crate) async fn channel(
    Path((_app_id, channel)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    admitted: Admitted,
) -> Result<Response, Failure> {
    let channel = channel_name(&channel)?;
    let Gathered {
        value: channel_info,
        missing_nodes,
    } = admitted.target.census.channel(&channel).await;
    let presence = channel.kind() == ChannelKind::Presence;
    let occupied = channel_info.subscription_count > 0;
    let body = match admitted.caller {
        Caller::EchoServer => {
            let mut body = json!({
                "subscription_count": channel_info.subscription_count,
                "occupied": occupied,
            });
            if presence {
                body["user_count"] = json!(channel_info.user_count.unwrap_or(0));
            }
            body
        }
        Caller::Pusher => {
            let info = Info::asked(query.as_deref());
            let mut body = info.attributes(&channel, channel_info);
            body["occupied"] = json!(occupied);
            // This node's: every node keeps the last events it received.
            if let Some(cached) = info
                .cache
                .then(|| admitted.target.hub.cached_event(&channel))
                .flatten()
            {
                body["cache"] = json!({
                    "event": cached.event.as_str(),
                    "data": cached.payload.as_str(),
                    "ttl": cached.ttl.as_secs(),
                });
            }
            body
        }
    };
    Ok(answer(missing_nodes, body))
}

/// What a Pusher request's `info` parameter asks for.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Info {
    pub user_count: bool,
    pub subscription_count: bool,
    /// A cache channel's last event (one channel's query only).
    pub cache: bool,
}

impl Info {
    fn asked(query: Option<&str>) -> Self {
        Info::listed(&parameter(query, "info").unwrap_or_default())
    }

    /// From the comma-separated list itself: `user_count,subscription_count`.
    pub(crate) fn listed(list: &str) -> Self {
        let has = |name: &str| list.split(',').any(|item| item.trim() == name);
        Info {
            user_count: has("user_count"),
            subscription_count: has("subscription_count"),
            cache: has("cache"),
        }
    }

    pub(crate) fn any(self) -> bool {
        self.user_count || self.subscription_count
    }

    /// The attributes asked for of a channel: its subscription count, and its user count if it
    /// is a presence channel.
    pub(crate) fn attributes(self, channel: &ChannelName, info: ChannelInfo) -> Value {
        let mut attributes = Map::new();
        if self.subscription_count {
            attributes.insert("subscription_count".into(), json!(info.subscription_count));
        }
        if self.user_count && channel.kind() == ChannelKind::Presence {
            attributes.insert("user_count".into(), json!(info.user_count.unwrap_or(0)));
        }
        Value::Object(attributes)
    }
}

pub(crate) async fn users(
    Path((_app_id, channel)): Path<(String, String)>,
    admitted: Admitted,
) -> Result<Response, Failure> {
    let channel = channel_name(&channel)?;
    if channel.kind() != ChannelKind::Presence {
        return Err(Failure::new(
            StatusCode::BAD_REQUEST,
            "User list is only possible for Presence Channels",
        ));
    }
    let gathered = admitted.target.census.members(&channel).await;
    let users: Vec<Value> = gathered
        .value
        .iter()
        .map(|member| match admitted.caller {
            Caller::EchoServer => {
                let info: Value =
                    serde_json::from_str(member.user_info().get()).unwrap_or(Value::Null);
                json!({ "id": member.user_id(), "user_info": info })
            }
            // Pusher's ids are strings.
            Caller::Pusher => match member.user_id() {
                Value::String(id) => json!({ "id": id }),
                other => json!({ "id": other.to_string() }),
            },
        })
        .collect();
    Ok(answer(gathered.missing_nodes, json!({ "users": users })))
}

fn channel_name(name: &str) -> Result<ChannelName, Failure> {
    ChannelName::new(name).map_err(|e| Failure::new(StatusCode::BAD_REQUEST, e.to_string()))
}

/// This process's resident memory, from /proc (0 where that is not available). Linux counts
/// it in pages of 4 KiB on the platforms sidecast is built for.
fn resident_bytes() -> u64 {
    let pages = std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|statm| statm.split_whitespace().nth(1)?.parse::<u64>().ok())
        .unwrap_or(0);
    pages * 4096
}
