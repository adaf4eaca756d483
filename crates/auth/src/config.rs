//! Where the Laravel app is, and how it is asked.

use std::time::Duration;

use thiserror::Error;

/// How [`LaravelAuthorizer`](crate::LaravelAuthorizer) reaches the app.
#[derive(Debug, Clone)]
pub struct Config {
    /// Base URLs of the app (`http://127.0.0.1:8000`). With several, the one matching the
    /// client's `Referer` is asked; otherwise the first.
    pub hosts: Vec<String>,
    /// Path of the auth endpoint, `/broadcasting/auth` by default.
    pub endpoint: String,
    /// How long one authorization may take, waiting for a free slot included.
    pub timeout: Duration,
    /// Requests to the app in flight at once; more wait their turn.
    pub max_in_flight: usize,
    /// Requests in flight at once for clients of one address; more from that address wait
    /// their turn without holding one of the `max_in_flight` slots. `None`: no bound of its
    /// own (behind a proxy, every client has the proxy's address).
    pub max_in_flight_per_address: Option<usize>,
    /// Verify the app's TLS certificate. Only for development may this be off.
    pub verify_tls: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            hosts: vec!["http://localhost".to_owned()],
            endpoint: "/broadcasting/auth".to_owned(),
            timeout: Duration::from_secs(5),
            max_in_flight: 64,
            max_in_flight_per_address: None,
            verify_tls: true,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ConfigError {
    #[error("no auth host: give the Laravel app's base URL, such as http://127.0.0.1:8000")]
    NoHost,
    #[error(
        "auth host \"{0}\" is not an http:// or https:// URL without a path, such as http://127.0.0.1:8000"
    )]
    BadHost(String),
    #[error("auth endpoint \"{0}\" must be a path starting with /, such as /broadcasting/auth")]
    BadEndpoint(String),
    #[error("the auth timeout must be more than zero")]
    ZeroTimeout,
    #[error("at least one auth request must be allowed in flight")]
    ZeroInFlight,
    #[error("cannot build the HTTP client: {0}")]
    Client(String),
}

impl Config {
    pub(crate) fn validate(&self) -> Result<(), ConfigError> {
        if self.hosts.is_empty() {
            return Err(ConfigError::NoHost);
        }
        for host in &self.hosts {
            let usable = url::Url::parse(host).is_ok_and(|url| {
                matches!(url.scheme(), "http" | "https")
                    && url.host().is_some()
                    && url.path() == "/"
                    && !host.ends_with('/')
                    && url.query().is_none()
            });
            if !usable {
                return Err(ConfigError::BadHost(host.clone()));
            }
        }
        if !self.endpoint.starts_with('/') {
            return Err(ConfigError::BadEndpoint(self.endpoint.clone()));
        }
        if self.timeout.is_zero() {
            return Err(ConfigError::ZeroTimeout);
        }
        if self.max_in_flight == 0 || self.max_in_flight_per_address == Some(0) {
            return Err(ConfigError::ZeroInFlight);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_hosts(hosts: &[&str]) -> Config {
        Config {
            hosts: hosts.iter().map(|h| h.to_string()).collect(),
            ..Config::default()
        }
    }

    #[test]
    fn hosts_must_be_base_urls() {
        assert_eq!(
            with_hosts(&["http://127.0.0.1:8000", "https://app.test"]).validate(),
            Ok(())
        );
        for bad in [
            "127.0.0.1:8000",
            "ftp://app.test",
            "http://app.test/",
            "http://app.test/api",
            "http://",
        ] {
            assert_eq!(
                with_hosts(&[bad]).validate(),
                Err(ConfigError::BadHost(bad.into())),
                "{bad}"
            );
        }
        assert_eq!(with_hosts(&[]).validate(), Err(ConfigError::NoHost));
    }

    #[test]
    fn endpoint_timeout_and_concurrency_are_checked() {
        let config = Config {
            endpoint: "broadcasting/auth".into(),
            ..Config::default()
        };
        assert!(matches!(
            config.validate(),
            Err(ConfigError::BadEndpoint(_))
        ));
        let config = Config {
            timeout: Duration::ZERO,
            ..Config::default()
        };
        assert_eq!(config.validate(), Err(ConfigError::ZeroTimeout));
        let config = Config {
            max_in_flight: 0,
            ..Config::default()
        };
        assert_eq!(config.validate(), Err(ConfigError::ZeroInFlight));
    }
}
