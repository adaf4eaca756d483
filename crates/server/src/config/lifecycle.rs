//! `--webhook-url`, `--listener` and `--lifecycle-*`: where the lifecycle events go and which,
//! checked. Webhooks are signed with the Pusher app's key and secret, as Pusher's receivers
//! check them, so they need a Pusher app; the listener reads them over the Unix socket, whose
//! file permissions are its access control, and needs nothing more.

use std::time::Duration;

use sidecast_lifecycle::{Buffer, Config, DEFAULT_EVENTS, EVENT_NAMES, Endpoint};

use super::ConfigError;
use crate::cli::LifecycleArgs;

/// What Pusher waits before telling a member or a channel is gone.
const DEFAULT_GRACE: Duration = Duration::from_secs(3);

/// How long, and how many, events wait for `php artisan sidecast:listen` by default: long
/// enough for a deploy that restarts it, a few MB at most.
const DEFAULT_LISTENER_BUFFER: Duration = Duration::from_secs(300);
const DEFAULT_LISTENER_EVENTS: usize = 10_000;

pub(super) fn lifecycle(
    args: &LifecycleArgs,
    pusher: Option<&sidecast_pusher::Config>,
) -> Result<Option<Config>, ConfigError> {
    let urls: Vec<&String> = args.urls.iter().filter(|url| !url.is_empty()).collect();
    let listener = args.listener.unwrap_or(false);
    if urls.is_empty() && !listener {
        return Ok(None);
    }
    let setting = |problem: String| Err(ConfigError::Setting(problem));
    let endpoints = endpoints(&urls, pusher)?;
    let events: Vec<String> = match args.events.iter().filter(|e| !e.is_empty()).count() {
        0 => DEFAULT_EVENTS
            .iter()
            .map(|name| (*name).to_owned())
            .collect(),
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
            "--lifecycle-events: {unknown:?} is not one of {} (client events are chosen by channel with --lifecycle-client-events)",
            EVENT_NAMES.join(", ")
        ));
    }
    let not_empty = |list: &[String]| list.iter().filter(|p| !p.is_empty()).cloned().collect();
    Ok(Some(Config {
        endpoints,
        listener: listener.then(|| Buffer {
            max_age: args
                .listener_buffer
                .map_or(DEFAULT_LISTENER_BUFFER, Duration::from_secs_f64),
            max_events: args
                .listener_buffer_events
                .map_or(DEFAULT_LISTENER_EVENTS, |events| events as usize),
        }),
        grace: args.grace.map_or(DEFAULT_GRACE, Duration::from_secs_f64),
        events,
        client_event_channels: not_empty(&args.client_events),
        channel_prefixes: not_empty(&args.channel_prefixes),
    }))
}

/// The webhooks' URLs, signed with the first Pusher app's key and secret.
fn endpoints(
    urls: &[&String],
    pusher: Option<&sidecast_pusher::Config>,
) -> Result<Vec<Endpoint>, ConfigError> {
    if urls.is_empty() {
        return Ok(Vec::new());
    }
    let Some(app) = pusher.and_then(|pusher| pusher.apps.first()) else {
        return Err(ConfigError::Setting(
            "--webhook-url: webhooks are signed with the Pusher app's secret, as Pusher's receivers check them: set --app-id, --app-key and --app-secret too (php artisan sidecast:listen needs none: --listener)".to_owned(),
        ));
    };
    urls.iter()
        .map(|url| {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(ConfigError::Setting(format!(
                    "--webhook-url: {} is not an http:// or https:// URL",
                    sidecast_auth::host::redacted(url)
                )));
            }
            Ok(Endpoint {
                url: (*url).clone(),
                key: app.app.key.clone(),
                secret: app.app.secret.clone(),
            })
        })
        .collect()
}
