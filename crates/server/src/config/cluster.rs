//! Scale-out's settings: `--cluster-*` options and `SIDECAST_CLUSTER_*` variables, else the
//! file's `sidecast.cluster` section, else a Reverb project's `REVERB_SCALING_ENABLED` with
//! Laravel's `REDIS_*` variables, else the defaults. No Redis URL: a single node.

use std::time::Duration;

use sidecast_cluster::{Config, RedisAddress};

use super::pusher::Variables;
use super::{ConfigError, EchoServerFile};
use crate::cli::StartArgs;

/// The value of `redis` that reuses laravel-echo-server's `databaseConfig.redis`.
const REUSE_DATABASE_CONFIG: &str = "databaseConfig";

/// The cluster's settings, or `None` for a single node. `laravel_prefix` is the key prefix
/// of Laravel's `redis` broadcaster when the sidecar subscribes to it; `max_frame_bytes` the
/// largest event the ingest takes, which the bus must carry.
pub(super) fn cluster(
    args: &StartArgs,
    file: &EchoServerFile,
    variables: &Variables<'_>,
    laravel_prefix: Option<&str>,
    max_frame_bytes: usize,
) -> Result<Option<Config>, ConfigError> {
    let flags = &args.cluster;
    let section = &file.sidecast.cluster;
    let Some(url) = flags
        .redis
        .clone()
        .or_else(|| section.redis.clone())
        .or_else(|| reverb_scaling_url(variables))
    else {
        return Ok(None);
    };
    let url = if url == REUSE_DATABASE_CONFIG {
        database_config_url(file)
    } else {
        url
    };
    let address = RedisAddress::parse(&url).map_err(|e| ConfigError::Setting(e.to_string()))?;
    let defaults = Config::new(address).for_events_up_to(max_frame_bytes);
    let time = |flag: Option<f64>, file_ms: Option<u64>, default: Duration| {
        flag.map(Duration::from_secs_f64)
            .or(file_ms.map(Duration::from_millis))
            .unwrap_or(default)
    };
    let config = Config {
        prefix: flags
            .prefix
            .clone()
            .or_else(|| section.prefix.clone())
            .unwrap_or(defaults.prefix.clone()),
        heartbeat: time(flags.heartbeat, section.heartbeat_ms, defaults.heartbeat),
        dead_after: time(flags.dead_after, section.dead_after_ms, defaults.dead_after),
        sweep_every: time(
            flags.sweep_every,
            section.sweep_every_ms,
            defaults.sweep_every,
        ),
        survey_timeout: time(
            flags.survey_timeout,
            section.survey_timeout_ms,
            defaults.survey_timeout,
        ),
        buffer_messages: flags
            .buffer_messages
            .map(u64::from)
            .or(section.buffer_messages)
            .map_or(defaults.buffer_messages, |n| n as usize),
        buffer_bytes: flags
            .buffer_bytes
            .map(u64::from)
            .or(section.buffer_bytes)
            .map_or(defaults.buffer_bytes, |n| n as usize),
        buffer_max_age: time(
            flags.buffer_max_age,
            section.buffer_max_age_ms,
            defaults.buffer_max_age,
        ),
        ..defaults
    };
    config
        .check(laravel_prefix)
        .map_err(|e| ConfigError::Setting(e.to_string()))?;
    Ok(Some(config))
}

/// Reverb's scale-out switch, `REVERB_SCALING_ENABLED=true`, with the Redis Laravel's own
/// `REDIS_URL` or `REDIS_HOST`/`_PORT`/`_USERNAME`/`_PASSWORD`/`_DB` name (Laravel's `.env` writes
/// `null` for none). The sidecars share it in their own format, not Reverb's.
fn reverb_scaling_url(variables: &Variables<'_>) -> Option<String> {
    let on = variables("REVERB_SCALING_ENABLED")
        .is_some_and(|value| matches!(value.trim(), "true" | "1"));
    if !on {
        return None;
    }
    let set = |name: &str| variables(name).filter(|value| value != "null");
    if let Some(url) = set("REDIS_URL") {
        return Some(url);
    }
    let auth = match (set("REDIS_USERNAME"), set("REDIS_PASSWORD")) {
        (None, None) => String::new(),
        (user, password) => format!(
            "{}:{}@",
            percent_encoded(&user.unwrap_or_default()),
            percent_encoded(&password.unwrap_or_default())
        ),
    };
    Some(format!(
        "redis://{auth}{}:{}/{}",
        set("REDIS_HOST").unwrap_or_else(|| "127.0.0.1".to_owned()),
        set("REDIS_PORT").unwrap_or_else(|| "6379".to_owned()),
        set("REDIS_DB").unwrap_or_else(|| "0".to_owned())
    ))
}

/// `databaseConfig.redis` as a URL.
fn database_config_url(file: &EchoServerFile) -> String {
    let redis = &file.redis;
    let auth = redis
        .password
        .as_deref()
        .filter(|password| !password.is_empty())
        .map(|password| format!(":{}@", percent_encoded(password)))
        .unwrap_or_default();
    format!(
        "redis://{auth}{}:{}/{}",
        redis.host.as_deref().unwrap_or("127.0.0.1"),
        redis.port.unwrap_or(6379),
        redis.db.unwrap_or(0)
    )
}

/// Everything but unreserved characters percent-encoded, for a URL's user information.
fn percent_encoded(text: &str) -> String {
    text.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                char::from(byte).to_string()
            }
            _ => format!("%{byte:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::echo_server::RedisOptions;

    #[test]
    fn database_config_becomes_a_url_with_its_password_encoded() {
        let file = EchoServerFile {
            redis: RedisOptions {
                host: Some("10.0.0.5".into()),
                port: Some(6380),
                password: Some("p@ss:w/rd".into()),
                db: Some(2),
                key_prefix: None,
            },
            ..EchoServerFile::default()
        };
        let url = database_config_url(&file);
        assert_eq!(url, "redis://:p%40ss%3Aw%2Frd@10.0.0.5:6380/2");
        assert!(RedisAddress::parse(&url).is_ok());
        assert_eq!(
            database_config_url(&EchoServerFile::default()),
            "redis://127.0.0.1:6379/0"
        );
    }

    #[test]
    fn reverb_scaling_takes_laravels_redis_variables() {
        let url = |pairs: &[(&str, &str)]| {
            let pairs: Vec<(String, String)> = pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            reverb_scaling_url(&move |name: &str| {
                pairs
                    .iter()
                    .find(|(k, _)| k == name)
                    .map(|(_, v)| v.clone())
            })
        };
        assert_eq!(
            url(&[("REDIS_HOST", "10.0.0.5")]),
            None,
            "off unless enabled"
        );
        assert_eq!(
            url(&[
                ("REVERB_SCALING_ENABLED", "true"),
                ("REDIS_PASSWORD", "null")
            ]),
            Some("redis://127.0.0.1:6379/0".into())
        );
        assert_eq!(
            url(&[
                ("REVERB_SCALING_ENABLED", "true"),
                ("REDIS_HOST", "10.0.0.5"),
                ("REDIS_PORT", "6380"),
                ("REDIS_PASSWORD", "p@ss"),
                ("REDIS_DB", "2"),
            ]),
            Some("redis://:p%40ss@10.0.0.5:6380/2".into())
        );
        assert_eq!(
            url(&[
                ("REVERB_SCALING_ENABLED", "1"),
                ("REDIS_URL", "rediss://r.example:6380")
            ]),
            Some("rediss://r.example:6380".into())
        );
    }
}
