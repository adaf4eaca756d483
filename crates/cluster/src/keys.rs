//! The names the cluster uses in Redis, all under its prefix.
//!
//! Every key of one presence channel carries the channel in one hash tag (`{…}`), so the
//! scripts that change them touch a single slot of a Redis Cluster. Bus channels are named
//! apart from keys; with the prefix they never match Laravel's broadcast channels (checked at
//! start-up, `Config::check`).

#[derive(Debug, Clone)]
pub(crate) struct Keys {
    prefix: String,
}

/// The four keys of a presence channel's roster, in the order the scripts take them.
pub(crate) struct RosterKeys {
    /// HASH user → member JSON.
    pub(crate) members: String,
    /// HASH user → sockets present, on every node.
    pub(crate) refs: String,
    /// HASH `node|socket` → user.
    pub(crate) sockets: String,
    /// HASH `ver` → the roster's version.
    pub(crate) meta: String,
}

impl RosterKeys {
    pub(crate) fn all(&self) -> [&str; 4] {
        [&self.members, &self.refs, &self.sockets, &self.meta]
    }
}

impl Keys {
    pub(crate) fn new(prefix: &str) -> Self {
        Keys {
            prefix: prefix.to_owned(),
        }
    }

    /// The channel every node listens to.
    pub(crate) fn bus(&self) -> String {
        format!("{}bus", self.prefix)
    }

    /// The channel only `node` listens to: answers to its questions.
    pub(crate) fn inbox(&self, node: &str) -> String {
        format!("{}node:{node}", self.prefix)
    }

    /// ZSET node → the time of its last heartbeat, by Redis' clock.
    pub(crate) fn nodes(&self) -> String {
        format!("{}nodes", self.prefix)
    }

    /// SET of the presence channels where `node` has members: what to remove when it dies.
    pub(crate) fn node_channels(&self, node: &str) -> String {
        format!("{}node:{{{node}}}:presence", self.prefix)
    }

    /// HASH describing `node`, for diagnosis.
    pub(crate) fn node_meta(&self, node: &str) -> String {
        format!("{}node:{{{node}}}:meta", self.prefix)
    }

    /// Held by the node removing a dead node's members, so only one does.
    pub(crate) fn sweep_lock(&self, node: &str) -> String {
        format!("{}sweep:{{{node}}}", self.prefix)
    }

    pub(crate) fn roster(&self, channel: &str) -> RosterKeys {
        let key = |what: &str| format!("{}{{{channel}}}:{what}", self.prefix);
        RosterKeys {
            members: key("members"),
            refs: key("refs"),
            sockets: key("sockets"),
            meta: key("meta"),
        }
    }
}

/// How a socket of a node is named in a roster: unique across the cluster and restarts,
/// since node ids are new at every start.
pub(crate) fn socket_field(node: &str, socket: &str) -> String {
    format!("{node}|{socket}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_channels_keys_share_one_hash_tag() {
        let keys = Keys::new("sidecast:");
        let roster = keys.roster("presence-room.1");
        for key in roster.all() {
            assert!(key.starts_with("sidecast:{presence-room.1}:"), "{key}");
        }
        assert_eq!(keys.bus(), "sidecast:bus");
        assert_eq!(keys.node_channels("n1"), "sidecast:node:{n1}:presence");
    }
}
