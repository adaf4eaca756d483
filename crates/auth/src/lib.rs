//! Channel authorization by the Laravel app itself.
//!
//! Before a client joins a private or presence channel, a front end asks the core's
//! [`Authorizer`]. This crate has the two the Laravel protocols need:
//!
//! - [`LaravelAuthorizer`] asks the app, as laravel-echo-server did: a form POST of
//!   `channel_name` and `socket_id` to the app's auth endpoint (`/broadcasting/auth`),
//!   carrying the client's session cookie and the headers Echo was told to send
//!   (`auth.headers`), so the app's `routes/channels.php` callbacks decide with the user they
//!   already know. HTTP 200 grants access; anything else is refused with that status.
//! - [`SignatureAuthorizer`] checks the signature a Pusher client got from the app's auth
//!   endpoint against the app's secret (`signature`): the app decided, the server verifies.
//!
//! # Layout
//! - [`config`]: where the app is and how it is asked (hosts, endpoint, timeout, concurrency,
//!   TLS verification).
//! - [`host`]: which of several configured app hosts to ask, from the client's `Referer`.
//! - [`headers`]: which of the client's headers are forwarded.
//! - [`answer`]: reading the app's answer (`true`, `{"channel_data": …}`) into an [`Access`].
//! - [`signature`]: the Pusher protocol's channel signatures, verified.
//! - `fairness`: requests in flight per client address, when bounded.
//! - [`metrics`]: outcomes and the app's answer times, for the server's census.
#![forbid(unsafe_code)]

pub mod answer;
pub mod config;
mod fairness;
pub mod headers;
pub mod host;
pub mod metrics;
pub mod signature;

use std::sync::Arc;

use reqwest::header::{HeaderMap, HeaderValue};
use sidecast_core::{Access, AuthDenied, AuthRequest, Authorization, Authorizer, Credentials};
use tokio::sync::Semaphore;

pub use config::{Config, ConfigError};
pub use signature::{NotHex, SignatureAuthorizer, signature, signature_matches};

/// Asks the Laravel app's auth endpoint.
#[derive(Debug, Clone)]
pub struct LaravelAuthorizer {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    client: reqwest::Client,
    config: Config,
    /// Bounds the requests in flight: a burst of subscriptions (every client reconnecting after
    /// a deploy) must not become a burst of thousands of requests to PHP.
    in_flight: Semaphore,
    /// Bounds them per client address too, when configured.
    per_address: Option<fairness::PerAddress>,
}

impl LaravelAuthorizer {
    pub fn new(config: Config) -> Result<Self, ConfigError> {
        config.validate()?;
        // No client timeout: `authorize` bounds the whole exchange, waiting for a slot included.
        let client = reqwest::Client::builder()
            .danger_accept_invalid_certs(!config.verify_tls)
            // Proxy variables meant for outgoing traffic must not divert requests to the app.
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|error| ConfigError::Client(error.to_string()))?;
        Ok(LaravelAuthorizer {
            inner: Arc::new(Inner {
                client,
                in_flight: Semaphore::new(config.max_in_flight),
                per_address: config
                    .max_in_flight_per_address
                    .map(fairness::PerAddress::new),
                config,
            }),
        })
    }
}

impl Authorizer for LaravelAuthorizer {
    fn authorize(&self, request: AuthRequest) -> Authorization {
        let inner = self.inner.clone();
        Box::pin(async move {
            let deadline = inner.config.timeout;
            let started = sidecast_core::metrics::Stopwatch::start();
            let result = match tokio::time::timeout(deadline, inner.ask(&request)).await {
                Ok(result) => result,
                Err(_) => Err(AuthDenied::Failed(format!(
                    "no answer from the app within {:.1} s",
                    deadline.as_secs_f64()
                ))),
            };
            metrics::METRICS.asked(&result, started);
            result
        })
    }
}

impl Inner {
    async fn ask(&self, request: &AuthRequest) -> Result<Access, AuthDenied> {
        let Credentials::Forwarded {
            headers,
            cookie,
            referer,
            address,
        } = &request.credentials
        else {
            return Err(AuthDenied::Failed(
                "a signed subscription is checked with the app's secret, not by asking the app"
                    .to_owned(),
            ));
        };
        // The address's place first: waiting for it holds none of the shared slots.
        let _address_permit = match (&self.per_address, address) {
            (Some(per_address), Some(address)) => Some(per_address.acquire(*address).await),
            _ => None,
        };
        let _permit = self
            .in_flight
            .acquire()
            .await
            .map_err(|_| AuthDenied::Failed("the authorizer is shutting down".to_owned()))?;
        let host = host::select(&self.config.hosts, referer.as_deref());
        let url = format!("{host}{}", self.config.endpoint);
        let response = self
            .client
            .post(&url)
            .headers(forwarded_headers(headers, cookie.as_deref()))
            .form(&[
                ("channel_name", request.channel.as_str()),
                ("socket_id", request.socket_id.as_str()),
            ])
            .send()
            .await
            .map_err(|error| {
                let url = host::redacted(&url);
                AuthDenied::Failed(format!("POST {url}: {}", without_url(&error)))
            })?;
        let status = response.status().as_u16();
        if status != 200 {
            return Err(AuthDenied::Refused(status));
        }
        let body = answer::read_limited(response).await?;
        answer::access(&request.channel, &body)
    }
}

/// The headers sent to the app: the client's `auth.headers` (minus those that describe the
/// request itself), its session cookie, and the marker Laravel uses to answer in JSON.
fn forwarded_headers(client: &[(String, String)], cookie: Option<&str>) -> HeaderMap {
    let mut headers = headers::from_client(client);
    if !headers.contains_key(reqwest::header::COOKIE)
        && let Some(cookie) = cookie.and_then(|cookie| HeaderValue::from_str(cookie).ok())
    {
        headers.insert(reqwest::header::COOKIE, cookie);
    }
    headers.insert(
        "x-requested-with",
        HeaderValue::from_static("XMLHttpRequest"),
    );
    headers.insert(
        reqwest::header::ACCEPT,
        HeaderValue::from_static("application/json"),
    );
    headers
}

/// reqwest's error text, without the URL it repeats (already in the message).
fn without_url(error: &reqwest::Error) -> String {
    let mut source = std::error::Error::source(error);
    let mut text = String::new();
    while let Some(cause) = source {
        text = cause.to_string();
        source = cause.source();
    }
    if text.is_empty() {
        error.to_string()
    } else {
        text
    }
}
