//! The hub's tests: on a single node, and as one node of a cluster.

mod cluster;
mod counts;
mod lifecycle;
mod sign_ins;
mod single_node;
mod support;
