//! The read-only routes: the server's status, its channels, one channel, a presence channel's
//! users — with laravel-echo-server's answers. In a cluster an answer that lacks some nodes'
//! part says so in a header, `X-Sidecast-Missing-Nodes`, leaving the body as clients expect it.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderName, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};
use sidecast_core::{ChannelKind, ChannelName, Gathered};

use crate::params::parameter;
use crate::{Api, Failure, access};

const MISSING_NODES: HeaderName = HeaderName::from_static("x-sidecast-missing-nodes");

/// A JSON answer, with the missing-nodes header when some nodes' part is missing.
fn answer(missing_nodes: usize, body: Value) -> Response {
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
    Path(app_id): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, Failure> {
    access::check(&api.config.clients, &app_id, &headers, query.as_deref())?;
    let totals = api.census.totals().await;
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
    State(api): State<Arc<Api>>,
    Path(app_id): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, Failure> {
    access::check(&api.config.clients, &app_id, &headers, query.as_deref())?;
    let prefix = parameter(query.as_deref(), "filter_by_prefix").unwrap_or_default();
    let gathered = api.census.channels(&prefix).await;
    let channels: Map<String, Value> = gathered
        .value
        .into_iter()
        .map(|(name, info)| {
            let entry = json!({ "subscription_count": info.subscription_count, "occupied": true });
            (name.to_string(), entry)
        })
        .collect();
    Ok(answer(
        gathered.missing_nodes,
        json!({ "channels": channels }),
    ))
}

pub(crate) async fn channel(
    State(api): State<Arc<Api>>,
    Path((app_id, channel)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, Failure> {
    access::check(&api.config.clients, &app_id, &headers, query.as_deref())?;
    let channel = channel_name(&channel)?;
    let Gathered {
        value: info,
        missing_nodes,
    } = api.census.channel(&channel).await;
    let mut body = json!({
        "subscription_count": info.subscription_count,
        "occupied": info.subscription_count > 0,
    });
    if channel.kind() == ChannelKind::Presence {
        body["user_count"] = json!(info.user_count.unwrap_or(0));
    }
    Ok(answer(missing_nodes, body))
}

pub(crate) async fn users(
    State(api): State<Arc<Api>>,
    Path((app_id, channel)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, Failure> {
    access::check(&api.config.clients, &app_id, &headers, query.as_deref())?;
    let channel = channel_name(&channel)?;
    if channel.kind() != ChannelKind::Presence {
        return Err(Failure::new(
            StatusCode::BAD_REQUEST,
            "User list is only possible for Presence Channels",
        ));
    }
    let gathered = api.census.members(&channel).await;
    let users: Vec<Value> = gathered
        .value
        .iter()
        .map(|member| {
            let info: Value = serde_json::from_str(member.user_info().get()).unwrap_or(Value::Null);
            json!({ "id": member.user_id(), "user_info": info })
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
