//! Where the cluster's Redis is, from a URL: one server, Sentinel, or a Redis Cluster.

use super::ConfigError;

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
}
