//! What the presence scenario's clients saw, as they saw it: every join sent, every
//! `presence:subscribed`, `joining` and `leaving` read, every connection that broke, each with
//! its `CLOCK_MONOTONIC` time. The report is worked out from it afterwards
//! ([`super::report`]), so nothing is decided while the clients are still reading.

use std::collections::HashSet;

use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;

use crate::protocol::Event;

/// A member of the channel: a user, connected to one node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Member {
    pub user: u64,
    pub node: usize,
}

/// One join: `member` sent its `subscribe` at `sent_ns`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Join {
    pub member: Member,
    pub sent_ns: u64,
}

/// A member's own `presence:subscribed`: when, and how many members it listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Subscribed {
    pub user: u64,
    pub at_ns: u64,
    pub members: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Change {
    Joining,
    Leaving,
}

/// An observer (the one on node `observer`) read that `user` joined or left.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sighting {
    pub observer: usize,
    pub change: Change,
    pub user: u64,
    pub at_ns: u64,
}

/// A member's connection ended before the run stopped it (its node died, most likely).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Break {
    pub member: Member,
    pub at_ns: u64,
    pub reason: String,
}

#[derive(Debug, Default)]
pub struct Log {
    pub joins: Vec<Join>,
    pub subscribed: Vec<Subscribed>,
    pub sightings: Vec<Sighting>,
    pub breaks: Vec<Break>,
    /// Why joiners could not connect or subscribe.
    pub failures: Vec<String>,
}

impl Log {
    /// The users that received their `presence:subscribed`.
    pub fn subscribed_users(&self) -> HashSet<u64> {
        self.subscribed.iter().map(|s| s.user).collect()
    }
}

/// A presence event as Echo's socket.io connector receives it, read from its arguments
/// `(channel, members)` or `(channel, member)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// `presence:subscribed`, with the number of members listed.
    Subscribed(usize),
    /// `presence:joining` or `presence:leaving` of a user.
    Changed(Change, u64),
}

impl Notice {
    /// The notice `event` carries about `channel`, if it is one; members whose `user_id` is
    /// not a whole number (or a string of one) are not understood.
    pub fn read(event: &Event<'_>, channel: &str) -> Option<Notice> {
        let [named, data] = event.args[..] else {
            return None;
        };
        if serde_json::from_str::<&str>(named.get()).ok()? != channel {
            return None;
        }
        match event.name.as_ref() {
            "presence:subscribed" => {
                let members: Vec<&RawValue> = serde_json::from_str(data.get()).ok()?;
                Some(Notice::Subscribed(members.len()))
            }
            "presence:joining" => Some(Notice::Changed(Change::Joining, user_id(data)?)),
            "presence:leaving" => Some(Notice::Changed(Change::Leaving, user_id(data)?)),
            _ => None,
        }
    }
}

fn user_id(member: &RawValue) -> Option<u64> {
    #[derive(Deserialize)]
    struct Identified {
        user_id: Value,
    }
    match serde_json::from_str::<Identified>(member.get())
        .ok()?
        .user_id
    {
        Value::Number(number) => number.as_u64(),
        Value::String(text) => text.parse().ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::Packet;
    use crate::protocol::socketio::decode;

    fn notice(frame: &str) -> Option<Notice> {
        match decode(frame) {
            Ok(Packet::Event(event)) => Notice::read(&event, "presence-chat.1"),
            other => panic!("not an event: {other:?}"),
        }
    }

    #[test]
    fn presence_events_are_read_as_echo_gets_them() {
        assert_eq!(
            notice(
                r#"42["presence:subscribed","presence-chat.1",[{"user_id":1,"user_info":{}},{"user_id":2,"user_info":{}}]]"#
            ),
            Some(Notice::Subscribed(2))
        );
        assert_eq!(
            notice(
                r#"42["presence:joining","presence-chat.1",{"user_id":7,"user_info":{"name":"User 7"}}]"#
            ),
            Some(Notice::Changed(Change::Joining, 7))
        );
        assert_eq!(
            notice(r#"42["presence:leaving","presence-chat.1",{"user_id":"8","user_info":null}]"#),
            Some(Notice::Changed(Change::Leaving, 8))
        );
    }

    #[test]
    fn other_channels_events_and_members_are_not_notices() {
        for frame in [
            r#"42["presence:joining","presence-chat.2",{"user_id":7}]"#,
            r#"42["Tick","presence-chat.1",{"seq":1}]"#,
            r#"42["presence:joining","presence-chat.1",{"user_id":"ann"}]"#,
            r#"42["presence:joining","presence-chat.1",{"id":7}]"#,
            r#"42["presence:subscribed","presence-chat.1"]"#,
        ] {
            assert_eq!(notice(frame), None, "{frame}");
        }
    }
}
