//! Which app host to ask, when several are configured.
//!
//! laravel-echo-server's rule, kept so its `authHost` lists behave the same: when the page the
//! client was opened from (its `Referer`) matches a configured host, the Referer's own origin is
//! asked, so one sidecar can serve several apps or subdomains. A configured host matches when it
//! equals the Referer's origin (`https://app.test`), its host and port (`app.test:8443`), or,
//! written with a leading dot, the Referer's host name from its first dot on (`.app.test`
//! matches `eu.app.test`). Without a match the first configured host is asked
//! (laravel-echo-server took the last one when a Referer was present, which looks accidental).

use url::Url;

/// The base URL to ask, without a trailing slash.
pub fn select<'a>(hosts: &'a [String], referer: Option<&str>) -> std::borrow::Cow<'a, str> {
    let first = hosts.first().map_or("", String::as_str);
    let Some(referer) = referer.and_then(|r| Url::parse(r).ok()) else {
        return first.into();
    };
    let (Some(host_name), scheme) = (referer.host_str(), referer.scheme()) else {
        return first.into();
    };
    let host_and_port = match referer.port() {
        Some(port) => format!("{host_name}:{port}"),
        None => host_name.to_owned(),
    };
    let origin = format!("{scheme}://{host_and_port}");
    let from_first_dot = host_name.find('.').map(|dot| &host_name[dot..]);
    let matches = hosts.iter().any(|host| {
        *host == origin || *host == host_and_port || Some(host.as_str()) == from_first_dot
    });
    if matches && matches!(scheme, "http" | "https") {
        origin.into()
    } else {
        first.into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hosts(list: &[&str]) -> Vec<String> {
        list.iter().map(|h| h.to_string()).collect()
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
    fn a_matching_referer_picks_its_own_origin() {
        let configured = hosts(&[
            "http://first.test",
            "https://shop.test",
            "admin.test:8443",
            ".apps.test",
        ]);
        assert_eq!(
            select(&configured, Some("https://shop.test/cart?x=1")),
            "https://shop.test"
        );
        assert_eq!(
            select(&configured, Some("http://admin.test:8443/")),
            "http://admin.test:8443"
        );
        assert_eq!(
            select(&configured, Some("https://eu.apps.test/dashboard")),
            "https://eu.apps.test"
        );
    }

    #[test]
    fn a_referer_matching_nothing_falls_back_to_the_first_host() {
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
    }
}
