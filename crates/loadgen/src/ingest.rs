//! The four ways the generator hands events to a server, chosen by the `--ingest` target:
//!
//! | target | path | server |
//! |---|---|---|
//! | `unix:/path/to/sidecast.sock` | sidecast's wire protocol, one `PUBLISH` frame per event | sidecast |
//! | `http://host:port/apps/ID?key=KEY` | `POST /apps/ID/events` with `Authorization: Bearer KEY`, one request at a time | sidecast, laravel-echo-server |
//! | `http://host:port/apps/ID?key=KEY&secret=SECRET` | the same path signed as the Pusher HTTP API is, the app's key and secret | sidecast, Reverb, Soketi, Sockudo |
//! | `redis://host:port/PREFIX` | `PUBLISH PREFIXchannel {"event":…,"data":…,"socket":null}`, Laravel's `redis` broadcaster | sidecast, laravel-echo-server |
//!
//! Each publisher sends one event at a time and returns when the path took it (the write
//! completed, the HTTP answer or Redis reply arrived), so the publish rate never outruns the
//! path unnoticed.

mod http;
mod pusher;
mod redis;
mod unix;

use std::path::PathBuf;

use thiserror::Error;

/// Where to send events, parsed from `--ingest`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Unix(PathBuf),
    Http {
        /// `http://host:port/apps/ID/events`.
        events_url: String,
        key: String,
    },
    /// The Pusher HTTP API: the same URL, signed with the app's key and secret.
    Pusher {
        events_url: String,
        key: String,
        secret: String,
    },
    Redis {
        /// `host:port`.
        address: String,
        /// Prepended to every channel name, Laravel's `database.redis.options.prefix`.
        prefix: String,
    },
}

#[derive(Debug, Error)]
pub enum IngestError {
    #[error("cannot connect to {target}: {source}")]
    Connect {
        target: String,
        source: std::io::Error,
    },
    #[error("writing the event failed: {0}")]
    Io(#[from] std::io::Error),
    #[error("the event cannot be encoded: {0}")]
    Encode(#[from] sidecast_wire::EncodeError),
    #[error("HTTP publish failed: {0}")]
    Http(#[from] reqwest::Error),
    #[error("HTTP publish answered {status}: {body}")]
    HttpStatus { status: u16, body: String },
    #[error("Redis refused the PUBLISH: {0}")]
    Redis(String),
}

impl std::str::FromStr for Target {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if let Some(path) = text.strip_prefix("unix:") {
            if path.is_empty() {
                return Err("unix: expected a socket path, as in unix:/tmp/sidecast.sock".into());
            }
            return Ok(Target::Unix(PathBuf::from(path)));
        }
        if let Some(rest) = text.strip_prefix("redis://") {
            let (address, prefix) = rest.split_once('/').unwrap_or((rest, ""));
            if !address.contains(':') {
                return Err(format!("{text}: expected redis://host:port/prefix"));
            }
            return Ok(Target::Redis {
                address: address.to_owned(),
                prefix: prefix.to_owned(),
            });
        }
        if text.starts_with("http://") || text.starts_with("https://") {
            let usage =
                || format!("{text}: expected http://host:port/apps/APP_ID?key=KEY[&secret=SECRET]");
            let (base, query) = text.split_once('?').ok_or_else(usage)?;
            let parameter = |name: &str| {
                query
                    .split('&')
                    .find_map(|pair| pair.strip_prefix(name)?.strip_prefix('='))
                    .filter(|value| !value.is_empty())
                    .map(str::to_owned)
            };
            let key = parameter("key").ok_or_else(usage)?;
            let (_, app) = base.split_once("/apps/").ok_or_else(usage)?;
            if app.is_empty() || app.contains('/') {
                return Err(usage());
            }
            let events_url = format!("{}/events", base.trim_end_matches('/'));
            return Ok(match parameter("secret") {
                Some(secret) => Target::Pusher {
                    events_url,
                    key,
                    secret,
                },
                None => Target::Http { events_url, key },
            });
        }
        Err(format!(
            "{text}: expected unix:/path, http://host:port/apps/ID?key=KEY[&secret=SECRET] or redis://host:port/prefix"
        ))
    }
}

impl std::fmt::Display for Target {
    /// The target without its API key, for reports.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Target::Unix(path) => write!(f, "unix:{}", path.display()),
            Target::Http { events_url, .. } => write!(f, "{events_url}"),
            Target::Pusher { events_url, .. } => write!(f, "{events_url} (Pusher-signed)"),
            Target::Redis { address, prefix } => write!(f, "redis://{address}/{prefix}"),
        }
    }
}

/// A connected publisher for one [`Target`].
#[derive(Debug)]
pub enum Publisher {
    Unix(unix::UnixPublisher),
    Http(http::HttpPublisher),
    Pusher(pusher::PusherPublisher),
    Redis(redis::RedisPublisher),
}

impl Publisher {
    pub async fn connect(target: &Target) -> Result<Self, IngestError> {
        Ok(match target {
            Target::Unix(path) => Publisher::Unix(unix::UnixPublisher::connect(path).await?),
            Target::Http { events_url, key } => {
                Publisher::Http(http::HttpPublisher::new(events_url, key)?)
            }
            Target::Pusher {
                events_url,
                key,
                secret,
            } => Publisher::Pusher(pusher::PusherPublisher::new(events_url, key, secret)?),
            Target::Redis { address, prefix } => {
                Publisher::Redis(redis::RedisPublisher::connect(address, prefix).await?)
            }
        })
    }

    /// Hands one event to the server: `event` on `channel`, with `data` (JSON text) as its
    /// data.
    pub async fn publish(
        &mut self,
        channel: &str,
        event: &str,
        data: &str,
    ) -> Result<(), IngestError> {
        match self {
            Publisher::Unix(publisher) => publisher.publish(channel, event, data).await,
            Publisher::Http(publisher) => publisher.publish(channel, event, data).await,
            Publisher::Pusher(publisher) => publisher.publish(channel, event, data).await,
            Publisher::Redis(publisher) => publisher.publish(channel, event, data).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_target_forms() {
        assert_eq!(
            "unix:/tmp/s.sock".parse(),
            Ok(Target::Unix("/tmp/s.sock".into()))
        );
        assert_eq!(
            "http://127.0.0.1:6001/apps/app-1?key=secret".parse(),
            Ok(Target::Http {
                events_url: "http://127.0.0.1:6001/apps/app-1/events".into(),
                key: "secret".into(),
            })
        );
        assert_eq!(
            "http://127.0.0.1:6001/apps/app-1?key=k&secret=s".parse(),
            Ok(Target::Pusher {
                events_url: "http://127.0.0.1:6001/apps/app-1/events".into(),
                key: "k".into(),
                secret: "s".into(),
            })
        );
        assert_eq!(
            "redis://127.0.0.1:6379/laravel_database_".parse(),
            Ok(Target::Redis {
                address: "127.0.0.1:6379".into(),
                prefix: "laravel_database_".into(),
            })
        );
        assert_eq!(
            "redis://127.0.0.1:6379".parse(),
            Ok(Target::Redis {
                address: "127.0.0.1:6379".into(),
                prefix: String::new(),
            })
        );
    }

    #[test]
    fn targets_are_shown_without_the_key() {
        for (given, shown) in [
            ("unix:/tmp/s.sock", "unix:/tmp/s.sock"),
            (
                "http://127.0.0.1:1/apps/a?key=secret",
                "http://127.0.0.1:1/apps/a/events",
            ),
            ("redis://127.0.0.1:2/p_", "redis://127.0.0.1:2/p_"),
            (
                "http://127.0.0.1:1/apps/a?key=k&secret=hush",
                "http://127.0.0.1:1/apps/a/events (Pusher-signed)",
            ),
        ] {
            assert_eq!(given.parse::<Target>().unwrap().to_string(), shown);
        }
    }

    #[test]
    fn incomplete_targets_are_refused_with_the_expected_form() {
        for bad in [
            "unix:",
            "redis://localhost/prefix",
            "http://127.0.0.1:6001/apps/app-1",
            "http://127.0.0.1:6001/apps/app-1?key=",
            "http://127.0.0.1:6001/apps/app-1?secret=s",
            "http://127.0.0.1:6001/apps/app-1?mykey=k",
            "http://127.0.0.1:6001/?key=k",
            "http://127.0.0.1:6001/apps/a/b?key=k",
            "tcp://127.0.0.1:1",
        ] {
            let error = bad.parse::<Target>().unwrap_err();
            assert!(error.contains("expected"), "{bad}: {error}");
        }
    }
}
