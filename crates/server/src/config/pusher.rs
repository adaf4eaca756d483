//! The Pusher front end's settings: the app from `--app-*` / `SIDECAST_APP_*`, else the config
//! file's `sidecast.pusher`, else — so that a Reverb or Soketi project's `.env` works as it is —
//! Reverb's `REVERB_APP_*` and Soketi's `SOKETI_DEFAULT_APP_*` variables (each variable from the
//! process environment first, then the working directory's `.env`). More apps come from the
//! file's `sidecast.pusher.apps` (`pusher_apps`). Without an app the front end is off.

use std::time::Duration;

use sidecast_core::{AllowedOrigins, ClientEventLimits};

use sidecast_pusher::{App, AppConfig};

use super::sidecast_section::PusherSection;
use super::{ConfigError, pusher_apps};
use crate::cli::PusherArgs;

/// Looks a variable up: the environment, then `.env`; empty counts as unset.
pub(super) type Variables<'a> = dyn Fn(&str) -> Option<String> + 'a;

/// Where the app's id, key and secret are looked for, in order, after the command line.
const APP_SOURCES: [[&str; 3]; 3] = [
    ["SIDECAST_APP_ID", "REVERB_APP_ID", "SOKETI_DEFAULT_APP_ID"],
    [
        "SIDECAST_APP_KEY",
        "REVERB_APP_KEY",
        "SOKETI_DEFAULT_APP_KEY",
    ],
    [
        "SIDECAST_APP_SECRET",
        "REVERB_APP_SECRET",
        "SOKETI_DEFAULT_APP_SECRET",
    ],
];

pub(super) fn pusher(
    args: &PusherArgs,
    section: &PusherSection,
    variables: &Variables<'_>,
    client_events: ClientEventLimits,
    origins: AllowedOrigins,
) -> Result<Option<sidecast_pusher::Config>, ConfigError> {
    let first = first_app(args, section, variables)?;
    let Some(template) = first
        .clone()
        .or_else(|| section.apps.first().map(pusher_apps::app))
    else {
        return Ok(None);
    };
    let shared = shared_settings(template, args, section, variables, client_events, origins)?;
    let mut apps: Vec<AppConfig> = first.map(|app| shared.with_app(app)).into_iter().collect();
    for entry in &section.apps {
        apps.push(pusher_apps::configure(&shared, entry)?);
    }
    pusher_apps::check(&apps)?;
    Ok(Some(sidecast_pusher::Config {
        path: path(
            args.path.clone().or_else(|| section.path.clone()),
            variables,
        )?,
        apps,
    }))
}

/// The app of the command line, its variables or the file's `sidecast.pusher`, else Reverb's
/// or Soketi's; `None` when none of them names one.
fn first_app(
    args: &PusherArgs,
    section: &PusherSection,
    variables: &Variables<'_>,
) -> Result<Option<App>, ConfigError> {
    let first =
        |given: &Option<String>, file: &Option<String>, [own, reverb, soketi]: [&str; 3]| {
            let set = |value: &Option<String>| value.clone().filter(|value| !value.is_empty());
            set(given)
                .or_else(|| variables(own))
                .or_else(|| set(file))
                .or_else(|| variables(reverb))
                .or_else(|| variables(soketi))
        };
    let [ids, keys, secrets] = APP_SOURCES;
    let id = first(&args.app_id, &section.app_id, ids);
    let key = first(&args.app_key, &section.key, keys);
    let secret = first(&args.app_secret, &section.secret, secrets);
    match (id, key, secret) {
        (None, None, None) => Ok(None),
        (Some(id), Some(key), Some(secret)) => Ok(Some(App { id, key, secret })),
        (id, key, secret) => {
            let missing: Vec<&str> = [
                ("id", id.is_none()),
                ("key", key.is_none()),
                ("secret", secret.is_none()),
            ]
            .into_iter()
            .filter_map(|(what, missing)| missing.then_some(what))
            .collect();
            Err(ConfigError::Setting(format!(
                "the Pusher app needs an id, a key and a secret; the {} {} missing (--app-id, --app-key, --app-secret or SIDECAST_APP_ID, SIDECAST_APP_KEY, SIDECAST_APP_SECRET)",
                missing.join(" and "),
                if missing.len() > 1 { "are" } else { "is" }
            )))
        }
    }
}

/// The settings every app has unless its entry in `sidecast.pusher.apps` sets its own.
fn shared_settings(
    app: App,
    args: &PusherArgs,
    section: &PusherSection,
    variables: &Variables<'_>,
    client_events: ClientEventLimits,
    origins: AllowedOrigins,
) -> Result<AppConfig, ConfigError> {
    let mut config = AppConfig::new(app);
    let file_seconds = |value: Option<u64>| value.map(|seconds| seconds as f64);
    if let Some(seconds) = seconds(
        args.activity_timeout
            .or(file_seconds(section.settings.activity_timeout)),
        variables,
        "REVERB_APP_ACTIVITY_TIMEOUT",
    )? {
        config.activity_timeout = seconds;
    }
    if let Some(seconds) = seconds(
        args.ping_interval
            .or(file_seconds(section.settings.ping_interval)),
        variables,
        "REVERB_APP_PING_INTERVAL",
    )? {
        config.ping_interval = seconds;
    }
    match args
        .max_message_bytes
        .map(u64::from)
        .or(section.settings.max_message_bytes)
    {
        Some(bytes) => config.max_message_bytes = bytes as usize,
        None => {
            if let Some(bytes) = number(variables, "REVERB_APP_MAX_MESSAGE_SIZE", 256, 16 << 20)? {
                config.max_message_bytes = bytes as usize;
            }
        }
    }
    config.max_connections = match args
        .max_connections
        .map(u64::from)
        .or(section.settings.max_connections)
    {
        Some(max) => Some(max as usize),
        None => max_connections(variables)?,
    };
    config.accept_client_events = accept_client_events(variables)?;
    config.subscription_count = args
        .subscription_count
        .or(section.settings.subscription_count)
        .unwrap_or(false);
    config.message_limit = super::message_limit::message_limit(args, section, variables)?;
    config.client_events = client_events;
    config.origins = origins;
    Ok(config)
}

/// The address to listen on from Reverb's or Soketi's variables, for a project without
/// sidecast's own: `REVERB_SERVER_HOST`/`_PORT`, else `SOKETI_HOST`/`_PORT`.
pub(super) fn peer_address(
    variables: &Variables<'_>,
) -> Result<(Option<String>, Option<u16>), ConfigError> {
    let host = variables("REVERB_SERVER_HOST").or_else(|| variables("SOKETI_HOST"));
    let port = match number(variables, "REVERB_SERVER_PORT", 1, 65_535)? {
        Some(port) => Some(port),
        None => number(variables, "SOKETI_PORT", 1, 65_535)?,
    };
    Ok((host, port.map(|port| port as u16)))
}

/// `--path`, else `REVERB_SERVER_PATH`, else `SOKETI_PATH_PREFIX`: `/` and a name, with no
/// trailing `/`; empty for none.
fn path(given: Option<String>, variables: &Variables<'_>) -> Result<String, ConfigError> {
    let Some(path) = given
        .filter(|path| !path.is_empty())
        .or_else(|| variables("REVERB_SERVER_PATH"))
        .or_else(|| variables("SOKETI_PATH_PREFIX"))
    else {
        return Ok(String::new());
    };
    let trimmed = path.trim().trim_end_matches('/');
    let valid = trimmed.is_empty()
        || (trimmed.starts_with('/')
            && trimmed[1..].split('/').all(|part| {
                !part.is_empty()
                    && part
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "-_.~".contains(c))
            }));
    if !valid {
        return Err(ConfigError::Setting(format!(
            "the Pusher path {path:?} must be like /realtime: a / and letters, digits, - _ . ~"
        )));
    }
    Ok(trimmed.to_owned())
}

/// `REVERB_APP_MAX_CONNECTIONS`, else `SOKETI_DEFAULT_APP_MAX_CONNS` (where -1 is no limit).
fn max_connections(variables: &Variables<'_>) -> Result<Option<usize>, ConfigError> {
    if let Some(max) = number(
        variables,
        "REVERB_APP_MAX_CONNECTIONS",
        1,
        u64::from(u32::MAX),
    )? {
        return Ok(Some(max as usize));
    }
    if variables("SOKETI_DEFAULT_APP_MAX_CONNS").is_some_and(|text| text.trim() == "-1") {
        return Ok(None);
    }
    Ok(number(
        variables,
        "SOKETI_DEFAULT_APP_MAX_CONNS",
        1,
        u64::from(u32::MAX),
    )?
    .map(|max| max as usize))
}

/// Reverb's `REVERB_APP_ACCEPT_CLIENT_EVENTS_FROM` (`members` or `all`: accepted — from
/// members only, always; `none`: refused), else Soketi's
/// `SOKETI_DEFAULT_APP_ENABLE_CLIENT_MESSAGES`; accepted when neither is set.
fn accept_client_events(variables: &Variables<'_>) -> Result<bool, ConfigError> {
    if let Some(from) = variables("REVERB_APP_ACCEPT_CLIENT_EVENTS_FROM") {
        return match from.trim() {
            "members" | "all" => Ok(true),
            "none" => Ok(false),
            other => Err(ConfigError::Environment(format!(
                "REVERB_APP_ACCEPT_CLIENT_EVENTS_FROM={other:?}: expected members, all or none"
            ))),
        };
    }
    match variables("SOKETI_DEFAULT_APP_ENABLE_CLIENT_MESSAGES")
        .as_deref()
        .map(str::trim)
    {
        None | Some("true" | "1") => Ok(true),
        Some("false" | "0") => Ok(false),
        Some(other) => Err(ConfigError::Environment(format!(
            "SOKETI_DEFAULT_APP_ENABLE_CLIENT_MESSAGES={other:?}: expected true or false"
        ))),
    }
}

fn seconds(
    given: Option<f64>,
    variables: &Variables<'_>,
    name: &str,
) -> Result<Option<Duration>, ConfigError> {
    if let Some(seconds) = given {
        return Ok(Some(Duration::from_secs_f64(seconds)));
    }
    Ok(number(variables, name, 1, 3600)?.map(Duration::from_secs))
}

pub(super) fn number(
    variables: &Variables<'_>,
    name: &str,
    min: u64,
    max: u64,
) -> Result<Option<u64>, ConfigError> {
    let Some(text) = variables(name) else {
        return Ok(None);
    };
    match text.trim().parse::<u64>() {
        Ok(value) if (min..=max).contains(&value) => Ok(Some(value)),
        _ => Err(ConfigError::Environment(format!(
            "{name}={text:?}: expected a whole number from {min} to {max}"
        ))),
    }
}
