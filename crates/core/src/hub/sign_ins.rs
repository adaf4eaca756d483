//! Signed-in users (Pusher's user authentication): which connection is whose, for the
//! observer's user connected and disconnected (in a cluster, this node's first and last
//! connection of a user are told to the cluster, which adds the nodes up); and closing every
//! connection signed in as one user (Pusher's `terminate_connections`): this node's, then —
//! for a request that entered here — the other nodes' through the cluster.

use super::{Hub, Registry};
use crate::lifecycle::Transition;
use crate::message::Origin;
use crate::names::SocketId;

impl Hub {
    /// Records that connection `id` signed in as `user`; the observer is told of the user's
    /// first connection. A connection signs in once: another sign-in changes nothing.
    pub fn sign_in(&self, id: &SocketId, user: &str) {
        let mut registry = self.write();
        let Some(connection) = registry.connections.get_mut(id) else {
            return;
        };
        if connection.user.is_some() {
            return;
        }
        connection.user = Some(user.to_owned());
        let open = registry.users.entry(user.to_owned()).or_default();
        *open += 1;
        if *open == 1 {
            match &self.cluster {
                Some(cluster) => cluster.signed_in(user, true),
                None => self.tell(|| Transition::UserConnected {
                    user_id: user.to_owned(),
                }),
            }
        }
    }

    /// A connection signed in as `user` closed; the observer is told of the user's last.
    pub(super) fn signed_out(&self, registry: &mut Registry, user: String) {
        let Some(open) = registry.users.get_mut(&user) else {
            return;
        };
        *open -= 1;
        if *open == 0 {
            registry.users.remove(&user);
            match &self.cluster {
                Some(cluster) => cluster.signed_in(&user, false),
                None => self.tell(|| Transition::UserDisconnected { user_id: user }),
            }
        }
    }

    /// The users signed in on this node, whom the cluster was told of (`Cluster::signed_in`),
    /// for the cluster to record again after its store was unreachable.
    pub fn signed_in_here(&self) -> Vec<String> {
        self.read().users.keys().cloned().collect()
    }

    /// Closes the connections signed in as `user` on this node and, when the request entered
    /// at this node, asks the cluster to close the others'. Returns how many of this node's
    /// there were.
    pub fn terminate_user(&self, user: &str, origin: Origin) -> usize {
        let closed = self
            .read()
            .connections
            .values()
            .filter(|connection| connection.subscriber.terminate_if_signed_in_as(user))
            .count();
        if origin == Origin::ThisNode
            && let Some(cluster) = &self.cluster
        {
            cluster.terminate_user(user);
        }
        closed
    }
}
