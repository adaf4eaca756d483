//! Which app host to ask, when several are configured.
//!
//! As laravel-echo-server did with a list of `authHost`s, one sidecar can serve several apps:
//! when the page the client was opened from (the `Referer` of its connection request) has the
//! origin of one of the configured hosts, that host is asked; otherwise the first one is. Only
//! exact origins match (scheme, host and port), so a client cannot steer the request, with its
//! cookies, anywhere that was not configured. laravel-echo-server also matched a bare
//! `host:port` or a `.domain` suffix; those forms are not accepted as hosts here.

use url::Url;

/// `url` fit for a log line: a password in it (`http://user:secret@app.test`) shown as `***`.
pub fn redacted(url: &str) -> String {
    match Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            let text = parsed.to_string();
            // Url adds a `/` to a bare origin; keep the text as it was written.
            match url.ends_with('/') {
                true => text,
                false => text.strip_suffix('/').map_or(text.clone(), str::to_owned),
            }
        }
        _ => url.to_owned(),
    }
}

/// The base URL to ask, without a trailing slash.
pub fn select<'a>(hosts: &'a [String], referer: Option<&str>) -> &'a str {
    let first = hosts.first().map_or("", String::as_str);
    let Some(origin) = referer
        .and_then(|referer| Url::parse(referer).ok())
        .map(|url| url.origin().ascii_serialization())
    else {
        return first;
    };
    hosts
        .iter()
        .find(|host| {
            Url::parse(host).is_ok_and(|host| host.origin().ascii_serialization() == origin)
        })
        .map_or(first, String::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hosts(list: &[&str]) -> Vec<String> {
        list.iter().map(|h| h.to_string()).collect()
    }

    #[test]
    fn a_password_in_a_url_is_never_shown() {
        assert_eq!(
            redacted("http://admin:hunter2@app.test:8000"),
            "http://admin:***@app.test:8000"
        );
        assert_eq!(
            redacted("https://admin:hunter2@app.test/broadcasting/auth"),
            "https://admin:***@app.test/broadcasting/auth"
        );
        assert_eq!(redacted("http://app.test"), "http://app.test");
        assert_eq!(redacted("not a url"), "not a url");
    }

    #[test]
    fn without_a_referer_the_first_host_is_asked() {
        let configured = hosts(&["http://127.0.0.1:8000", "http://other.test"]);
        assert_eq!(select(&configured, None), "http://127.0.0.1:8000");
        assert_eq!(
            select(&configured, Some("not a url")),
            "http://127.0.0.1:8000"
        );
    }

    #[test]
    fn a_referer_with_a_configured_origin_picks_that_host() {
        let configured = hosts(&[
            "http://first.test",
            "https://shop.test",
            "http://admin.test:8443",
        ]);
        assert_eq!(
            select(&configured, Some("https://shop.test/cart?x=1")),
            "https://shop.test"
        );
        assert_eq!(
            select(&configured, Some("https://shop.test:443/")),
            "https://shop.test",
            "default port"
        );
        assert_eq!(
            select(&configured, Some("http://admin.test:8443/")),
            "http://admin.test:8443"
        );
    }

    #[test]
    fn any_other_referer_falls_back_to_the_first_host() {
        let configured = hosts(&["http://first.test", "https://shop.test"]);
        assert_eq!(
            select(&configured, Some("https://evil.example/")),
            "http://first.test"
        );
        assert_eq!(
            select(&configured, Some("http://shop.test/")),
            "http://first.test",
            "scheme differs"
        );
        assert_eq!(
            select(&configured, Some("https://shop.test:8443/")),
            "http://first.test",
            "port differs"
        );
        assert_eq!(
            select(&configured, Some("https://eu.shop.test/")),
            "http://first.test",
            "no subdomains"
        );
    }
}
