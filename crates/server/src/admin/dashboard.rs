//! The live dashboard: one page (`dashboard.html`, inside the binary, no build step) and the
//! JSON it polls — the census (`/status`), the channels (searched and paginated: a site may have
//! tens of thousands), a presence channel's members, and the last events. The page is served
//! to anyone (it holds no figure); everything it shows takes the admin key.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;
use serde_json::json;
use sidecast_core::{ChannelKind, ChannelName, Hub, RecentEvent};

use super::Admin;

const PAGE: &str = include_str!("dashboard.html");
/// Channels one page of the list holds at most.
const MOST_PER_PAGE: usize = 500;
/// Members of one channel listed at most (the total is always given).
const MOST_MEMBERS: usize = 500;

/// The page, and its data behind `with_key`.
pub(super) fn routes(admin: &Admin) -> Router {
    let data = Router::new()
        .route("/dashboard/channels", get(channels))
        .route("/dashboard/members", get(members))
        .route("/dashboard/events", get(events))
        .route_layer(axum::middleware::from_fn_with_state(
            admin.clone(),
            super::with_key,
        ))
        .with_state(admin.clone());
    Router::new().route("/dashboard", get(page)).merge(data)
}

async fn page() -> Response {
    (
        [
            (header::CACHE_CONTROL, "no-store"),
            (header::X_FRAME_OPTIONS, "DENY"),
            (header::REFERRER_POLICY, "no-referrer"),
            // Its one script and one style are inline; data goes into the page as text only.
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
            ),
        ],
        Html(PAGE),
    )
        .into_response()
}

#[derive(Deserialize)]
struct ChannelQuery {
    #[serde(default)]
    search: String,
    page: Option<usize>,
    per_page: Option<usize>,
}

async fn channels(State(admin): State<Admin>, Query(query): Query<ChannelQuery>) -> Response {
    let search = query.search.to_lowercase();
    let per_page = query.per_page.unwrap_or(50).clamp(1, MOST_PER_PAGE);
    let page = query.page.unwrap_or(1).max(1);
    let mut matching = Vec::new();
    for (app, hub) in admin.watch.hubs().apps() {
        for (name, info) in hub.channels("") {
            if search.is_empty() || name.as_str().to_lowercase().contains(&search) {
                matching.push((name, app.clone(), info));
            }
        }
    }
    matching.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
    let total = matching.len();
    let shown: Vec<_> = matching
        .into_iter()
        .skip((page - 1).saturating_mul(per_page))
        .take(per_page)
        .map(|(name, app, info)| {
            json!({
                "app": app,
                "name": name.as_str(),
                "kind": kind(&name),
                "subscriptions": info.subscription_count,
                "users": info.user_count,
            })
        })
        .collect();
    axum::Json(json!({ "total": total, "page": page, "per_page": per_page, "channels": shown }))
        .into_response()
}

fn kind(name: &ChannelName) -> &'static str {
    match name.kind() {
        ChannelKind::Public => "public",
        ChannelKind::Private => "private",
        ChannelKind::Presence => "presence",
    }
}

#[derive(Deserialize)]
struct MembersQuery {
    app: Option<String>,
    channel: String,
}

async fn members(State(admin): State<Admin>, Query(query): Query<MembersQuery>) -> Response {
    let Ok(channel) = ChannelName::new(&query.channel) else {
        return (StatusCode::BAD_REQUEST, "not a channel name\n").into_response();
    };
    let app = query.app.as_deref().unwrap_or(crate::hubs::MAIN_APP);
    let Some(hub) = app_hub(&admin, app) else {
        return (StatusCode::NOT_FOUND, "no such app\n").into_response();
    };
    let members = hub.members(&channel);
    let ids: Vec<String> = members
        .iter()
        .take(MOST_MEMBERS)
        .map(|member| match member.user_id() {
            serde_json::Value::String(id) => id.clone(),
            other => other.to_string(),
        })
        .collect();
    axum::Json(json!({ "channel": channel.as_str(), "total": members.len(), "members": ids }))
        .into_response()
}

fn app_hub(admin: &Admin, app: &str) -> Option<Arc<Hub>> {
    admin
        .watch
        .hubs()
        .apps()
        .into_iter()
        .find_map(|(id, hub)| (id == app).then_some(hub))
}

#[derive(Deserialize)]
struct EventsQuery {
    #[serde(default)]
    after: u64,
}

async fn events(State(admin): State<Admin>, Query(query): Query<EventsQuery>) -> Response {
    let mut events: Vec<(String, RecentEvent)> = Vec::new();
    for (app, hub) in admin.watch.hubs().apps() {
        let recent = hub.watch_events(query.after, admin.dev_mode);
        events.extend(recent.into_iter().map(|event| (app.clone(), event)));
    }
    events.sort_by_key(|(_, event)| event.seq);
    let skip = events.len().saturating_sub(sidecast_core::hub::RECENT_KEPT);
    let events: Vec<_> = events
        .into_iter()
        .skip(skip)
        .map(|(app, event)| {
            let mut value = json!(event);
            value["app"] = json!(app);
            value
        })
        .collect();
    axum::Json(json!({ "dev_mode": admin.dev_mode, "events": events })).into_response()
}
