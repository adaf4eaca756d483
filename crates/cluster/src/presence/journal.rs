//! Which sockets of this node are present where, as the members they joined as: this node's
//! own truth about presence, written at once whether Redis answers or not, and what a
//! reconciliation makes Redis hold.

use std::collections::HashMap;

use sidecast_core::{ChannelName, Member, SocketId};

#[derive(Default)]
pub(crate) struct Journal {
    channels: HashMap<ChannelName, HashMap<SocketId, Member>>,
}

impl Journal {
    pub(crate) fn join(&mut self, channel: &ChannelName, socket: &SocketId, member: &Member) {
        self.channels
            .entry(channel.clone())
            .or_default()
            .insert(socket.clone(), member.clone());
    }

    /// Removes a socket; returns the member it was.
    pub(crate) fn leave(&mut self, channel: &ChannelName, socket: &SocketId) -> Option<Member> {
        let sockets = self.channels.get_mut(channel)?;
        let member = sockets.remove(socket);
        if sockets.is_empty() {
            self.channels.remove(channel);
        }
        member
    }

    /// Whether this node has a socket in `channel`.
    pub(crate) fn is_in(&self, channel: &ChannelName) -> bool {
        self.channels.contains_key(channel)
    }

    /// Every channel's sockets and members.
    pub(crate) fn entries(&self) -> HashMap<ChannelName, Vec<(String, Member)>> {
        self.channels
            .iter()
            .map(|(channel, sockets)| {
                let entries = sockets
                    .iter()
                    .map(|(socket, member)| (socket.to_string(), member.clone()))
                    .collect();
                (channel.clone(), entries)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::value::RawValue;

    use super::*;

    #[test]
    fn a_channel_is_kept_while_a_socket_of_this_node_is_in_it() {
        let member = Member::new(1.into(), RawValue::from_string("{}".into()).unwrap()).unwrap();
        let (room, a, b) = (
            ChannelName::new("presence-room").unwrap(),
            SocketId::new("a").unwrap(),
            SocketId::new("b").unwrap(),
        );
        let mut journal = Journal::default();
        journal.join(&room, &a, &member);
        journal.join(&room, &b, &member);
        assert!(journal.leave(&room, &a).is_some());
        assert!(journal.is_in(&room));
        assert!(journal.leave(&room, &b).is_some());
        assert!(!journal.is_in(&room));
        assert!(journal.leave(&room, &b).is_none());
        assert!(journal.entries().is_empty());
    }
}
