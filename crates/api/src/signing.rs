//! Pusher's request signing, which Laravel's `pusher` and `reverb` drivers (pusher-http-php)
//! and every Pusher server SDK use: `auth_key`, `auth_timestamp`, `auth_version`, `body_md5`
//! of the raw body for a POST, and `auth_signature`, the hex HMAC-SHA256 with the app's secret
//! of `METHOD\nPATH\n` and the other parameters, decoded, keys lower-cased, sorted by key,
//! joined as `k=v&…` without re-encoding.
//!
//! Unlike Reverb and Soketi, the timestamp is checked: a request more than 600 s from this
//! server's clock is refused, so a captured request cannot be replayed later.

use std::time::{SystemTime, UNIX_EPOCH};

use axum::http::StatusCode;
use md5::{Digest, Md5};
use sidecast_auth::{NotHex, signature_matches};

use crate::Failure;
use crate::params::pairs;

/// How far a request's `auth_timestamp` may be from this server's clock, in seconds.
pub const MAX_CLOCK_SKEW_SECS: u64 = 600;

/// A Pusher app whose requests are checked by signature.
#[derive(Clone, PartialEq, Eq)]
pub struct SignedApp {
    pub id: String,
    pub key: String,
    pub secret: String,
}

impl std::fmt::Debug for SignedApp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignedApp")
            .field("id", &self.id)
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

/// What a signed request is, as far as its signature covers it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SignedRequest<'a> {
    pub method: &'a str,
    /// The path as the client signed it: `/apps/{id}/…`.
    pub path: &'a str,
    pub query: &'a str,
    pub body: &'a [u8],
}

/// Checks `request` against the app whose id the path names.
pub(crate) fn verify(
    apps: &[SignedApp],
    app_id: &str,
    request: SignedRequest<'_>,
) -> Result<(), Failure> {
    verify_at(apps, app_id, request, unix_now())
}

fn verify_at(
    apps: &[SignedApp],
    app_id: &str,
    request: SignedRequest<'_>,
    now: u64,
) -> Result<(), Failure> {
    let refuse = |why: String| Failure::new(StatusCode::UNAUTHORIZED, why);
    let app = apps
        .iter()
        .find(|app| app.id == app_id)
        .ok_or_else(|| refuse(format!("unknown app id {app_id:?}")))?;
    let mut params: Vec<(String, String)> = Vec::new();
    for (key, value) in pairs(request.query) {
        let key = key.to_ascii_lowercase();
        if params.iter().any(|(seen, _)| *seen == key) {
            return Err(refuse(format!("the parameter {key} is given twice")));
        }
        params.push((key, value));
    }
    let get = |name: &str| {
        params
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    };
    let signature = get("auth_signature").ok_or_else(|| refuse("no auth_signature".into()))?;
    if get("auth_key") != Some(app.key.as_str()) {
        return Err(refuse("auth_key is not this app's key".into()));
    }
    let timestamp: u64 = get("auth_timestamp")
        .and_then(|t| t.parse().ok())
        .ok_or_else(|| refuse("auth_timestamp is missing or not a number".into()))?;
    if timestamp.abs_diff(now) > MAX_CLOCK_SKEW_SECS {
        return Err(refuse(format!(
            "auth_timestamp {timestamp} is more than {MAX_CLOCK_SKEW_SECS} s from the server's time {now}"
        )));
    }
    match get("auth_version") {
        Some("1.0") => {}
        None => return Err(refuse("no auth_version".into())),
        Some(other) => {
            return Err(refuse(format!(
                "auth_version {other:?} is not one this server knows (1.0)"
            )));
        }
    }
    if !request.body.is_empty() {
        let digest = hex(&Md5::digest(request.body));
        if get("body_md5") != Some(digest.as_str()) {
            return Err(refuse("body_md5 is not the MD5 of the body".into()));
        }
    }
    let mut signed: Vec<&(String, String)> = params
        .iter()
        .filter(|(key, _)| key != "auth_signature")
        .collect();
    signed.sort();
    let joined: Vec<String> = signed.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let text = format!("{}\n{}\n{}", request.method, request.path, joined.join("&"));
    match signature_matches(&app.secret, &text, signature) {
        Ok(true) => Ok(()),
        Ok(false) => Err(refuse("Invalid signature: check the app's secret".into())),
        Err(NotHex) => Err(refuse("auth_signature is not hexadecimal".into())),
    }
}

/// Whether a request carries Pusher's signature, rather than laravel-echo-server's key.
pub(crate) fn is_signed(query: Option<&str>) -> bool {
    query.is_some_and(|query| {
        pairs(query).any(|(key, _)| key.eq_ignore_ascii_case("auth_signature"))
    })
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_secs())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

#[cfg(test)]
mod tests;
