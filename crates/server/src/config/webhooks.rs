//! `--webhook-*`: where the lifecycle events go, checked. Webhooks are signed with the Pusher
//! app's key and secret, as Pusher's receivers check them, so they need a Pusher app.

use std::time::Duration;

use sidecast_lifecycle::{Config, EVENT_NAMES, Endpoint};

use super::ConfigError;
use crate::cli::WebhookArgs;

/// What Pusher waits before telling a member or a channel is gone.
const DEFAULT_GRACE: Duration = Duration::from_secs(3);

pub(super) fn webhooks(
    args: &WebhookArgs,
    pusher: Option<&sidecast_pusher::Config>,
    clustered: bool,
) -> Result<Option<Config>, ConfigError> {
    let urls: Vec<&String> = args.urls.iter().filter(|url| !url.is_empty()).collect();
    if urls.is_empty() {
        return Ok(None);
    }
    let setting = |problem: String| Err(ConfigError::Setting(problem));
    if clustered {
        return setting(
            "--webhook-url: webhooks are not available with scale-out yet (each transition must be decided once for the whole cluster); run them on a single node".to_owned(),
        );
    }
    let Some(app) = pusher.and_then(|pusher| pusher.apps.first()) else {
        return setting(
            "--webhook-url: webhooks are signed with the Pusher app's secret, as Pusher's receivers check them: set --app-id, --app-key and --app-secret too".to_owned(),
        );
    };
    for url in &urls {
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return setting(format!(
                "--webhook-url: {} is not an http:// or https:// URL",
                sidecast_auth::host::redacted(url)
            ));
        }
    }
    let events: Vec<String> = match args.events.iter().filter(|e| !e.is_empty()).count() {
        0 => EVENT_NAMES.iter().map(|name| (*name).to_owned()).collect(),
        _ => args
            .events
            .iter()
            .filter(|e| !e.is_empty())
            .cloned()
            .collect(),
    };
    if let Some(unknown) = events
        .iter()
        .find(|event| !EVENT_NAMES.contains(&event.as_str()))
    {
        return setting(format!(
            "--webhook-events: {unknown:?} is not one of {} (client events are chosen by channel with --webhook-client-events)",
            EVENT_NAMES.join(", ")
        ));
    }
    let not_empty = |list: &[String]| list.iter().filter(|p| !p.is_empty()).cloned().collect();
    Ok(Some(Config {
        endpoints: urls
            .into_iter()
            .map(|url| Endpoint {
                url: url.clone(),
                key: app.app.key.clone(),
                secret: app.app.secret.clone(),
            })
            .collect(),
        grace: args.grace.map_or(DEFAULT_GRACE, Duration::from_secs_f64),
        events,
        client_event_channels: not_empty(&args.client_events),
        channel_prefixes: not_empty(&args.channel_prefixes),
    }))
}
