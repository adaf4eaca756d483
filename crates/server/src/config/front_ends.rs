//! The settings of the front ends clients connect to, and those they share: the pages that
//! may connect and the limits on whispers.

use std::time::Duration;

use sidecast_core::{AllowedOrigins, ClientEventLimits};

use super::{ConfigError, EchoServerFile, pick, setting};
use crate::cli::StartArgs;

/// socket.io's settings, from laravel-echo-server's `socketio` section and sidecast's own.
pub(super) fn socketio(
    args: &StartArgs,
    file: &EchoServerFile,
) -> Result<sidecast_socketio::Config, ConfigError> {
    let defaults = sidecast_socketio::Config::default();
    let own = &file.sidecast;
    Ok(sidecast_socketio::Config {
        max_buffer_size: pick(
            args.client_buffer.map(u64::from),
            own.client_buffer,
            defaults.max_buffer_size as u64,
        ) as usize,
        max_buffer_bytes: pick(
            args.client_buffer_bytes.map(u64::from),
            own.client_buffer_bytes,
            defaults.max_buffer_bytes as u64,
        ) as usize,
        ping_interval: file
            .socketio
            .ping_interval_ms
            .map_or(defaults.ping_interval, Duration::from_millis),
        ping_timeout: file
            .socketio
            .ping_timeout_ms
            .map_or(defaults.ping_timeout, Duration::from_millis),
        max_payload: file
            .socketio
            .max_http_buffer_size
            .unwrap_or(defaults.max_payload),
        client_events: client_events(args, file),
        origins: origins(args, file)?,
    })
}

/// `--allowed-origin`, else `sidecast.allowedOrigins`, else socket.io's `origins`.
fn origins(args: &StartArgs, file: &EchoServerFile) -> Result<AllowedOrigins, ConfigError> {
    let list = if !args.allowed_origins.is_empty() {
        args.allowed_origins.clone()
    } else if let Some(origins) = &file.sidecast.allowed_origins {
        origins
            .iter()
            .map(|o| crate::cli::origin(o))
            .collect::<Result<_, _>>()
            .map_err(setting("sidecast.allowedOrigins"))?
    } else {
        socketio_origins(file.socketio.origins.as_deref().unwrap_or_default())?
    };
    Ok(AllowedOrigins::new(list))
}

fn client_events(args: &StartArgs, file: &EchoServerFile) -> ClientEventLimits {
    let own = &file.sidecast;
    let defaults = ClientEventLimits::default();
    ClientEventLimits {
        max_bytes: pick(
            args.client_event_max_bytes.map(u64::from),
            own.client_event_max_bytes,
            defaults.max_bytes as u64,
        ) as usize,
        per_second: pick(
            args.client_events_per_second.map(u64::from),
            own.client_events_per_second,
            u64::from(defaults.per_second),
        ) as u32,
        burst: pick(
            args.client_event_burst.map(u64::from),
            own.client_event_burst,
            u64::from(defaults.burst),
        ) as u32,
    }
}

/// socket.io 2's `origins`: `*:*` (or `*`) for any; otherwise `scheme://host:port` entries,
/// taken as origins (a default port is dropped, as browsers do).
fn socketio_origins(entries: &[String]) -> Result<Vec<String>, ConfigError> {
    let mut origins = Vec::new();
    for entry in entries {
        if entry == "*:*" || entry == "*" {
            return Ok(Vec::new());
        }
        let origin = crate::cli::origin(entry).map_err(setting("socketio.origins"))?;
        let origin = origin
            .strip_suffix(":80")
            .filter(|_| origin.starts_with("http://"))
            .or_else(|| {
                origin
                    .strip_suffix(":443")
                    .filter(|_| origin.starts_with("https://"))
            })
            .map_or(origin.clone(), str::to_owned);
        origins.push(origin);
    }
    Ok(origins)
}
