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
    let reverb = reverb_enabled(variables)?;
    let max = match args.message_limit.map(u64::from).or(section.message_limit) {
        Some(max) => max,
        None if reverb => number(
            variables,
            "REVERB_APP_RATE_LIMIT_MAX_ATTEMPTS",
            1,
            u64::from(u32::MAX),
        )?
        .unwrap_or(REVERB_MAX_ATTEMPTS),
        None => return Ok(None),
    };
    let window = match args.message_limit_window {
        Some(seconds) => Duration::from_secs_f64(seconds),
        None => Duration::from_secs(match section.message_limit_window {
            Some(seconds) => seconds,
            None => number(variables, "REVERB_APP_RATE_LIMIT_DECAY_SECONDS", 1, 3600)?
                .unwrap_or(REVERB_DECAY_SECONDS),
        }),
    };
    let terminate = args.message_limit_terminate
        || section.message_limit_terminate == Some(true)
        || flag(variables, "REVERB_APP_RATE_LIMIT_TERMINATE")?;
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
