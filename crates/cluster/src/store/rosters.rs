//! Presence rosters: a socket joins or leaves, a roster is read, a node's entries are made
//! what it says they are. Each returns the roster's stamp (epoch and version), so every node
//! can apply the changes in one order.

use std::time::Duration;

use redis::{Cmd, Value};
use sidecast_core::{ChannelName, Member, RosterChange, RosterSnapshot, Stamp};

use super::{Arrival, EMPTY_ROSTER_KEPT_SECONDS, Store};
use crate::envelope::MemberWire;
use crate::keys::socket_field;
use crate::link::{Link, LinkError};

/// A join as Redis recorded it.
pub(crate) struct Joined {
    /// The user had no socket anywhere before: the others must be told, with the snapshot's
    /// stamp.
    pub(crate) first: bool,
    /// What the app is told of it (lifecycle events).
    pub(crate) arrival: Arrival,
    pub(crate) snapshot: RosterSnapshot,
}

/// A leave as Redis recorded it.
pub(crate) enum Left {
    /// The socket was not in the roster (already left, or swept with its node).
    Unknown,
    /// The user is still present through another socket.
    StillPresent,
    /// That was the user's last socket: change `stamp`. `gone` is the marker of the leave's
    /// grace period, when one was asked for.
    Last {
        stamp: Stamp,
        user: String,
        gone: Option<String>,
    },
}

impl Store {
    pub(crate) async fn join(
        &self,
        link: &Link,
        channel: &ChannelName,
        socket: &str,
        member: &Member,
    ) -> Result<Joined, LinkError> {
        self.index_channel(link, channel).await?;
        let keys = self.keys.roster(channel.as_str());
        let mut invocation = self.join.prepare_invoke();
        invocation
            .key(keys.all().as_slice())
            .arg(socket_field(&self.node, socket))
            .arg(member.key())
            .arg(member_json(member));
        let (first, epoch, version, members, arrival): (i64, u64, u64, Vec<String>, i64) = link
            .run(|mut connection| async move { invocation.invoke_async(&mut connection).await })
            .await?;
        Ok(Joined {
            first: first == 1,
            arrival: Arrival::of(first == 1, arrival),
            snapshot: snapshot(Stamp { epoch, version }, &members),
        })
    }

    /// A socket leaves; a last leave is held for `grace` (none: lifecycle events are off, or
    /// told at once).
    pub(crate) async fn leave(
        &self,
        link: &Link,
        channel: &ChannelName,
        socket: &str,
        grace: Option<Duration>,
    ) -> Result<Left, LinkError> {
        let keys = self.keys.roster(channel.as_str());
        let mut invocation = self.leave.prepare_invoke();
        invocation
            .key(keys.all().as_slice())
            .arg(socket_field(&self.node, socket))
            .arg(EMPTY_ROSTER_KEPT_SECONDS)
            .arg(grace_ms(grace));
        let (last, epoch, version, user, gone): (i64, u64, u64, String, String) = link
            .run(|mut connection| async move { invocation.invoke_async(&mut connection).await })
            .await?;
        Ok(match last {
            1 => Left::Last {
                stamp: Stamp { epoch, version },
                user,
                gone: (!gone.is_empty()).then_some(gone),
            },
            0 => Left::StillPresent,
            _ => Left::Unknown,
        })
    }

    /// The users `node` has sockets of in `channel`'s roster.
    pub(crate) async fn node_users_in(
        &self,
        link: &Link,
        node: &str,
        channel: &ChannelName,
    ) -> Result<Vec<String>, LinkError> {
        let sockets = Cmd::hgetall(self.keys.roster(channel.as_str()).sockets);
        let sockets: Vec<(String, String)> = link
            .run(|mut connection| async move { sockets.query_async(&mut connection).await })
            .await?;
        let prefix = socket_field(node, "");
        let mut users: Vec<String> = sockets
            .into_iter()
            .filter(|(field, _)| field.starts_with(&prefix))
            .map(|(_, user)| user)
            .collect();
        users.sort();
        users.dedup();
        Ok(users)
    }

    pub(crate) async fn snapshot(
        &self,
        link: &Link,
        channel: &ChannelName,
    ) -> Result<RosterSnapshot, LinkError> {
        let keys = self.keys.roster(channel.as_str());
        let mut invocation = self.snapshot.prepare_invoke();
        invocation.key(&keys.members).key(&keys.meta);
        let (epoch, version, members): (u64, u64, Vec<String>) = link
            .run(|mut connection| async move { invocation.invoke_async(&mut connection).await })
            .await?;
        Ok(snapshot(Stamp { epoch, version }, &members))
    }

    /// Makes `node`'s entries in `channel` exactly `entries` (socket, member); returns the
    /// resulting roster and the changes of membership it made, stamped, with what the app is
    /// told of them (leaves held for `grace`).
    pub(crate) async fn reconcile(
        &self,
        link: &Link,
        node: &str,
        channel: &ChannelName,
        entries: &[(String, Member)],
        grace: Option<Duration>,
    ) -> Result<(RosterSnapshot, Vec<Reconciled>), LinkError> {
        let keys = self.keys.roster(channel.as_str());
        let mut invocation = self.reconcile.prepare_invoke();
        invocation
            .key(keys.all().as_slice())
            .arg(format!("{node}|"))
            .arg(EMPTY_ROSTER_KEPT_SECONDS)
            .arg(grace_ms(grace));
        for (socket, member) in entries {
            invocation
                .arg(socket_field(node, socket))
                .arg(member.key())
                .arg(member_json(member));
        }
        let (epoch, version, members, changes): (u64, u64, Vec<String>, Vec<Value>) = link
            .run(|mut connection| async move { invocation.invoke_async(&mut connection).await })
            .await?;
        let changes = read_changes(channel, epoch, &changes);
        Ok((snapshot(Stamp { epoch, version }, &members), changes))
    }

    /// The roster stamps Redis has for `channels`, in their order.
    pub(crate) async fn stamps(
        &self,
        link: &Link,
        channels: impl Iterator<Item = &ChannelName>,
    ) -> Result<Vec<Stamp>, LinkError> {
        let commands = channels
            .map(|channel| {
                let mut command = Cmd::new();
                command
                    .arg("HMGET")
                    .arg(self.keys.roster(channel.as_str()).meta)
                    .arg("epoch")
                    .arg("ver");
                command
            })
            .collect();
        let stamps: Vec<(Option<u64>, Option<u64>)> = link.each(commands).await?;
        Ok(stamps
            .into_iter()
            .map(|(epoch, version)| Stamp {
                epoch: epoch.unwrap_or_default(),
                version: version.unwrap_or_default(),
            })
            .collect())
    }
}

fn member_json(member: &Member) -> String {
    serde_json::to_string(member).expect("a member always serializes")
}

/// A roster from the members' JSON as Redis holds them; a value that is not a member (written
/// by something else) is left out.
fn snapshot(stamp: Stamp, members: &[String]) -> RosterSnapshot {
    RosterSnapshot {
        stamp,
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

/// A change of membership the reconcile script made, and what the app is told of it.
pub(crate) struct Reconciled {
    pub(crate) stamp: Stamp,
    pub(crate) change: RosterChange,
    pub(crate) decided: Decided,
}

/// What the app is told of a reconciled change (lifecycle events).
pub(crate) enum Decided {
    Arrived(Arrival),
    /// A last leave, held by its marker when there is a grace period.
    Left {
        gone: Option<String>,
    },
}

/// The grace period as the scripts take it: milliseconds, 0 for none.
fn grace_ms(grace: Option<Duration>) -> u64 {
    grace.map_or(0, |grace| grace.as_millis() as u64)
}

/// The flat `op, version, payload, lifecycle` list the reconcile script returns.
fn read_changes(channel: &ChannelName, epoch: u64, flat: &[Value]) -> Vec<Reconciled> {
    flat.chunks_exact(4)
        .filter_map(|change| {
            let op: String = redis::from_redis_value_ref(&change[0]).ok()?;
            let version: u64 = redis::from_redis_value_ref(&change[1]).ok()?;
            let payload: String = redis::from_redis_value_ref(&change[2]).ok()?;
            let lifecycle: String = redis::from_redis_value_ref(&change[3]).ok()?;
            let (change, decided) = match op.as_str() {
                "join" => (
                    RosterChange::Joined(
                        serde_json::from_str::<MemberWire>(&payload)
                            .ok()?
                            .into_member()
                            .ok()?,
                    ),
                    Decided::Arrived(Arrival::of(true, lifecycle.parse().unwrap_or(1))),
                ),
                "leave" => (
                    RosterChange::Left { user: payload },
                    Decided::Left {
                        gone: (!lifecycle.is_empty()).then_some(lifecycle),
                    },
                ),
                _ => {
                    tracing::warn!(%channel, %op, "unknown change from the reconcile script");
                    return None;
                }
            };
            Some(Reconciled {
                stamp: Stamp { epoch, version },
                change,
                decided,
            })
        })
        .collect()
}
