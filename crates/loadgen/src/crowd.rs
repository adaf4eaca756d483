//! The clients of a run, or the share of them one process runs: connecting them, each on its
//! channel, and adding up what they received once they are told to stop. The run's own
//! process and every worker process (see [`crate::workers`]) do this the same way.

use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::sync::{Semaphore, mpsc, watch};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::board::{Board, Reporter};
use crate::client::{ConnectError, Connector, Outcome, Transport};
use crate::protocol::Eio;
use crate::tally::{Ledger, Tally, owed};

/// How long clients get to hand back their ledgers once told to stop.
pub const STOP_GRACE: Duration = Duration::from_secs(5);

/// A client's task: its outcome, or nothing if it never connected.
pub type ClientTask = JoinHandle<Option<Outcome>>;
/// Where each client's connect result goes: the channel it subscribed to, or why it could not.
pub type ConnectResults = mpsc::UnboundedSender<Result<usize, String>>;

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
    /// The server's HTTP base, `http://127.0.0.1:6001`.
    pub url: String,
    pub eio: Eio,
    pub transport: Transport,
    /// All the run's clients, not only this share's.
    pub clients: usize,
    pub channels: usize,
    /// The most events the run publishes: the size of each client's ledger.
    pub events: u64,
    /// WebSocket handshakes in flight at once, in this process.
    pub connect_concurrency: usize,
    pub connect_timeout: Duration,
    pub share: Share,
}

impl Crowd {
    /// Whether the crowd makes sense, for one that came from elsewhere (a worker's
    /// assignment); the command line's limits hold here too.
    pub fn check(&self) -> Result<(), String> {
        const MOST: usize = 1_000_000;
        const MOST_EVENTS: u64 = 1_000_000_000;
        const LONGEST_CONNECT: Duration = Duration::from_secs(24 * 3600);
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

    /// Where and how the clients connect (building it reads the system's certificates, so it
    /// is done before the connect phase is timed).
    pub fn connector(&self) -> Result<Connector, ConnectError> {
        Connector::new(&self.url, self.eio, self.transport)
    }
}

/// Channel `index`'s name; public, so no authorization is involved.
pub fn channel_name(index: usize) -> String {
    format!("loadgen.{index}")
}

/// Starts one task per client of the crowd's share. Each sends its connect result (the
/// channel it subscribed to, or why it could not) to `results` exactly once, then listens
/// until `stop`.
pub fn spawn_clients(
    crowd: &Crowd,
    connector: &Connector,
    board: &Arc<Board>,
    results: &ConnectResults,
    stop: watch::Receiver<bool>,
) -> Vec<ClientTask> {
    let connector = Arc::new(connector.clone());
    let limiter = Arc::new(Semaphore::new(crowd.connect_concurrency.max(1)));
    let deadline = Instant::now() + crowd.connect_timeout;
    crowd
        .share
        .clients(crowd.clients)
        .map(|index| {
            let channel = index % crowd.channels;
            let name = channel_name(channel);
            let (connector, limiter, board, stop, results) = (
                connector.clone(),
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
                let _ = results.send(Ok(channel));
                drop(results);
                let ledger = Ledger::new(channel as u64, channels, events);
                Some(
                    client
                        .listen(ledger, Reporter::new(board, channel), stop)
                        .await,
                )
            })
        })
        .collect()
}

/// What a share's clients received, added up.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Received {
    pub tally: Tally,
    /// Connections that ended before the run stopped them.
    pub broken: u64,
    pub first_broken: Option<String>,
    /// Frames that could not be understood.
    pub malformed: u64,
}

impl Received {
    /// Adds `other`'s counts to these; the first reason for a broken connection stays.
    pub fn merge(&mut self, other: Received) {
        self.tally.merge(other.tally);
        self.broken = self.broken.saturating_add(other.broken);
        self.malformed = self.malformed.saturating_add(other.malformed);
        if self.first_broken.is_none() {
            self.first_broken = other.first_broken;
        }
    }

    /// Clients that never reported: connected on the channels counted in `connected`, they
    /// are owed the events but count as having received none.
    pub fn unreported(connected: &[u64], published: u64, reason: &str) -> Received {
        let channels = connected.len() as u64;
        let mut tally = Tally::default();
        for (channel, &clients) in connected.iter().enumerate() {
            let owed = clients.saturating_mul(owed(published, channels, channel as u64));
            tally.expected = tally.expected.saturating_add(owed);
            tally.lost = tally.lost.saturating_add(owed);
        }
        let broken = connected.iter().fold(0u64, |sum, &n| sum.saturating_add(n));
        Received {
            tally,
            broken,
            first_broken: (broken > 0).then(|| reason.to_owned()),
            malformed: 0,
        }
    }
}

/// Tells the clients to stop, then adds up what those that connected received, waiting at
/// most [`STOP_GRACE`] in all. A client that does not hand its ledger back in time counts as
/// having received nothing, so its deliveries show as lost rather than vanish from the
/// expected count.
pub async fn collect(
    crowd: &Crowd,
    tasks: Vec<ClientTask>,
    stop: &watch::Sender<bool>,
    published: u64,
) -> Received {
    let _ = stop.send(true);
    let deadline = Instant::now() + STOP_GRACE;
    let mut outcomes = Vec::with_capacity(tasks.len());
    for (task, index) in tasks.into_iter().zip(crowd.share.clients(crowd.clients)) {
        match tokio::time::timeout_at(deadline, task).await {
            Ok(Ok(Some(outcome))) => outcomes.push(outcome),
            Ok(Ok(None)) => {}
            failed => {
                let channel = (index % crowd.channels) as u64;
                outcomes.push(Outcome {
                    ledger: Ledger::new(channel, crowd.channels as u64, crowd.events),
                    malformed: 0,
                    broken: Some(match failed {
                        Ok(Err(panic)) => format!("its task failed: {panic}"),
                        _ => "did not stop within the grace period".into(),
                    }),
                });
            }
        }
    }
    let broken: Vec<&String> = outcomes.iter().filter_map(|o| o.broken.as_ref()).collect();
    Received {
        tally: Tally::of(outcomes.iter().map(|o| &o.ledger), published),
        broken: broken.len() as u64,
        first_broken: broken.first().map(|reason| reason.to_string()),
        malformed: outcomes.iter().map(|o| o.malformed).sum(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
            url: "http://127.0.0.1:9".into(),
            eio: Eio::V3,
            transport: Transport::WebSocket,
            clients: 10,
            channels: 2,
            events: 100,
            connect_concurrency: 4,
            connect_timeout: Duration::from_secs(1),
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
        ];
        for crowd in broken {
            assert!(crowd.check().is_err(), "{crowd:?}");
        }
    }

    #[test]
    fn unreported_clients_are_owed_everything_and_count_as_broken() {
        // 2 channels, 5 events: channel 0 is owed 3, channel 1 is owed 2.
        let received = Received::unreported(&[2, 1], 5, "worker gone");
        assert_eq!(received.tally.expected, 2 * 3 + 2);
        assert_eq!(received.tally.lost, 8);
        assert_eq!(received.tally.delivered, 0);
        assert_eq!(received.broken, 3);
        assert_eq!(received.first_broken.as_deref(), Some("worker gone"));
        assert_eq!(Received::unreported(&[0, 0], 5, "x"), Received::default());
        let many = Received::unreported(&[u64::MAX], 5, "x");
        assert_eq!(many.tally.lost, u64::MAX, "saturates rather than wraps");
    }

    #[test]
    fn merging_adds_counts_and_keeps_the_first_reason() {
        let mut total = Received {
            broken: 1,
            first_broken: Some("first".into()),
            malformed: 2,
            ..Received::default()
        };
        total.merge(Received {
            broken: 3,
            first_broken: Some("second".into()),
            malformed: 1,
            ..Received::unreported(&[1], 4, "second")
        });
        assert_eq!((total.broken, total.malformed, total.tally.lost), (4, 3, 4));
        assert_eq!(total.first_broken.as_deref(), Some("first"));
    }
}
