//! The read-only routes: the server's status, its channels, one channel, a presence channel's
//! users — with laravel-echo-server's answers.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use serde_json::{Map, Value, json};
use sidecast_core::{ChannelKind, ChannelName};

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

/// A query parameter, percent-decoded.
fn parameter(query: Option<&str>, name: &str) -> Option<String> {
    let value = query?
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(key, _)| *key == name)?
        .1;
    Some(percent_decode(value))
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        match bytes[index] {
            b'%' if index + 2 < bytes.len() => {
                match u8::from_str_radix(&text[index + 1..index + 3], 16) {
                    Ok(byte) => {
                        out.push(byte);
                        index += 3;
                        continue;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b'+' => out.push(b' '),
            byte => out.push(byte),
        }
        index += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_parameters_are_decoded() {
        assert_eq!(
            parameter(Some("a=1&filter_by_prefix=presence-"), "filter_by_prefix").as_deref(),
            Some("presence-")
        );
        assert_eq!(
            parameter(Some("filter_by_prefix=private%2Dx+y"), "filter_by_prefix").as_deref(),
            Some("private-x y")
        );
        assert_eq!(
            parameter(Some("filter_by_prefix=%zz%"), "filter_by_prefix").as_deref(),
            Some("%zz%")
        );
        assert_eq!(parameter(None, "x"), None);
    }
}
