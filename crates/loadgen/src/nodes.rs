//! The servers a run's clients connect to: one, or the nodes of a cluster. Clients are spread
//! round-robin over the nodes, and the events go in through one of them (the node whose Unix
//! socket or HTTP API `--ingest` names), so every delivery is made either by the node that
//! took the event (*same node*) or by another one it passed the event to (*other node*): the
//! report tells the two apart.

use serde::{Deserialize, Serialize};

/// The nodes of a run, and the one the ingest path belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Nodes {
    /// HTTP bases, `http://127.0.0.1:6001`, at least one; node `k` is `urls[k]`.
    urls: Vec<String>,
    /// The node that takes the events from the ingest path.
    ingest: usize,
}

impl Nodes {
    /// Checks that there is at least one URL, none empty, and that `ingest` names one.
    pub fn new(urls: Vec<String>, ingest: usize) -> Result<Self, String> {
        let nodes = Nodes { urls, ingest };
        nodes.check()?;
        Ok(nodes)
    }

    /// One server, which also takes the events.
    pub fn one(url: &str) -> Self {
        Nodes {
            urls: vec![url.to_owned()],
            ingest: 0,
        }
    }

    /// Whether the nodes make sense, for nodes that came from elsewhere (a worker's
    /// assignment) as well as from the command line.
    pub fn check(&self) -> Result<(), String> {
        if self.urls.is_empty() || self.urls.iter().any(|url| url.trim().is_empty()) {
            return Err("expected one or more server URLs, none empty".into());
        }
        if self.ingest >= self.urls.len() {
            return Err(format!(
                "--ingest-node {} names no node: there are {} URLs, numbered from 0",
                self.ingest,
                self.urls.len()
            ));
        }
        Ok(())
    }

    pub fn urls(&self) -> &[String] {
        &self.urls
    }

    /// How many nodes: at least one.
    pub fn count(&self) -> usize {
        self.urls.len()
    }

    pub fn ingest(&self) -> usize {
        self.ingest
    }

    /// Whether the run has several nodes, so that its deliveries split into same-node and
    /// other-node ones.
    pub fn is_cluster(&self) -> bool {
        self.urls.len() > 1
    }

    /// The node of client `index` of the run: `index mod nodes`. It depends on the client's
    /// index in the whole run, not in a process's share, so a run spread over processes
    /// spreads its clients over the nodes exactly as one process would.
    pub fn of_client(&self, index: usize) -> usize {
        index % self.urls.len()
    }

    /// The URLs as `--url` takes them, comma-separated, for reports.
    pub fn label(&self) -> String {
        self.urls.join(",")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crowd::Share;

    fn three() -> Nodes {
        Nodes::new(
            vec![
                "http://a:1".into(),
                "http://b:2".into(),
                "http://c:3".into(),
            ],
            1,
        )
        .unwrap()
    }

    #[test]
    fn clients_go_round_robin_over_the_nodes() {
        let nodes = three();
        let spread: Vec<usize> = (0..7).map(|client| nodes.of_client(client)).collect();
        assert_eq!(spread, [0, 1, 2, 0, 1, 2, 0]);
        let one = Nodes::one("http://a:1");
        assert!((0..5).all(|client| one.of_client(client) == 0));
        assert!(!one.is_cluster() && three().is_cluster());
        assert_eq!(nodes.label(), "http://a:1,http://b:2,http://c:3");
    }

    /// Two processes share 10 clients over 3 nodes: each client lands on the node it would
    /// have in one process, so the nodes get 4, 3 and 3 clients whoever runs them.
    #[test]
    fn processes_spread_their_shares_as_one_process_would() {
        let nodes = three();
        let mut per_node = [0; 3];
        for index in 0..2 {
            let share = Share { index, of: 2 };
            for client in share.clients(10) {
                per_node[nodes.of_client(client)] += 1;
            }
        }
        assert_eq!(per_node, [4, 3, 3]);
        let second: Vec<usize> = Share { index: 1, of: 2 }
            .clients(10)
            .map(|client| nodes.of_client(client))
            .collect();
        assert_eq!(second, [1, 0, 2, 1, 0]);
    }

    #[test]
    fn nodes_without_urls_or_with_a_missing_ingest_node_are_refused() {
        assert!(Nodes::new(Vec::new(), 0).is_err());
        assert!(Nodes::new(vec!["http://a:1".into(), " ".into()], 0).is_err());
        let error = Nodes::new(vec!["http://a:1".into()], 1).unwrap_err();
        assert!(error.contains("--ingest-node 1 names no node"), "{error}");
        assert_eq!(three().ingest(), 1);
    }
}
