//! Closing every connection signed in as one user (Pusher's `terminate_connections`): this
//! node's, then — for a request that entered here — the other nodes' through the cluster.

use super::Hub;
use crate::message::Origin;

impl Hub {
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
