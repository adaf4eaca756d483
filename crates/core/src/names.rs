//! Validated names. Every string that comes from outside (a client's `subscribe`, a frame from
//! PHP) becomes one of these types at the edge, so the hub never sees an empty, oversized or
//! control-character name.

use std::borrow::Borrow;
use std::fmt;
use std::sync::Arc;

use thiserror::Error;

/// Longest accepted channel name, in bytes. Pusher-protocol servers use the same bound, so a
/// name valid here stays valid when the app moves between protocols.
pub const MAX_CHANNEL_NAME_BYTES: usize = 200;

/// Longest accepted event name, in bytes: room for a deeply namespaced PHP class name.
pub const MAX_EVENT_NAME_BYTES: usize = 255;

/// Longest accepted socket id, in bytes. Ids are made by the front ends (socket.io uses 16
/// characters); anything longer coming from PHP cannot match a connection.
pub const MAX_SOCKET_ID_BYTES: usize = 64;

/// Why a name was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum InvalidName {
    #[error("{what} is empty")]
    Empty { what: &'static str },
    #[error("{what} is {len} bytes long; the limit is {max}")]
    TooLong {
        what: &'static str,
        len: usize,
        max: usize,
    },
    #[error("{what} contains a control character")]
    ControlCharacter { what: &'static str },
}

fn validate(what: &'static str, value: &str, max: usize) -> Result<(), InvalidName> {
    if value.is_empty() {
        return Err(InvalidName::Empty { what });
    }
    if value.len() > max {
        return Err(InvalidName::TooLong {
            what,
            len: value.len(),
            max,
        });
    }
    if value.chars().any(char::is_control) {
        return Err(InvalidName::ControlCharacter { what });
    }
    Ok(())
}

macro_rules! name_type {
    ($(#[$doc:meta])* $name:ident, $what:literal, $max:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(Arc<str>);

        impl $name {
            /// Validates `value` and wraps it.
            pub fn new(value: &str) -> Result<Self, InvalidName> {
                validate($what, value, $max)?;
                Ok(Self(Arc::from(value)))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }
    };
}

name_type!(
    /// A channel name exactly as Laravel and Echo spell it, prefix included.
    ChannelName,
    "channel name",
    MAX_CHANNEL_NAME_BYTES
);
name_type!(
    /// The name clients listen for: an event's class name or its `broadcastAs()` value.
    EventName,
    "event name",
    MAX_EVENT_NAME_BYTES
);
name_type!(
    /// A client connection's id, as its front end assigned it. Laravel learns it from the
    /// `X-Socket-ID` header and sends it back to exclude that connection (`toOthers()`).
    SocketId,
    "socket id",
    MAX_SOCKET_ID_BYTES
);

/// What Laravel's naming convention says a channel needs before a client may join it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChannelKind {
    /// Anyone may subscribe.
    Public,
    /// `private-…`: the Laravel app must authorize each subscription.
    Private,
    /// `presence-…`: authorized like a private channel, and members are announced.
    Presence,
}

impl ChannelName {
    /// The kind this name's prefix implies. `private-encrypted-…` is private.
    pub fn kind(&self) -> ChannelKind {
        if self.0.starts_with("presence-") {
            ChannelKind::Presence
        } else if self.0.starts_with("private-") {
            ChannelKind::Private
        } else {
            ChannelKind::Public
        }
    }

    /// Names starting with `#` are the server's own (the Pusher protocol's
    /// `#server-to-user-<id>`): no client may choose one, whatever its protocol.
    pub fn is_reserved(&self) -> bool {
        self.0.starts_with('#')
    }

    /// For `#server-to-user-<id>`, the user whose signed-in connections receive its events.
    pub fn user_channel_of(&self) -> Option<&str> {
        self.0
            .strip_prefix("#server-to-user-")
            .filter(|user| !user.is_empty())
    }

    /// A cache channel, whose last event new subscribers receive: `cache-`,
    /// `private-cache-`, `private-encrypted-cache-` or `presence-cache-`.
    pub fn is_cache(&self) -> bool {
        [
            "cache-",
            "private-cache-",
            "private-encrypted-cache-",
            "presence-cache-",
        ]
        .iter()
        .any(|prefix| self.0.starts_with(prefix))
    }

    /// `private-encrypted-…`: the app encrypts the payloads, which are relayed untouched.
    pub fn is_encrypted(&self) -> bool {
        self.0.starts_with("private-encrypted-")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn laravel_prefixes_decide_the_kind() {
        let kind = |name: &str| ChannelName::new(name).map(|c| c.kind());
        assert_eq!(kind("orders"), Ok(ChannelKind::Public));
        assert_eq!(kind("App.Models.User.1"), Ok(ChannelKind::Public));
        assert_eq!(kind("private-orders.1"), Ok(ChannelKind::Private));
        assert_eq!(kind("private-encrypted-x"), Ok(ChannelKind::Private));
        assert_eq!(kind("presence-room.1"), Ok(ChannelKind::Presence));
        // Only a prefix counts, unlike laravel-echo-server's unanchored pattern.
        assert_eq!(kind("my-private-notes"), Ok(ChannelKind::Public));
    }

    #[test]
    fn server_channels_and_encrypted_ones_are_told_apart() {
        let name = |name: &str| ChannelName::new(name).unwrap();
        assert_eq!(name("#server-to-user-42").user_channel_of(), Some("42"));
        assert!(name("#server-to-user-42").is_reserved());
        assert_eq!(name("#server-to-user-").user_channel_of(), None);
        assert!(name("#anything").is_reserved());
        assert!(!name("orders#1").is_reserved());
        assert_eq!(name("server-to-user-42").user_channel_of(), None);
        assert!(name("private-encrypted-x").is_encrypted());
        assert!(!name("private-x-encrypted-").is_encrypted());
        for cache in [
            "cache-a",
            "private-cache-a",
            "private-encrypted-cache-a",
            "presence-cache-a",
        ] {
            assert!(name(cache).is_cache(), "{cache}");
        }
        for other in ["cached-a", "my-cache-a", "private-a", "presence-cachet"] {
            assert!(!name(other).is_cache(), "{other}");
        }
    }

    #[test]
    fn bad_names_are_refused_with_the_reason() {
        assert_eq!(
            ChannelName::new(""),
            Err(InvalidName::Empty {
                what: "channel name"
            })
        );
        assert_eq!(
            ChannelName::new(&"x".repeat(201)),
            Err(InvalidName::TooLong {
                what: "channel name",
                len: 201,
                max: 200
            })
        );
        assert!(ChannelName::new(&"x".repeat(200)).is_ok());
        assert_eq!(
            EventName::new("a\nb"),
            Err(InvalidName::ControlCharacter { what: "event name" })
        );
        assert!(SocketId::new(&"s".repeat(65)).is_err());
        assert!(ChannelName::new("caf\u{e9}.\u{1f680}").is_ok());
    }
}
