//! What a node needs to know to join its cluster: where Redis is, the names it uses there,
//! and the timings of liveness and of waiting. `Default` gives the values documented in
//! `docs/scaling.md`.

use std::time::Duration;

use thiserror::Error;

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
    /// The largest message accepted from the bus (the same limit as every ingest path).
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

    /// Checks the settings against each other, and against the key prefix of Laravel's
    /// `redis` broadcaster when the sidecar subscribes to it: that subscriber listens to
    /// `<laravel_prefix>*`, so a bus under that prefix would be taken for Laravel's events.
    pub fn check(&self, laravel_prefix: Option<&str>) -> Result<(), ConfigError> {
        if self.prefix.is_empty() {
            return Err(ConfigError::EmptyPrefix);
        }
        if let Some(laravel) = laravel_prefix
            && self.prefix.starts_with(laravel)
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
        "the cluster's Redis prefix \"{prefix}\" starts with Laravel's Redis key prefix \"{laravel}\": the subscriber to Laravel's broadcasts (PSUBSCRIBE {laravel}*) would take the cluster's messages for events; choose another prefix (SIDECAST_CLUSTER_PREFIX)"
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

/// Where the cluster's Redis is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RedisAddress {
    /// One server: a `redis://` or `rediss://` URL, as redis-rs reads it (user, password,
    /// database number; `#insecure` skips certificate checks).
    Server(String),
    /// Redis Sentinel: the master of `master` is asked of `sentinels` at every (re)connection,
    /// so a failover is followed.
    Sentinel {
        sentinels: Vec<(String, u16)>,
        master: String,
        /// The master's URL with the host left out (`redis://:password@/2`), for its
        /// password, database and TLS.
        template: String,
    },
    /// A Redis Cluster, found from these nodes' URLs (any of its masters will do).
    Cluster { nodes: Vec<String> },
}

impl RedisAddress {
    /// Reads `redis://…`, `rediss://…`,
    /// `redis+sentinel://[:password@]host:port[,host:port…]/master[/db]` (`rediss+sentinel://`
    /// for TLS to the master), or `redis+cluster://[:password@]host:port[,host:port…]`
    /// (`rediss+cluster://`).
    pub fn parse(url: &str) -> Result<Self, ConfigError> {
        let bad = |why: &str| ConfigError::Address(format!("the cluster's Redis URL: {why}"));
        let (scheme, rest) = url
            .split_once("://")
            .ok_or_else(|| bad("expected redis://, rediss:// or redis+sentinel://"))?;
        match scheme {
            "redis" | "rediss" | "valkey" | "valkeys" => {
                redis::parse_redis_url(url).ok_or_else(|| bad("not a valid URL"))?;
                Ok(RedisAddress::Server(url.to_owned()))
            }
            "redis+sentinel" | "rediss+sentinel" => {
                let (auth, hosts_and_path) = match rest.rsplit_once('@') {
                    Some((auth, tail)) => (Some(auth), tail),
                    None => (None, rest),
                };
                let (hosts, path) = hosts_and_path
                    .split_once('/')
                    .ok_or_else(|| bad("a Sentinel URL names the master: …/mymaster"))?;
                let sentinels = hosts
                    .split(',')
                    .map(|host| {
                        let (name, port) = host.rsplit_once(':').unwrap_or((host, "26379"));
                        let port = port
                            .parse()
                            .map_err(|_| bad(&format!("\"{host}\" has no valid port")))?;
                        if name.is_empty() {
                            return Err(bad("a Sentinel host is empty"));
                        }
                        Ok((name.to_owned(), port))
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                let (master, db) = path.split_once('/').unwrap_or((path, ""));
                if master.is_empty() {
                    return Err(bad("a Sentinel URL names the master: …/mymaster"));
                }
                let tls = scheme.starts_with("rediss");
                let template = format!(
                    "{}://{}127.0.0.1:1/{db}",
                    if tls { "rediss" } else { "redis" },
                    auth.map(|auth| format!("{auth}@")).unwrap_or_default()
                );
                redis::parse_redis_url(&template).ok_or_else(|| bad("not a valid URL"))?;
                Ok(RedisAddress::Sentinel {
                    sentinels,
                    master: master.to_owned(),
                    template,
                })
            }
            "redis+cluster" | "rediss+cluster" => {
                let rest = rest.trim_end_matches('/');
                let (auth, hosts) = match rest.rsplit_once('@') {
                    Some((auth, hosts)) => (format!("{auth}@"), hosts),
                    None => (String::new(), rest),
                };
                let scheme = scheme.trim_end_matches("+cluster");
                let nodes = hosts
                    .split(',')
                    .map(|host| {
                        let url = format!("{scheme}://{auth}{host}");
                        match redis::parse_redis_url(&url) {
                            Some(parsed) if parsed.path().trim_matches('/').is_empty() => Ok(url),
                            Some(_) => Err(bad("a Redis Cluster has only database 0: no /db")),
                            None => Err(bad(&format!("\"{host}\" is not a host:port"))),
                        }
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(RedisAddress::Cluster { nodes })
            }
            other => Err(bad(&format!(
                "\"{other}://\" is not one of redis://, rediss://, redis+sentinel://, rediss+sentinel://, redis+cluster://, rediss+cluster://"
            ))),
        }
    }

    /// The address for logs, without a password.
    pub fn describe(&self) -> String {
        match self {
            RedisAddress::Server(url) => redis::parse_redis_url(url)
                .map(|url| {
                    format!(
                        "{}://{}:{}{}",
                        url.scheme(),
                        url.host_str().unwrap_or(""),
                        url.port().unwrap_or(6379),
                        url.path()
                    )
                })
                .unwrap_or_else(|| "(invalid)".to_owned()),
            RedisAddress::Sentinel {
                sentinels, master, ..
            } => {
                let hosts: Vec<String> =
                    sentinels.iter().map(|(h, p)| format!("{h}:{p}")).collect();
                format!("sentinel {} master {master}", hosts.join(","))
            }
            RedisAddress::Cluster { nodes } => {
                let hosts: Vec<String> = nodes
                    .iter()
                    .filter_map(|url| redis::parse_redis_url(url))
                    .map(|url| {
                        let host = url.host_str().unwrap_or("");
                        format!("{host}:{}", url.port().unwrap_or(6379))
                    })
                    .collect();
                format!("cluster {}", hosts.join(","))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_and_sentinel_urls_are_understood() {
        assert_eq!(
            RedisAddress::parse("redis://:secret@127.0.0.1:6380/2").unwrap(),
            RedisAddress::Server("redis://:secret@127.0.0.1:6380/2".into())
        );
        let sentinel =
            RedisAddress::parse("redis+sentinel://:pw@10.0.0.1:26379,10.0.0.2/mymaster/3").unwrap();
        assert_eq!(
            sentinel,
            RedisAddress::Sentinel {
                sentinels: vec![("10.0.0.1".into(), 26379), ("10.0.0.2".into(), 26379)],
                master: "mymaster".into(),
                template: "redis://:pw@127.0.0.1:1/3".into(),
            }
        );
        assert_eq!(
            sentinel.describe(),
            "sentinel 10.0.0.1:26379,10.0.0.2:26379 master mymaster"
        );
        assert_eq!(
            RedisAddress::parse("rediss://:pw@cache.internal:6390/1")
                .unwrap()
                .describe(),
            "rediss://cache.internal:6390/1",
            "no password in logs"
        );
    }

    #[test]
    fn a_redis_cluster_is_found_from_its_nodes() {
        let cluster =
            RedisAddress::parse("redis+cluster://:pw@10.0.0.1:7000,10.0.0.2:7001").unwrap();
        assert_eq!(
            cluster,
            RedisAddress::Cluster {
                nodes: vec![
                    "redis://:pw@10.0.0.1:7000".into(),
                    "redis://:pw@10.0.0.2:7001".into()
                ]
            }
        );
        assert_eq!(cluster.describe(), "cluster 10.0.0.1:7000,10.0.0.2:7001");
        let error = RedisAddress::parse("redis+cluster://10.0.0.1:7000/2").unwrap_err();
        assert!(error.to_string().contains("only database 0"), "{error}");
    }

    #[test]
    fn bad_urls_say_what_is_wrong() {
        for (url, why) in [
            ("127.0.0.1:6379", "expected redis://"),
            ("http://x", "is not one of"),
            ("redis+sentinel://10.0.0.1:26379", "names the master"),
            ("redis+sentinel://10.0.0.1:x/m", "no valid port"),
            ("redis+sentinel://10.0.0.1/", "names the master"),
        ] {
            let error = RedisAddress::parse(url).unwrap_err().to_string();
            assert!(error.contains(why), "{url}: {error}");
        }
    }

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
