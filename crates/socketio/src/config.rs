//! The socket.io settings sidecast exposes.

use std::time::Duration;

/// Settings of the socket.io front end. `Default` gives the values documented in
/// `docs/configuration.md`.
#[derive(Debug, Clone)]
pub struct Config {
    /// Packets queued per socket before further events to it are dropped (and counted). Sized
    /// for bursts such as a notification sent to every user at once: socketioxide's default of
    /// 128 loses events under such bursts. Memory is only used while a client lags behind.
    pub max_buffer_size: usize,
    /// Largest message a client may send, in bytes (Engine.IO `maxPayload`, and the WebSocket
    /// message limit). A larger one closes that client's connection.
    pub max_payload: u64,
    /// How often the server pings (Engine.IO 4) or expects pings (Engine.IO 3).
    pub ping_interval: Duration,
    /// How long a missing ping or pong is tolerated before the connection is closed.
    pub ping_timeout: Duration,
    /// Largest `data` of a client event (whisper), in bytes; larger ones are dropped.
    pub max_client_event_bytes: usize,
    /// Client events one socket may send per second, on average…
    pub client_events_per_second: u32,
    /// …and in a burst. Beyond that they are dropped.
    pub client_event_burst: u32,
    /// Origins (`https://app.test`) whose pages may connect. Empty: any page may, as with
    /// laravel-echo-server. A connection request with another `Origin` is refused; one without
    /// (a non-browser client) is accepted, since it carries no visitor's cookies.
    pub allowed_origins: Vec<String>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            max_buffer_size: 4096,
            max_payload: 100_000,
            ping_interval: Duration::from_secs(25),
            ping_timeout: Duration::from_secs(20),
            max_client_event_bytes: 16 * 1024,
            client_events_per_second: 50,
            client_event_burst: 100,
            allowed_origins: Vec::new(),
        }
    }
}

impl Config {
    /// Whether a page with this `Origin` header may connect.
    pub fn allows_origin(&self, origin: Option<&str>) -> bool {
        match origin {
            None => true,
            Some(origin) => {
                self.allowed_origins.is_empty()
                    || self.allowed_origins.iter().any(|allowed| allowed == origin)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_origin_is_allowed_until_a_list_is_given() {
        let open = Config::default();
        assert!(open.allows_origin(Some("https://anyone.example")));
        let strict = Config {
            allowed_origins: vec!["https://app.test".into()],
            ..Config::default()
        };
        assert!(strict.allows_origin(Some("https://app.test")));
        assert!(!strict.allows_origin(Some("https://evil.example")));
        assert!(!strict.allows_origin(Some("https://app.test.evil.example")));
        assert!(
            strict.allows_origin(None),
            "non-browser clients send no Origin"
        );
    }
}
