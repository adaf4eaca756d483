//! Several Pusher apps on one sidecar: the entries of `sidecast.pusher.apps`, each an app
//! with the settings it does not share with the others, and the checks that keep apps apart
//! (every id and every key names one app).

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use sidecast_core::AllowedOrigins;
use sidecast_pusher::{App, AppConfig, MessageLimit};

use super::ConfigError;
use super::sidecast_section::AppSection;
use crate::server::AppSocket;

/// A message limit's window when neither the entry nor the shared settings give one.
const DEFAULT_WINDOW: Duration = Duration::from_secs(60);

/// The app an entry names.
pub(super) fn app(entry: &AppSection) -> App {
    App {
        id: entry.app_id.clone(),
        key: entry.key.clone(),
        secret: entry.secret.clone(),
    }
}

/// The entry's app with `shared`'s settings, except those the entry sets.
pub(super) fn configure(shared: &AppConfig, entry: &AppSection) -> Result<AppConfig, ConfigError> {
    let mut config = shared.with_app(app(entry));
    let own = &entry.settings;
    let at = |key: &str| format!("sidecast.pusher.apps (app {:?}): {key}", entry.app_id);
    if let Some(origins) = &entry.allowed_origins {
        let origins = origins
            .iter()
            .map(|origin| crate::cli::origin(origin))
            .collect::<Result<_, _>>()
            .map_err(|problem| {
                ConfigError::Setting(format!("{}: {problem}", at("allowedOrigins")))
            })?;
        config.origins = AllowedOrigins::new(origins);
    }
    if let Some(seconds) = own.activity_timeout {
        config.activity_timeout = Duration::from_secs(seconds);
    }
    if let Some(seconds) = own.ping_interval {
        config.ping_interval = Duration::from_secs(seconds);
    }
    if let Some(bytes) = own.max_message_bytes {
        config.max_message_bytes = bytes as usize;
    }
    if let Some(max) = own.max_connections {
        config.max_connections = Some(max as usize);
    }
    if let Some(accept) = entry.client_events {
        config.accept_client_events = accept;
    }
    if let Some(on) = own.subscription_count {
        config.subscription_count = on;
    }
    let inherited = shared.message_limit;
    let max = own
        .message_limit
        .map(|max| u32::try_from(max).unwrap_or(u32::MAX))
        .or(inherited.map(|limit| limit.max));
    config.message_limit = match max {
        Some(max) => Some(MessageLimit {
            max,
            window: own
                .message_limit_window
                .map(Duration::from_secs)
                .or(inherited.map(|limit| limit.window))
                .unwrap_or(DEFAULT_WINDOW),
            terminate: own
                .message_limit_terminate
                .or(inherited.map(|limit| limit.terminate))
                .unwrap_or(false),
        }),
        None if own.message_limit_window.is_some() || own.message_limit_terminate.is_some() => {
            return Err(ConfigError::Setting(format!(
                "{}: a window or terminate setting needs a messageLimit",
                at("messageLimit")
            )));
        }
        None => None,
    };
    Ok(config)
}

/// Refuses apps that clients or the HTTP API could not tell apart, and names that do not fit
/// where they are used: a key in `/app/{key}`, an id in `/apps/{id}/…` and in the cluster's
/// Redis keys.
pub(super) fn check(apps: &[AppConfig]) -> Result<(), ConfigError> {
    let mut ids = HashSet::new();
    let mut keys = HashSet::new();
    for App { id, key, secret } in apps.iter().map(|config| &config.app) {
        let plain = |text: &str, max: usize| {
            !text.is_empty()
                && text.len() <= max
                && text
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        };
        if !plain(id, 64) {
            return Err(ConfigError::Setting(format!(
                "the Pusher app id {id:?} must be 1 to 64 letters, digits, '-', '_' or '.'"
            )));
        }
        if !plain(key, 255) {
            return Err(ConfigError::Setting(format!(
                "the Pusher app key {key:?} must be 1 to 255 letters, digits, '-', '_' or '.'"
            )));
        }
        if secret.is_empty() {
            return Err(ConfigError::Setting(format!(
                "the Pusher app {id:?} has an empty secret"
            )));
        }
        if !ids.insert(id.as_str()) {
            return Err(ConfigError::Setting(format!(
                "two Pusher apps have the id {id:?}"
            )));
        }
        if !keys.insert(key.as_str()) {
            return Err(ConfigError::Setting(format!(
                "two Pusher apps have the key {key:?}"
            )));
        }
    }
    Ok(())
}

/// The Pusher apps after the first have channels of their own: refuses a laravel-echo-server
/// API client that names one of their ids (its key would reach the first app's channels), and
/// checks their cluster prefixes as the first app's is checked.
pub(super) fn apart(
    others: &[sidecast_pusher::AppConfig],
    api: Option<&sidecast_api::Config>,
    cluster: Option<&sidecast_cluster::Config>,
    redis: Option<&sidecast_ingest::redis::RedisSource>,
) -> Result<(), ConfigError> {
    for app in others.iter().map(|config| &config.app) {
        let clients = api.iter().flat_map(|api| &api.clients);
        if clients.into_iter().any(|client| client.app_id == app.id) {
            return Err(ConfigError::Setting(format!(
                "clients: appId {:?} is the id of a Pusher app of sidecast.pusher.apps; laravel-echo-server's clients reach the first app's channels, so give them another id",
                app.id
            )));
        }
        if let Some(cluster) = cluster {
            let laravel_prefix = redis.map(|source| source.key_prefix.as_str());
            cluster
                .for_app(&app.id)
                .check(laravel_prefix)
                .map_err(|error| ConfigError::Setting(format!("app {:?}: {error}", app.id)))?;
        }
    }
    Ok(())
}

/// The Unix sockets of the apps whose entries name one. The first app's socket is the
/// sidecar's own (`--socket`), and no two apps share one.
pub(super) fn sockets(
    entries: &[AppSection],
    first: &AppConfig,
    main: &Path,
) -> Result<Vec<AppSocket>, ConfigError> {
    let mut paths = HashSet::from([main.to_owned()]);
    let mut sockets = Vec::new();
    for entry in entries {
        let Some(path) = entry.socket.as_deref().map(PathBuf::from) else {
            continue;
        };
        if entry.app_id == first.app.id {
            return Err(ConfigError::Setting(format!(
                "sidecast.pusher.apps (app {:?}): socket: the first app is published to on the sidecar's own socket (--socket, sidecast.socket)",
                entry.app_id
            )));
        }
        if !paths.insert(path.clone()) {
            return Err(ConfigError::Setting(format!(
                "sidecast.pusher.apps (app {:?}): socket: {} is already another app's socket",
                entry.app_id,
                path.display()
            )));
        }
        sockets.push(AppSocket {
            app_id: entry.app_id.clone(),
            path,
        });
    }
    Ok(sockets)
}
