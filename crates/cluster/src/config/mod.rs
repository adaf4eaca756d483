//! What a node needs to know to join its cluster: where Redis is, the names it uses there,
//! and the timings of liveness and of waiting. `Default` gives the values documented in
//! `docs/scaling.md`.

mod address;

use std::time::Duration;

use thiserror::Error;

pub use address::RedisAddress;

/// The cluster's settings.
#[derive(Debug, Clone)]
pub struct Config {
    pub redis: RedisAddress,
    /// Prefix of every key and bus channel the cluster uses in Redis. Two clusters on one
    /// Redis need two prefixes.
    pub prefix: String,
    /// How often a node says it is alive.
    pub heartbeat: Duration,
    /// A node that has not said so for this long is dead: its presence members are removed.
    pub dead_after: Duration,
    /// How often a node looks for dead ones.
    pub sweep_every: Duration,
    /// How long a question waits for the other nodes' answers.
    pub survey_timeout: Duration,
    /// How long a presence join waits for Redis before the socket joins with what this node
    /// knows (and the cluster is repaired later).
    pub join_timeout: Duration,
    /// How long a node waits for a missing presence change before it reads the roster.
    pub gap_wait: Duration,
    /// Messages for the other nodes kept while Redis cannot be reached…
    pub buffer_messages: usize,
    /// …and their bytes…
    pub buffer_bytes: usize,
    /// …for at most this long; older ones are dropped (and counted).
    pub buffer_max_age: Duration,
    /// The largest message sent to or taken from the bus: room for the largest event an
    /// ingest path accepts, and its envelope (`for_events_up_to`).
    pub max_message_bytes: usize,
}

impl Config {
    /// The defaults, with Redis at `redis`.
    pub fn new(redis: RedisAddress) -> Self {
        Config {
            redis,
            prefix: "sidecast:".to_owned(),
            heartbeat: Duration::from_secs(3),
            dead_after: Duration::from_secs(15),
            sweep_every: Duration::from_secs(5),
            survey_timeout: Duration::from_secs(2),
            join_timeout: Duration::from_secs(2),
            gap_wait: Duration::from_millis(500),
            buffer_messages: 10_000,
            buffer_bytes: 8 * 1024 * 1024,
            buffer_max_age: Duration::from_secs(5),
            max_message_bytes: 1024 * 1024,
        }
    }

    /// Sizes the bus's message limit for events of up to `frame_bytes` (the ingest's limit):
    /// a channel list and the envelope around the payload at most double it.
    pub fn for_events_up_to(mut self, frame_bytes: usize) -> Self {
        self.max_message_bytes = frame_bytes.saturating_mul(2).saturating_add(64 * 1024);
        self
    }

    /// The same cluster for another app's hub: its keys and bus under a prefix of their own,
    /// `<prefix>app:<id>:`, which no key or channel of the first app's starts with.
    pub fn for_app(&self, id: &str) -> Self {
        Config {
            prefix: format!("{}app:{id}:", self.prefix),
            ..self.clone()
        }
    }

    /// Checks the settings against each other, and against the key prefix of Laravel's
    /// `redis` broadcaster when the sidecar subscribes to it: that subscriber listens to
    /// `<laravel_prefix>*`, so a bus under that prefix would be taken for Laravel's events.
    pub fn check(&self, laravel_prefix: Option<&str>) -> Result<(), ConfigError> {
        if self.prefix.is_empty() {
            return Err(ConfigError::EmptyPrefix);
        }
        // Every channel the cluster listens to starts with one of these.
        let heard = [
            format!("{}bus", self.prefix),
            format!("{}node:", self.prefix),
        ];
        if let Some(laravel) = laravel_prefix
            && heard.iter().any(|channel| channel.starts_with(laravel))
        {
            return Err(ConfigError::PrefixUnderLaravels {
                prefix: self.prefix.clone(),
                laravel: laravel.to_owned(),
            });
        }
        if self.heartbeat.is_zero() || self.heartbeat * 3 > self.dead_after {
            return Err(ConfigError::Heartbeat {
                heartbeat: self.heartbeat,
                dead_after: self.dead_after,
            });
        }
        if self.sweep_every.is_zero() {
            return Err(ConfigError::Zero("sweep interval"));
        }
        if self.survey_timeout.is_zero() || self.join_timeout.is_zero() {
            return Err(ConfigError::Zero("timeout"));
        }
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ConfigError {
    #[error("the cluster's Redis prefix must not be empty")]
    EmptyPrefix,
    #[error(
        "the cluster's channels (prefix \"{prefix}\") start with Laravel's Redis key prefix \"{laravel}\": the subscriber to Laravel's broadcasts (PSUBSCRIBE {laravel}*) would take the cluster's messages for events; choose another prefix (SIDECAST_CLUSTER_PREFIX)"
    )]
    PrefixUnderLaravels { prefix: String, laravel: String },
    #[error(
        "the heartbeat ({heartbeat:?}) must be at most a third of the time after which a node is dead ({dead_after:?}), so that one late heartbeat does not kill a node"
    )]
    Heartbeat {
        heartbeat: Duration,
        dead_after: Duration,
    },
    #[error("the cluster's {0} must not be zero")]
    Zero(&'static str),
    #[error("{0}")]
    Address(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_that_cannot_work_are_refused() {
        let config = Config::new(RedisAddress::Server("redis://127.0.0.1".into()));
        assert_eq!(config.check(Some("laravel_database_")), Ok(()));
        assert!(matches!(
            config.check(Some("")),
            Err(ConfigError::PrefixUnderLaravels { .. })
        ));
        assert!(matches!(
            config.check(Some("side")),
            Err(ConfigError::PrefixUnderLaravels { .. })
        ));
        assert!(
            matches!(
                config.check(Some("sidecast:b")),
                Err(ConfigError::PrefixUnderLaravels { .. })
            ),
            "a Laravel prefix longer than the cluster's still hears sidecast:bus"
        );
        assert_eq!(config.check(Some("sidecast:x")), Ok(()));
        let slow = Config {
            heartbeat: Duration::from_secs(6),
            ..config.clone()
        };
        assert!(matches!(
            slow.check(None),
            Err(ConfigError::Heartbeat { .. })
        ));
        let empty = Config {
            prefix: String::new(),
            ..config
        };
        assert_eq!(empty.check(None), Err(ConfigError::EmptyPrefix));
    }
}
