//! Presence rosters and the node registry in Redis: the scripts that change them atomically
//! (`scripts/*.lua`), called with typed arguments and answers.

use redis::{Script, Value};
use sidecast_core::{ChannelName, Member, RosterChange, RosterSnapshot};

use crate::envelope::MemberWire;
use crate::keys::{Keys, socket_field};
use crate::link::{Link, LinkError};

/// How long the version of an emptied roster is kept, in seconds: long enough that a channel
/// emptied and filled again within a day keeps counting up.
const EMPTY_ROSTER_KEPT_SECONDS: u64 = 86_400;

pub(crate) struct Store {
    keys: Keys,
    node: String,
    join: Script,
    leave: Script,
    snapshot: Script,
    reconcile: Script,
    heartbeat: Script,
}

/// A join as Redis recorded it.
pub(crate) struct Joined {
    /// The user had no socket anywhere before: the others must be told, with `snapshot.version`.
    pub(crate) first: bool,
    pub(crate) snapshot: RosterSnapshot,
}

/// A leave as Redis recorded it.
pub(crate) enum Left {
    /// The socket was not in the roster (already left, or swept with its node).
    Unknown,
    /// The user is still present through another socket.
    StillPresent,
    /// That was the user's last socket: change number `version`.
    Last { version: u64, user: String },
}

/// What one heartbeat learnt.
pub(crate) struct Beat {
    /// This node was not registered: its first beat, or it was taken for dead meanwhile.
    pub(crate) anew: bool,
    pub(crate) live: Vec<String>,
    pub(crate) dead: Vec<String>,
}

impl Store {
    pub(crate) fn new(keys: Keys, node: String) -> Self {
        Store {
            keys,
            node,
            join: Script::new(include_str!("scripts/join.lua")),
            leave: Script::new(include_str!("scripts/leave.lua")),
            snapshot: Script::new(include_str!("scripts/snapshot.lua")),
            reconcile: Script::new(include_str!("scripts/reconcile.lua")),
            heartbeat: Script::new(include_str!("scripts/heartbeat.lua")),
        }
    }

    pub(crate) fn keys(&self) -> &Keys {
        &self.keys
    }

    pub(crate) async fn join(
        &self,
        link: &Link,
        channel: &ChannelName,
        socket: &str,
        member: &Member,
    ) -> Result<Joined, LinkError> {
        let keys = self.keys.roster(channel.as_str());
        let member_json = serde_json::to_string(member).expect("a member always serializes");
        let mut invocation = self.join.prepare_invoke();
        invocation
            .key(keys.all().as_slice())
            .arg(socket_field(&self.node, socket))
            .arg(member.key())
            .arg(member_json);
        // The node's index of its channels is updated after the roster: another slot in a
        // Redis Cluster, so not in the same script. A node that dies in between leaves an
        // entry the reconciliation of a restarted node does not know of; a sweep still finds
        // the channel when another socket of the node was in it.
        let mut pipeline = redis::pipe();
        pipeline
            .sadd(self.keys.node_channels(&self.node), channel.as_str())
            .ignore();
        let (first, version, members): (i64, u64, Vec<String>) = link
            .run(|mut connection| async move {
                let answer = invocation.invoke_async(&mut connection).await?;
                pipeline.query_async::<()>(&mut connection).await?;
                Ok(answer)
            })
            .await?;
        Ok(Joined {
            first: first == 1,
            snapshot: snapshot(version, &members),
        })
    }

    pub(crate) async fn leave(
        &self,
        link: &Link,
        channel: &ChannelName,
        socket: &str,
        last_here: bool,
    ) -> Result<Left, LinkError> {
        let keys = self.keys.roster(channel.as_str());
        let mut invocation = self.leave.prepare_invoke();
        invocation
            .key(keys.all().as_slice())
            .arg(socket_field(&self.node, socket))
            .arg(EMPTY_ROSTER_KEPT_SECONDS);
        let index = self.keys.node_channels(&self.node);
        let (last, version, user): (i64, u64, String) = link
            .run(|mut connection| async move {
                let answer = invocation.invoke_async(&mut connection).await?;
                if last_here {
                    redis::cmd("SREM")
                        .arg(index)
                        .arg(channel.as_str())
                        .query_async::<()>(&mut connection)
                        .await?;
                }
                Ok(answer)
            })
            .await?;
        Ok(match last {
            1 => Left::Last { version, user },
            0 => Left::StillPresent,
            _ => Left::Unknown,
        })
    }

    pub(crate) async fn snapshot(
        &self,
        link: &Link,
        channel: &ChannelName,
    ) -> Result<RosterSnapshot, LinkError> {
        let keys = self.keys.roster(channel.as_str());
        let mut invocation = self.snapshot.prepare_invoke();
        invocation.key(&keys.members).key(&keys.meta);
        let (version, members): (u64, Vec<String>) = link
            .run(|mut connection| async move { invocation.invoke_async(&mut connection).await })
            .await?;
        Ok(snapshot(version, &members))
    }

    /// Makes `node`'s entries in `channel` exactly `entries` (socket, member); returns the
    /// resulting roster and the changes of membership it made, numbered.
    pub(crate) async fn reconcile(
        &self,
        link: &Link,
        node: &str,
        channel: &ChannelName,
        entries: &[(String, Member)],
    ) -> Result<(RosterSnapshot, Vec<(u64, RosterChange)>), LinkError> {
        let keys = self.keys.roster(channel.as_str());
        let mut invocation = self.reconcile.prepare_invoke();
        invocation
            .key(keys.all().as_slice())
            .arg(format!("{node}|"))
            .arg(EMPTY_ROSTER_KEPT_SECONDS);
        for (socket, member) in entries {
            let json = serde_json::to_string(member).expect("a member always serializes");
            invocation
                .arg(socket_field(node, socket))
                .arg(member.key())
                .arg(json);
        }
        let (version, members, changes): (u64, Vec<String>, Vec<Value>) = link
            .run(|mut connection| async move { invocation.invoke_async(&mut connection).await })
            .await?;
        Ok((snapshot(version, &members), read_changes(channel, &changes)))
    }

    /// The roster versions Redis has for `channels`, in their order (0 for none).
    pub(crate) async fn versions(
        &self,
        link: &Link,
        channels: impl Iterator<Item = &ChannelName>,
    ) -> Result<Vec<u64>, LinkError> {
        let commands = channels
            .map(|channel| redis::Cmd::hget(self.keys.roster(channel.as_str()).meta, "ver"))
            .collect();
        let versions: Vec<Option<u64>> = link.each(commands).await?;
        Ok(versions
            .into_iter()
            .map(Option::unwrap_or_default)
            .collect())
    }

    /// The channels where `node` has (or had) members.
    pub(crate) async fn node_channels(
        &self,
        link: &Link,
        node: &str,
    ) -> Result<Vec<ChannelName>, LinkError> {
        let key = self.keys.node_channels(node);
        let names: Vec<String> = link
            .run(|mut connection| async move {
                redis::cmd("SMEMBERS")
                    .arg(key)
                    .query_async(&mut connection)
                    .await
            })
            .await?;
        Ok(names
            .iter()
            .filter_map(|name| ChannelName::new(name).ok())
            .collect())
    }

    /// Replaces this node's index of channels with `channels`.
    pub(crate) async fn set_node_channels(
        &self,
        link: &Link,
        channels: &[ChannelName],
    ) -> Result<(), LinkError> {
        let key = self.keys.node_channels(&self.node);
        let mut pipeline = redis::pipe();
        pipeline.atomic().del(&key).ignore();
        if !channels.is_empty() {
            let names: Vec<&str> = channels.iter().map(ChannelName::as_str).collect();
            pipeline.sadd(&key, names).ignore();
        }
        link.run(|mut connection| async move { pipeline.query_async::<()>(&mut connection).await })
            .await
    }

    /// Says this node is alive; learns who else is, and who is dead.
    pub(crate) async fn heartbeat(
        &self,
        link: &Link,
        dead_after_ms: u64,
    ) -> Result<Beat, LinkError> {
        let mut invocation = self.heartbeat.prepare_invoke();
        invocation
            .key(self.keys.nodes())
            .arg(&self.node)
            .arg(dead_after_ms);
        let (anew, live, dead): (i64, Vec<String>, Vec<String>) = link
            .run(|mut connection| async move { invocation.invoke_async(&mut connection).await })
            .await?;
        Ok(Beat {
            anew: anew == 1,
            live,
            dead,
        })
    }

    /// Takes the right to remove a dead node's members, for a minute; false if another node
    /// has it.
    pub(crate) async fn claim_sweep(&self, link: &Link, dead: &str) -> Result<bool, LinkError> {
        let lock = self.keys.sweep_lock(dead);
        let node = self.node.clone();
        let claimed: Option<String> = link
            .run(|mut connection| async move {
                redis::cmd("SET")
                    .arg(lock)
                    .arg(node)
                    .arg("NX")
                    .arg("PX")
                    .arg(60_000)
                    .query_async(&mut connection)
                    .await
            })
            .await?;
        Ok(claimed.is_some())
    }

    /// Forgets a node that is gone: its registry entry and its index of channels.
    pub(crate) async fn forget(&self, link: &Link, node: &str) -> Result<(), LinkError> {
        // Three slots on a Redis Cluster: three commands.
        let commands = vec![
            redis::Cmd::zrem(self.keys.nodes(), node),
            redis::Cmd::del(self.keys.node_channels(node)),
            redis::Cmd::del(self.keys.node_meta(node)),
        ];
        link.each::<redis::Value>(commands).await.map(drop)
    }
}

/// A roster from the members' JSON as Redis holds them; a value that is not a member (written
/// by something else) is left out.
fn snapshot(version: u64, members: &[String]) -> RosterSnapshot {
    RosterSnapshot {
        version,
        members: members
            .iter()
            .filter_map(|json| {
                serde_json::from_str::<MemberWire>(json)
                    .ok()?
                    .into_member()
                    .ok()
            })
            .collect(),
    }
}

/// The flat `op, version, payload` list the reconcile script returns.
fn read_changes(channel: &ChannelName, flat: &[Value]) -> Vec<(u64, RosterChange)> {
    flat.chunks_exact(3)
        .filter_map(|change| {
            let op: String = redis::from_redis_value_ref(&change[0]).ok()?;
            let version: u64 = redis::from_redis_value_ref(&change[1]).ok()?;
            let payload: String = redis::from_redis_value_ref(&change[2]).ok()?;
            let change = match op.as_str() {
                "join" => RosterChange::Joined(
                    serde_json::from_str::<MemberWire>(&payload)
                        .ok()?
                        .into_member()
                        .ok()?,
                ),
                "leave" => RosterChange::Left { user: payload },
                _ => {
                    tracing::warn!(%channel, %op, "unknown change from the reconcile script");
                    return None;
                }
            };
            Some((version, change))
        })
        .collect()
}
