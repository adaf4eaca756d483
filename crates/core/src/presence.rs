//! Presence: who is in a presence channel, counted per user.
//!
//! A user can be in a channel from several sockets (two browser tabs). Others learn that the
//! user joined when the first of those sockets joins, and that the user left when the last one
//! leaves. The roster is changed only under the hub's write lock, together with the channel's
//! subscriber list, so concurrent joins and leaves can neither lose a member nor announce one
//! twice.

use std::collections::HashSet;
use std::fmt;

use indexmap::IndexMap;
use serde::Serialize;
use serde_json::Value;
use serde_json::value::RawValue;
use thiserror::Error;

use crate::names::SocketId;

/// A user in a presence channel, as the Laravel app described them when it authorized the
/// subscription: `user_id` and whatever its channel callback returned as `user_info`.
#[derive(Clone, Serialize)]
pub struct Member {
    user_id: Value,
    user_info: Box<RawValue>,
    /// `user_id` as compact JSON: one user, however many sockets. `1` and `"1"` differ, as
    /// they did for laravel-echo-server.
    #[serde(skip)]
    key: String,
}

/// Member data the app sent that cannot identify a user.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("a presence member's user_id must be a string or a number, not {0}")]
pub struct InvalidMember(&'static str);

impl Member {
    pub fn new(user_id: Value, user_info: Box<RawValue>) -> Result<Self, InvalidMember> {
        let kind = match &user_id {
            Value::String(id) if !id.is_empty() => None,
            Value::Number(_) => None,
            Value::String(_) => Some("an empty string"),
            Value::Null => Some("null"),
            Value::Bool(_) => Some("a boolean"),
            Value::Array(_) => Some("an array"),
            Value::Object(_) => Some("an object"),
        };
        if let Some(kind) = kind {
            return Err(InvalidMember(kind));
        }
        let key = user_id.to_string();
        Ok(Member {
            user_id,
            user_info,
            key,
        })
    }

    pub fn user_id(&self) -> &Value {
        &self.user_id
    }

    pub fn user_info(&self) -> &RawValue {
        &self.user_info
    }

    /// The user id as text, as Pusher's webhooks give it: a string id as it is, another id as
    /// JSON (`7`).
    pub fn user_id_text(&self) -> String {
        match &self.user_id {
            Value::String(id) => id.clone(),
            other => other.to_string(),
        }
    }

    /// [`user_id_text`](Self::user_id_text) of the member whose [`key`](Self::key) is `key`.
    pub fn user_id_text_of_key(key: &str) -> String {
        match serde_json::from_str::<Value>(key) {
            Ok(Value::String(id)) => id,
            _ => key.to_owned(),
        }
    }

    /// Who the member is, as one string: `user_id` as compact JSON. Two members with the same
    /// key are the same user, however many sockets they join from.
    pub fn key(&self) -> &str {
        &self.key
    }
}

impl fmt::Debug for Member {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Member")
            .field("user_id", &self.user_id)
            .field("user_info", &self.user_info.get())
            .finish()
    }
}

/// The users of one presence channel, in the order they first joined.
#[derive(Debug, Default)]
pub(crate) struct Roster {
    users: IndexMap<String, Present>,
}

#[derive(Debug)]
struct Present {
    member: Member,
    sockets: HashSet<SocketId>,
}

impl Roster {
    /// Adds `socket` for `member`'s user. Returns the member if this is the user's first
    /// socket: the others must be told.
    pub(crate) fn join(&mut self, socket: SocketId, member: Member) -> Option<&Member> {
        let key = member.key.clone();
        let mut first = false;
        let present = self.users.entry(key).or_insert_with(|| {
            first = true;
            Present {
                member,
                sockets: HashSet::new(),
            }
        });
        present.sockets.insert(socket);
        first.then_some(&present.member)
    }

    /// Removes `socket` from `user`. Returns the member if that was the user's last socket:
    /// the others must be told.
    pub(crate) fn leave(&mut self, socket: &SocketId, user: &str) -> Option<Member> {
        let present = self.users.get_mut(user)?;
        present.sockets.remove(socket);
        if !present.sockets.is_empty() {
            return None;
        }
        self.users.shift_remove(user).map(|present| present.member)
    }

    /// One entry per user, in joining order.
    pub(crate) fn members(&self) -> Vec<&Member> {
        self.users.values().map(|present| &present.member).collect()
    }

    pub(crate) fn member(&self, user: &str) -> Option<&Member> {
        self.users.get(user).map(|present| &present.member)
    }

    pub(crate) fn len(&self) -> usize {
        self.users.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(id: Value, name: &str) -> Member {
        let info = RawValue::from_string(format!("{{\"name\":\"{name}\"}}")).unwrap();
        Member::new(id, info).unwrap()
    }

    fn socket(id: &str) -> SocketId {
        SocketId::new(id).unwrap()
    }

    #[test]
    fn a_user_is_announced_on_the_first_socket_and_gone_with_the_last() {
        let mut roster = Roster::default();
        assert!(
            roster
                .join(socket("tab1"), member(1.into(), "Ann"))
                .is_some()
        );
        assert!(
            roster
                .join(socket("tab2"), member(1.into(), "Ann"))
                .is_none()
        );
        assert_eq!(roster.members().len(), 1);

        assert!(roster.leave(&socket("tab1"), "1").is_none());
        let gone = roster.leave(&socket("tab2"), "1").expect("last socket");
        assert_eq!(gone.user_id(), &Value::from(1));
        assert_eq!(roster.members().len(), 0);
    }

    #[test]
    fn members_keep_their_joining_order_and_numeric_and_string_ids_differ() {
        let mut roster = Roster::default();
        roster.join(socket("a"), member(2.into(), "Bob"));
        roster.join(socket("b"), member("2".into(), "Bob as text"));
        roster.join(socket("c"), member(1.into(), "Ann"));
        let ids: Vec<String> = roster
            .members()
            .iter()
            .map(|m| m.user_id().to_string())
            .collect();
        assert_eq!(ids, vec!["2", "\"2\"", "1"]);
    }

    #[test]
    fn user_ids_that_identify_nobody_are_refused() {
        let info = || RawValue::from_string("{}".into()).unwrap();
        for (id, kind) in [
            (Value::Null, "null"),
            (Value::from(""), "an empty string"),
            (serde_json::json!({"id": 1}), "an object"),
            (Value::from(true), "a boolean"),
        ] {
            assert_eq!(Member::new(id, info()).unwrap_err(), InvalidMember(kind));
        }
    }

    #[test]
    fn a_member_serializes_as_echo_expects() {
        let json = serde_json::to_string(&member(7.into(), "Ann")).unwrap();
        assert_eq!(json, r#"{"user_id":7,"user_info":{"name":"Ann"}}"#);
    }
}
