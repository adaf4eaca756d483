//! Who may call the API: laravel-echo-server's `clients`, each an app id with a key.

use axum::http::{HeaderMap, StatusCode, header};

use crate::Failure;

/// One API client from the config file's `clients`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Client {
    pub app_id: String,
    pub key: String,
}

/// Checks that the request carries the key of `app_id`'s client, in the `Authorization:
/// Bearer` header or the `auth_key` query parameter. An unknown app and a wrong key get the
/// same answer, so the answer does not tell which app ids exist.
pub(crate) fn check(
    clients: &[Client],
    app_id: &str,
    headers: &HeaderMap,
    query: Option<&str>,
) -> Result<(), Failure> {
    let offered = bearer(headers).or_else(|| crate::params::parameter(query, "auth_key"));
    let expected = clients.iter().find(|client| client.app_id == app_id);
    match (expected, offered) {
        (Some(client), Some(offered))
            if constant_time_eq(client.key.as_bytes(), offered.as_bytes()) =>
        {
            Ok(())
        }
        _ => Err(Failure::new(StatusCode::FORBIDDEN, "Unauthorized")),
    }
}

fn bearer(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_owned())
}

/// Compares without returning early, so the time taken says nothing about where keys differ.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    let mut difference = a.len() ^ b.len();
    for (index, byte) in a.iter().enumerate() {
        difference |= usize::from(byte ^ b.get(index).copied().unwrap_or(0));
    }
    difference == 0
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn clients() -> Vec<Client> {
        vec![Client {
            app_id: "app1".into(),
            key: "k1".into(),
        }]
    }

    #[test]
    fn the_key_may_come_as_a_bearer_token_or_as_auth_key() {
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer k1"));
        assert!(check(&clients(), "app1", &headers, None).is_ok());
        assert!(
            check(
                &clients(),
                "app1",
                &HeaderMap::new(),
                Some("x=1&auth_key=k1")
            )
            .is_ok()
        );
    }

    #[test]
    fn wrong_missing_or_misplaced_keys_are_refused_alike() {
        let none = HeaderMap::new();
        assert!(check(&clients(), "app1", &none, None).is_err());
        assert!(check(&clients(), "app1", &none, Some("auth_key=k2")).is_err());
        assert!(check(&clients(), "app1", &none, Some("auth_key=k1x")).is_err());
        assert!(check(&clients(), "app1", &none, Some("auth_key=")).is_err());
        assert!(check(&clients(), "app2", &none, Some("auth_key=k1")).is_err());
        assert!(check(&[], "app1", &none, Some("auth_key=k1")).is_err());
    }

    #[test]
    fn constant_time_comparison_is_still_a_comparison() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
        assert!(!constant_time_eq(b"", b"a"));
    }
}
