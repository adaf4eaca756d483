//! The names the cluster uses in Redis, all under its prefix.
//!
//! Every key of one presence channel carries the channel in one hash tag (`{…}`), so the
//! scripts that change them touch a single slot of a Redis Cluster. Bus channels are named
//! apart from keys; with the prefix they never match Laravel's broadcast channels (checked at
//! start-up, `Config::check`).
//!
//! On a Redis Cluster the bus is sharded pub/sub, split into `PARTITIONS` channels that hash
//! to different slots, so the traffic spreads over the masters. Each node sends on one of
//! them, chosen by its id: what one node sends stays in one ordered stream.

/// Bus channels of a Redis Cluster.
pub(crate) const PARTITIONS: u32 = 16;

#[derive(Debug, Clone)]
pub(crate) struct Keys {
    prefix: String,
    /// The bus is sharded pub/sub (a Redis Cluster).
    sharded: bool,
}

/// The keys of a presence channel's roster, in the order the scripts take them.
pub(crate) struct RosterKeys {
    /// HASH user → member JSON.
    pub(crate) members: String,
    /// HASH user → sockets present, on every node.
    pub(crate) refs: String,
    /// HASH `node|socket` → user.
    pub(crate) sockets: String,
    /// HASH `ver` → the roster's version.
    pub(crate) meta: String,
    /// HASH user → `deadline|token` of a leave in its grace period (lifecycle events): a
    /// return before the deadline cancels it, on whatever node.
    pub(crate) gone: String,
}

impl RosterKeys {
    pub(crate) fn all(&self) -> [&str; 5] {
        [
            &self.members,
            &self.refs,
            &self.sockets,
            &self.meta,
            &self.gone,
        ]
    }
}

/// The keys saying whether a channel has sockets anywhere in the cluster, or a signed-in user
/// connections (lifecycle events).
pub(crate) struct OccupancyKeys {
    /// SET of the nodes with a socket in the channel (a connection of the user).
    pub(crate) nodes: String,
    /// `deadline|token` of the channel's vacating (the user's disconnection) in its grace
    /// period: a node's first socket before the deadline cancels it.
    pub(crate) vacating: String,
}

impl Keys {
    pub(crate) fn new(prefix: &str, sharded: bool) -> Self {
        Keys {
            prefix: prefix.to_owned(),
            sharded,
        }
    }

    pub(crate) fn sharded(&self) -> bool {
        self.sharded
    }

    /// The channel `node` sends what every node must hear on.
    pub(crate) fn bus(&self, node: &str) -> String {
        if self.sharded {
            format!("{}bus:{{{}}}", self.prefix, partition(node))
        } else {
            format!("{}bus", self.prefix)
        }
    }

    /// The channels every node listens to: the bus (all its partitions), and `node`'s own.
    pub(crate) fn listened(&self, node: &str) -> Vec<String> {
        let mut channels: Vec<String> = if self.sharded {
            (0..PARTITIONS)
                .map(|p| format!("{}bus:{{{p}}}", self.prefix))
                .collect()
        } else {
            vec![self.bus(node)]
        };
        channels.push(self.inbox(node));
        channels
    }

    /// The channel only `node` listens to: answers to its questions.
    pub(crate) fn inbox(&self, node: &str) -> String {
        format!("{}node:{{{node}}}", self.prefix)
    }

    /// ZSET node → the time of its last heartbeat, by Redis' clock. In one hash slot with the
    /// sweep locks, which are taken in the same script.
    pub(crate) fn nodes(&self) -> String {
        format!("{}{{nodes}}", self.prefix)
    }

    /// SET of the presence channels where `node` has members: what to remove when it dies.
    pub(crate) fn node_channels(&self, node: &str) -> String {
        format!("{}node:{{{node}}}:presence", self.prefix)
    }

    /// SET of the channels where `node` has sockets, when lifecycle events are on: what to
    /// vacate when it dies.
    pub(crate) fn node_occupied(&self, node: &str) -> String {
        format!("{}node:{{{node}}}:occupied", self.prefix)
    }

    /// SET of the users signed in on `node`, when user events are on: whom to disconnect
    /// when it dies.
    pub(crate) fn node_users(&self, node: &str) -> String {
        format!("{}node:{{{node}}}:users", self.prefix)
    }

    /// SET of what another node's sweep of `node` decided for it (its leaves, told), kept for
    /// a day: a node that was only cut off from Redis finds there, when it comes back, which
    /// of the leaves Redis did not confirm are decided already.
    pub(crate) fn node_swept(&self, node: &str) -> String {
        format!("{}node:{{{node}}}:swept", self.prefix)
    }

    /// HASH describing `node`, for diagnosis.
    pub(crate) fn node_meta(&self, node: &str) -> String {
        format!("{}node:{{{node}}}:meta", self.prefix)
    }

    /// Held by the node removing a dead node's members, so only one does.
    pub(crate) fn sweep_lock(&self, node: &str) -> String {
        format!("{}{{nodes}}:sweep:{node}", self.prefix)
    }

    pub(crate) fn roster(&self, channel: &str) -> RosterKeys {
        let key = |what: &str| format!("{}{{{channel}}}:{what}", self.prefix);
        RosterKeys {
            members: key("members"),
            refs: key("refs"),
            sockets: key("sockets"),
            meta: key("meta"),
            gone: key("gone"),
        }
    }

    /// A channel's. The tag starts with `c:`, so that it is never empty (any client may name
    /// a public channel starting with `}`; presence rosters' tags start with `presence-`).
    pub(crate) fn channel_occupancy(&self, channel: &str) -> OccupancyKeys {
        let key = |what: &str| format!("{}{{c:{channel}}}:{what}", self.prefix);
        OccupancyKeys {
            nodes: key("nodes"),
            vacating: key("vacating"),
        }
    }

    /// A signed-in user's. The tag starts with `u:`, so that it is never empty (an id starting
    /// with `}`): an empty tag would put the two keys in different slots of a Redis Cluster.
    pub(crate) fn user_occupancy(&self, user: &str) -> OccupancyKeys {
        let key = |what: &str| format!("{}user:{{u:{user}}}:{what}", self.prefix);
        OccupancyKeys {
            nodes: key("nodes"),
            vacating: key("vacating"),
        }
    }

    /// HASH node → its subscriptions to `channel` (subscription_count).
    pub(crate) fn subscriptions(&self, channel: &str) -> String {
        format!("{}{{c:{channel}}}:subs", self.prefix)
    }
}

/// The bus partition of a node: FNV-1a of its id.
fn partition(node: &str) -> u32 {
    let hash = node.bytes().fold(0x811c_9dc5_u32, |hash, byte| {
        (hash ^ u32::from(byte)).wrapping_mul(0x0100_0193)
    });
    hash % PARTITIONS
}

/// How a socket of a node is named in a roster: unique across the cluster and restarts,
/// since node ids are new at every start.
pub(crate) fn socket_field(node: &str, socket: &str) -> String {
    format!("{node}|{socket}")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The part of `key` a Redis Cluster hashes, when it is a tag: between the first `{` and
    /// the first `}` after it, if not empty.
    fn hash_tag(key: &str) -> Option<&str> {
        let open = key.find('{')?;
        let close = key[open + 1..].find('}')?;
        Some(&key[open + 1..open + 1 + close]).filter(|tag| !tag.is_empty())
    }

    #[test]
    fn each_scripts_keys_share_one_hash_tag_whatever_the_name() {
        let keys = Keys::new("sidecast:", false);
        for key in keys.roster("presence-room.1").all() {
            assert_eq!(hash_tag(key), Some("presence-room.1"), "{key}");
        }
        for name in ["presence-room.1", "}x{", "orders"] {
            let occupancy = keys.channel_occupancy(name);
            let subscriptions = keys.subscriptions(name);
            let user = keys.user_occupancy(name);
            let tags = [
                hash_tag(&occupancy.nodes),
                hash_tag(&occupancy.vacating),
                hash_tag(&subscriptions),
                hash_tag(&user.nodes),
                hash_tag(&user.vacating),
            ];
            let (channel_tag, user_tag) = (tags[0], tags[3]);
            assert!(
                channel_tag.is_some() && user_tag.is_some(),
                "never empty: {tags:?}"
            );
            assert_eq!(
                tags,
                [channel_tag, channel_tag, channel_tag, user_tag, user_tag],
                "{name}"
            );
            assert_ne!(
                occupancy.nodes, user.nodes,
                "a user named like a channel has keys of its own"
            );
        }
        assert_eq!(keys.bus("n1"), "sidecast:bus");
        assert_eq!(keys.listened("n1"), ["sidecast:bus", "sidecast:node:{n1}"]);
        assert_eq!(keys.node_channels("n1"), "sidecast:node:{n1}:presence");
    }

    #[test]
    fn on_a_redis_cluster_each_node_sends_on_one_partition_and_hears_all() {
        let keys = Keys::new("sidecast:", true);
        let listened = keys.listened("n1");
        assert_eq!(listened.len(), PARTITIONS as usize + 1);
        assert!(listened.contains(&keys.bus("n1")));
        assert_eq!(keys.bus("n1"), keys.bus("n1"), "always the same partition");
        let spread: std::collections::HashSet<String> =
            (0..64).map(|n| keys.bus(&format!("node{n}"))).collect();
        assert!(
            spread.len() > 8,
            "nodes spread over the partitions: {spread:?}"
        );
    }
}
