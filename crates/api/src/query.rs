//! The read-only routes: the server's status, its channels, one channel, a presence channel's
//! users — with laravel-echo-server's answers.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use serde_json::{Map, Value, json};
use sidecast_core::{ChannelKind, ChannelName};

use crate::params::parameter;
use crate::{Api, Failure, access};

pub(crate) async fn status(
    State(api): State<Arc<Api>>,
    Path(app_id): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Json<Value>, Failure> {
    access::check(&api.config.clients, &app_id, &headers, query.as_deref())?;
    Ok(Json(json!({
        "subscription_count": api.hub.connection_count(),
        "uptime": api.started.elapsed().as_secs(),
        "memory_usage": { "rss": resident_bytes() },
    })))
}

pub(crate) async fn channels(
    State(api): State<Arc<Api>>,
    Path(app_id): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Json<Value>, Failure> {
    access::check(&api.config.clients, &app_id, &headers, query.as_deref())?;
    let prefix = parameter(query.as_deref(), "filter_by_prefix").unwrap_or_default();
    let channels: Map<String, Value> = api
        .hub
        .channels(&prefix)
        .into_iter()
        .map(|(name, info)| {
            let entry = json!({ "subscription_count": info.subscription_count, "occupied": true });
            (name.to_string(), entry)
        })
        .collect();
    Ok(Json(json!({ "channels": channels })))
}

pub(crate) async fn channel(
    State(api): State<Arc<Api>>,
    Path((app_id, channel)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Json<Value>, Failure> {
    access::check(&api.config.clients, &app_id, &headers, query.as_deref())?;
    let channel = channel_name(&channel)?;
    let info = api.hub.channel(&channel);
    let mut answer = json!({
        "subscription_count": info.subscription_count,
        "occupied": info.subscription_count > 0,
    });
    if channel.kind() == ChannelKind::Presence {
        answer["user_count"] = json!(info.user_count.unwrap_or(0));
    }
    Ok(Json(answer))
}

pub(crate) async fn users(
    State(api): State<Arc<Api>>,
    Path((app_id, channel)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Json<Value>, Failure> {
    access::check(&api.config.clients, &app_id, &headers, query.as_deref())?;
    let channel = channel_name(&channel)?;
    if channel.kind() != ChannelKind::Presence {
        return Err(Failure::new(
            StatusCode::BAD_REQUEST,
            "User list is only possible for Presence Channels",
        ));
    }
    let users: Vec<Value> = api
        .hub
        .members(&channel)
        .iter()
        .map(|member| {
            let info: Value = serde_json::from_str(member.user_info().get()).unwrap_or(Value::Null);
            json!({ "id": member.user_id(), "user_info": info })
        })
        .collect();
    Ok(Json(json!({ "users": users })))
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
