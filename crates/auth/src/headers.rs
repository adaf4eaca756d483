//! The client's `auth.headers`, as forwarded to the app.
//!
//! They come from the browser (Echo's `auth.headers`: `X-CSRF-TOKEN`, `Authorization`), so they
//! are bounded in number and size, and two kinds are dropped: those that describe the HTTP
//! request itself (the sidecar, not the client, decides where the request goes and what its
//! body is), and those a proxy sets (an app that trusts the sidecar's address as a proxy must
//! not learn a client-chosen IP address, scheme or host from them).

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

/// Headers a client may not set on the request to the app.
const NOT_FORWARDED: &[&str] = &[
    "host",
    "content-length",
    "content-type",
    "transfer-encoding",
    "connection",
    "keep-alive",
    "upgrade",
    "te",
    "trailer",
    "expect",
    "forwarded",
    "x-real-ip",
    "x-client-ip",
    "true-client-ip",
    "cf-connecting-ip",
    "x-cluster-client-ip",
    "x-original-url",
    "x-rewrite-url",
    "x-http-method-override",
    "x-method-override",
];

/// Prefixes of headers a client may not set: proxies' (`X-Forwarded-For`, `-Host`, `-Proto`,
/// `-Port`, `-Prefix`) and proxy credentials.
const NOT_FORWARDED_PREFIXES: &[&str] = &["x-forwarded-", "proxy-"];

/// At most this many headers are forwarded…
pub const MAX_HEADERS: usize = 32;
/// …with at most this many bytes of names and values in all.
pub const MAX_HEADER_BYTES: usize = 16 * 1024;

/// The forwardable headers among `client`, in order, until a limit is reached. Invalid names
/// or values are skipped.
pub fn from_client(client: &[(String, String)]) -> HeaderMap {
    let mut headers = HeaderMap::new();
    let mut bytes = 0;
    for (name, value) in client {
        let Ok(name) = HeaderName::from_bytes(name.as_bytes()) else {
            continue;
        };
        if NOT_FORWARDED.contains(&name.as_str())
            || NOT_FORWARDED_PREFIXES
                .iter()
                .any(|prefix| name.as_str().starts_with(prefix))
        {
            continue;
        }
        let Ok(value) = HeaderValue::from_str(value) else {
            continue;
        };
        bytes += name.as_str().len() + value.len();
        if headers.len() == MAX_HEADERS || bytes > MAX_HEADER_BYTES {
            tracing::debug!("client auth headers over the limit; the rest are not forwarded");
            break;
        }
        headers.insert(name, value);
    }
    headers
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn csrf_and_bearer_tokens_are_forwarded_and_request_headers_are_not() {
        let headers = from_client(&pairs(&[
            ("X-CSRF-TOKEN", "abc"),
            ("Authorization", "Bearer t"),
            ("Host", "evil.example"),
            ("Content-Length", "0"),
            ("Content-Type", "text/plain"),
            ("bad header", "x"),
            ("X-Ok", "line\nbreak"),
            ("X-Forwarded-For", "1.2.3.4"),
            ("X-Forwarded-Proto", "https"),
            ("Forwarded", "for=1.2.3.4"),
            ("X-Real-IP", "1.2.3.4"),
            ("Proxy-Authorization", "Basic x"),
        ]));
        assert_eq!(headers.len(), 2);
        assert_eq!(headers["x-csrf-token"], "abc");
        assert_eq!(headers["authorization"], "Bearer t");
    }

    #[test]
    fn the_number_and_size_of_headers_are_bounded() {
        let many: Vec<(String, String)> = (0..100)
            .map(|i| (format!("x-h{i}"), "v".to_string()))
            .collect();
        assert_eq!(from_client(&many).len(), MAX_HEADERS);
        let big = pairs(&[("x-a", &"a".repeat(10_000)), ("x-b", &"b".repeat(10_000))]);
        assert_eq!(from_client(&big).len(), 1);
    }
}
