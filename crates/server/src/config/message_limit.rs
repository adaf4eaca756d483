//! The Pusher front end's per-connection message limit: `--message-limit` (and its window and
//! `--message-limit-terminate`), else the config file's `sidecast.pusher.messageLimit…`, else
//! Reverb's `rate_limiting` variables — `REVERB_APP_RATE_LIMITING_ENABLED` with
//! `REVERB_APP_RATE_LIMIT_MAX_ATTEMPTS` (60), `_DECAY_SECONDS` (60) and `_TERMINATE`, as
//! Reverb's `config/reverb.php` reads them. Off unless one of them turns it on.

use std::time::Duration;

use sidecast_pusher::MessageLimit;

use super::ConfigError;
use super::pusher::{Variables, number};
use super::sidecast_section::PusherSection;
use crate::cli::PusherArgs;

/// Reverb's defaults when `REVERB_APP_RATE_LIMITING_ENABLED` is all that is set.
const REVERB_MAX_ATTEMPTS: u64 = 60;
const REVERB_DECAY_SECONDS: u64 = 60;

pub(super) fn message_limit(
    args: &PusherArgs,
    section: &PusherSection,
    variables: &Variables<'_>,
) -> Result<Option<MessageLimit>, ConfigError> {
    // Reverb's variables count only when Reverb's rate limiting is on, as in Reverb.
    let reverb = reverb_enabled(variables)?;
    let reverb_number = |name: &str, max: u64, default: u64| -> Result<Option<u64>, ConfigError> {
        if !reverb {
            return Ok(None);
        }
        Ok(Some(number(variables, name, 1, max)?.unwrap_or(default)))
    };
    let max = match args
        .message_limit
        .map(u64::from)
        .or(section.settings.message_limit)
    {
        Some(max) => Some(max),
        None => reverb_number(
            "REVERB_APP_RATE_LIMIT_MAX_ATTEMPTS",
            u64::from(u32::MAX),
            REVERB_MAX_ATTEMPTS,
        )?,
    };
    let given_window = args
        .message_limit_window
        .map(Duration::from_secs_f64)
        .or(section
            .settings
            .message_limit_window
            .map(Duration::from_secs));
    let given_terminate = args
        .message_limit_terminate
        .or(section.settings.message_limit_terminate);
    let Some(max) = max else {
        if given_window.is_some() || given_terminate.is_some() {
            return Err(ConfigError::Setting(
                "a message limit's window or terminate setting was given without the limit (--message-limit, sidecast.pusher.messageLimit)".into(),
            ));
        }
        return Ok(None);
    };
    let window = match given_window {
        Some(window) => window,
        None => Duration::from_secs(
            reverb_number(
                "REVERB_APP_RATE_LIMIT_DECAY_SECONDS",
                3600,
                REVERB_DECAY_SECONDS,
            )?
            .unwrap_or(REVERB_DECAY_SECONDS),
        ),
    };
    let terminate = match given_terminate {
        Some(terminate) => terminate,
        None => reverb && flag(variables, "REVERB_APP_RATE_LIMIT_TERMINATE")?,
    };
    Ok(Some(MessageLimit {
        max: u32::try_from(max).unwrap_or(u32::MAX),
        window,
        terminate,
    }))
}

fn reverb_enabled(variables: &Variables<'_>) -> Result<bool, ConfigError> {
    flag(variables, "REVERB_APP_RATE_LIMITING_ENABLED")
}

/// A boolean variable as Laravel's `env()` reads one: `true`/`false`, `1`/`0`, `(true)`/`(false)`;
/// unset is false.
fn flag(variables: &Variables<'_>, name: &str) -> Result<bool, ConfigError> {
    match variables(name).as_deref().map(str::trim) {
        None => Ok(false),
        Some("true" | "(true)" | "1") => Ok(true),
        Some("false" | "(false)" | "0" | "" | "null" | "(null)") => Ok(false),
        Some(other) => Err(ConfigError::Environment(format!(
            "{name}={other:?}: expected true or false"
        ))),
    }
}
