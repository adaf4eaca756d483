//! The clients of a run, or the share of them one process runs: connecting them, each on its
//! node and channel, and adding up what they received once they are told to stop. The run's
//! own process and every worker process (see [`crate::workers`]) do this the same way.

use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::sync::{Semaphore, mpsc, watch};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::board::{Board, Reporter};
use crate::client::{ConnectError, Connector, Outcome, Transport};
use crate::nodes::Nodes;
use crate::protocol::Protocol;
use crate::received::Received;
use crate::silence::Silence;
use crate::tally::{Ledger, Tally};

/// How long clients get to hand back their ledgers once told to stop.
pub const STOP_GRACE: Duration = Duration::from_secs(5);

/// A client's task: its outcome, or nothing if it never connected.
pub type ClientTask = JoinHandle<Option<Outcome>>;
/// Where each client's connect result goes: where it subscribed, or why it could not.
pub type ConnectResults = mpsc::UnboundedSender<Result<Seat, String>>;

/// Where a connected client listens: its node and its channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Seat {
    pub node: usize,
    pub channel: usize,
}

/// Which of a run's clients a process runs: client `i` belongs to process `i % of`, so every
/// process gets the channels in the same proportion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Share {
    pub index: usize,
    pub of: usize,
}

impl Share {
    /// The whole run in one process.
    pub const ALL: Share = Share { index: 0, of: 1 };

    /// The indices of this share's clients among `clients`.
    pub fn clients(self, clients: usize) -> impl Iterator<Item = usize> {
        (self.index..clients).step_by(self.of.max(1))
    }

    /// How many of `clients` are in this share.
    pub fn size(self, clients: usize) -> usize {
        clients.saturating_sub(self.index).div_ceil(self.of.max(1))
    }
}

/// Everything a process needs to connect its share of a run's clients.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Crowd {
    /// The servers; client `i` connects to node `i mod nodes`.
    pub nodes: Nodes,
    pub protocol: Protocol,
    pub transport: Transport,
    /// All the run's clients, not only this share's.
    pub clients: usize,
    pub channels: usize,
    /// The most events the run publishes: the size of each client's ledger.
    pub events: u64,
    /// WebSocket handshakes in flight at once, in this process.
    pub connect_concurrency: usize,
    pub connect_timeout: Duration,
    /// Silences at least this long are added up per node (`--silence-ms`).
    pub silence_threshold: Option<Duration>,
    pub share: Share,
}

impl Crowd {
    /// Whether the crowd makes sense, for one that came from elsewhere (a worker's
    /// assignment); the command line's limits hold here too.
    pub fn check(&self) -> Result<(), String> {
        const MOST: usize = 1_000_000;
        const MOST_EVENTS: u64 = 1_000_000_000;
        const LONGEST_CONNECT: Duration = Duration::from_secs(24 * 3600);
        self.nodes.check()?;
        if !(1..=MOST).contains(&self.clients) || !(1..=MOST).contains(&self.channels) {
            return Err(format!(
                "{} clients on {} channels: each must be 1 to {MOST}",
                self.clients, self.channels
            ));
        }
        if self.events > MOST_EVENTS {
            return Err(format!("{} events: at most {MOST_EVENTS}", self.events));
        }
        if !(1..=100_000).contains(&self.connect_concurrency) {
            return Err(format!(
                "{} handshakes at once: 1 to 100,000",
                self.connect_concurrency
            ));
        }
        if self.connect_timeout > LONGEST_CONNECT {
            return Err(format!(
                "a connect timeout of {:?}: at most a day",
                self.connect_timeout
            ));
        }
        if self.share.index >= self.share.of {
            return Err(format!(
                "share {} of {} does not exist",
                self.share.index, self.share.of
            ));
        }
        Ok(())
    }

    /// Where and how the clients connect, node by node (building them reads the system's
    /// certificates, so it is done before the connect phase is timed).
    pub fn connectors(&self) -> Result<Vec<Connector>, ConnectError> {
        self.nodes
            .urls()
            .iter()
            .map(|url| Connector::new(url, self.protocol.clone(), self.transport))
            .collect()
    }
}

/// Channel `index`'s name; public, so no authorization is involved.
pub fn channel_name(index: usize) -> String {
    format!("loadgen.{index}")
}

/// Starts one task per client of the crowd's share, on its node (`connectors` has one per
/// node). Each sends its connect result (where it subscribed, or why it could not) to
/// `results` exactly once, then listens until `stop`.
pub fn spawn_clients(
    crowd: &Crowd,
    connectors: &[Connector],
    board: &Arc<Board>,
    results: &ConnectResults,
    stop: watch::Receiver<bool>,
) -> Vec<ClientTask> {
    let connectors: Vec<Arc<Connector>> = connectors.iter().cloned().map(Arc::new).collect();
    let limiter = Arc::new(Semaphore::new(crowd.connect_concurrency.max(1)));
    let deadline = Instant::now() + crowd.connect_timeout;
    crowd
        .share
        .clients(crowd.clients)
        .map(|index| {
            let seat = Seat {
                node: crowd.nodes.of_client(index),
                channel: index % crowd.channels,
            };
            let name = channel_name(seat.channel);
            let (connector, limiter, board, stop, results) = (
                connectors[seat.node].clone(),
                limiter.clone(),
                board.clone(),
                stop.clone(),
                results.clone(),
            );
            let (channels, events) = (crowd.channels as u64, crowd.events);
            tokio::spawn(async move {
                let attempt = tokio::time::timeout_at(deadline, async {
                    let _permit = limiter
                        .acquire()
                        .await
                        .expect("the limiter is never closed");
                    connector.connect(&name).await
                })
                .await;
                let client = match attempt {
                    Ok(Ok(client)) => client,
                    Ok(Err(error)) => {
                        let _ = results.send(Err(error.to_string()));
                        return None;
                    }
                    Err(_) => {
                        let _ =
                            results.send(Err("not connected within the connect timeout".into()));
                        return None;
                    }
                };
                let _ = results.send(Ok(seat));
                drop(results);
                let ledger = Ledger::new(seat.channel as u64, channels, events);
                Some(
                    client
                        .listen(ledger, Reporter::new(board, seat), stop)
                        .await,
                )
            })
        })
        .collect()
}

/// Tells the clients to stop, then adds up what those that connected received, node by node,
/// waiting at most [`STOP_GRACE`] in all. A client that does not hand its ledger back in time
/// counts as having received nothing, so its deliveries show as lost rather than vanish from
/// the expected count.
pub async fn collect(
    crowd: &Crowd,
    tasks: Vec<ClientTask>,
    stop: &watch::Sender<bool>,
    published: u64,
) -> Received {
    let _ = stop.send(true);
    let deadline = Instant::now() + STOP_GRACE;
    let mut received = Received::new(crowd.nodes.count());
    let threshold = crowd.silence_threshold.map(|t| t.as_nanos() as u64);
    for (task, index) in tasks.into_iter().zip(crowd.share.clients(crowd.clients)) {
        let outcome = match tokio::time::timeout_at(deadline, task).await {
            Ok(Ok(Some(outcome))) => outcome,
            Ok(Ok(None)) => continue,
            failed => {
                let channel = (index % crowd.channels) as u64;
                Outcome {
                    ledger: Ledger::new(channel, crowd.channels as u64, crowd.events),
                    malformed: 0,
                    broken: Some(match failed {
                        Ok(Err(panic)) => format!("its task failed: {panic}"),
                        _ => "did not stop within the grace period".into(),
                    }),
                    silence: Silence::default(),
                }
            }
        };
        let node = &mut received.nodes[crowd.nodes.of_client(index)];
        node.tally.merge(Tally::of([&outcome.ledger], published));
        if let Some(threshold) = threshold {
            node.silences.add(&outcome.silence, threshold);
        }
        received.malformed += outcome.malformed;
        if let Some(reason) = outcome.broken {
            received.broken += 1;
            received.first_broken.get_or_insert(reason);
        }
    }
    received
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::Eio;

    #[test]
    fn shares_split_the_clients_without_overlap() {
        let shares: Vec<Vec<usize>> = (0..3)
            .map(|index| Share { index, of: 3 }.clients(10).collect())
            .collect();
        assert_eq!(shares, [vec![0, 3, 6, 9], vec![1, 4, 7], vec![2, 5, 8]]);
        for (index, share) in shares.iter().enumerate() {
            assert_eq!(Share { index, of: 3 }.size(10), share.len());
        }
        assert_eq!(
            Share { index: 4, of: 5 }.size(3),
            0,
            "more processes than clients"
        );
        assert_eq!(Share::ALL.clients(4).collect::<Vec<_>>(), [0, 1, 2, 3]);
    }

    #[test]
    fn a_crowd_from_elsewhere_is_checked() {
        let crowd = Crowd {
            nodes: Nodes::new(
                vec!["http://127.0.0.1:9".into(), "http://127.0.0.1:10".into()],
                1,
            )
            .unwrap(),
            protocol: Protocol::SocketIo(Eio::V3),
            transport: Transport::WebSocket,
            clients: 10,
            channels: 2,
            events: 100,
            connect_concurrency: 4,
            connect_timeout: Duration::from_secs(1),
            silence_threshold: None,
            share: Share { index: 1, of: 2 },
        };
        assert_eq!(crowd.check(), Ok(()));
        let broken = [
            Crowd {
                channels: 0,
                ..crowd.clone()
            },
            Crowd {
                clients: 2_000_000,
                ..crowd.clone()
            },
            Crowd {
                share: Share { index: 2, of: 2 },
                ..crowd.clone()
            },
            Crowd {
                share: Share { index: 0, of: 0 },
                ..crowd.clone()
            },
            Crowd {
                events: u64::MAX,
                ..crowd.clone()
            },
            Crowd {
                connect_concurrency: usize::MAX,
                ..crowd.clone()
            },
            Crowd {
                connect_timeout: Duration::MAX,
                ..crowd.clone()
            },
            Crowd {
                nodes: serde_json::from_str(r#"{"urls":["http://127.0.0.1:9"],"ingest":1}"#)
                    .unwrap(),
                ..crowd.clone()
            },
        ];
        for crowd in broken {
            assert!(crowd.check().is_err(), "{crowd:?}");
        }
    }
}
