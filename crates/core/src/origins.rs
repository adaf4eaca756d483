//! Which web pages may connect. A browser names the page a connection comes from in its
//! `Origin` header; a page of another site must not reach private channels with its visitor's
//! session cookie. Every front end checks the same list when a client connects.

/// Origins (`https://app.test`) whose pages may connect. Empty: any page may, as with
/// laravel-echo-server. A connection with another `Origin` is refused; one without (a
/// non-browser client) is accepted, since it carries no visitor's cookies.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowedOrigins(Vec<String>);

impl AllowedOrigins {
    pub fn new(origins: Vec<String>) -> Self {
        AllowedOrigins(origins)
    }

    /// Any page may connect.
    pub fn is_any(&self) -> bool {
        self.0.is_empty()
    }

    /// The listed origins; empty for any.
    pub fn list(&self) -> &[String] {
        &self.0
    }

    /// Whether a client whose request carries this `Origin` header may connect.
    pub fn allows(&self, origin: Option<&str>) -> bool {
        match origin {
            None => true,
            Some(origin) => self.is_any() || self.0.iter().any(|allowed| allowed == origin),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_origin_is_allowed_until_a_list_is_given() {
        assert!(AllowedOrigins::default().allows(Some("https://anyone.example")));
        let strict = AllowedOrigins::new(vec!["https://app.test".into()]);
        assert!(strict.allows(Some("https://app.test")));
        assert!(!strict.allows(Some("https://evil.example")));
        assert!(!strict.allows(Some("https://app.test.evil.example")));
        assert!(strict.allows(None), "non-browser clients send no Origin");
    }
}
