//! Clients spread over several processes (`--processes N`): the run's own process keeps share
//! 0 and does all the publishing; each other share runs in a worker process, the generator's
//! own executable started as `sidecast-loadgen worker`. Event stamps are read from
//! `CLOCK_MONOTONIC`, which all processes on the machine share, so a worker measures latency
//! exactly as the run's process does.
//!
//! Run and worker talk in JSON lines. The run writes an [`Assignment`] to the worker's stdin,
//! then the orders [`Order::Connect`] and [`Order::Stop`]; the worker writes [`News`] to its
//! stdout: each client's connect result, then every few milliseconds the probes and
//! deliveries seen since the last report, and finally what its clients received. A worker
//! whose stdin closes stops its clients and exits, so none outlives its run.

use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use thiserror::Error;
use tokio::io::{
    AsyncBufRead, AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader,
};
use tokio::process::{Child, ChildStdin, Command};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use crate::board::Board;
use crate::client::ConnectError;
use crate::crowd::{self, ConnectResults, Crowd, STOP_GRACE, Seat, Share};
use crate::histogram::Histogram;
use crate::received::Received;

/// How often a worker reports the probes and deliveries its clients saw.
const PROGRESS_EVERY: Duration = Duration::from_millis(5);
/// How long the run waits for the workers' final reports once it told them to stop: their
/// clients' grace to stop, and a second for the report to travel.
pub const REPORT_GRACE: Duration = STOP_GRACE.saturating_add(Duration::from_secs(1));
/// The most channels one progress line names.
const PROGRESS_BATCH: usize = 10_000;
/// The longest line either side accepts: a final report with a full histogram is well below.
const MAX_LINE_BYTES: usize = 1 << 20;

/// A worker's share of the run, the first line it reads.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Assignment {
    pub crowd: Crowd,
    /// The worker gives up and exits after this long, whatever the run does.
    pub deadline: Duration,
}

/// What the run tells a worker after its assignment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Order {
    /// Connect the clients (sent once the server's memory before them has been sampled).
    Connect,
    /// Stop the clients and report what they received of the `published` events.
    Stop { published: u64 },
}

/// What a worker tells the run.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum News {
    /// A client connected to `node` and subscribed to `channel`.
    Connected { node: usize, channel: usize },
    /// A client could not connect.
    Failed { error: String },
    /// Since the last report: clients newly proved subscribed, as (channel, count), and
    /// first copies of measured events.
    Progress {
        probed: Vec<(usize, u64)>,
        delivered: u64,
    },
    /// The clients stopped: what they received, and the latency of each first copy, node by
    /// node.
    Finished {
        received: Received,
        latencies: Vec<Histogram>,
    },
}

#[derive(Debug, Error)]
pub enum WorkerError {
    #[error("cannot start a worker process: {0}")]
    Spawn(std::io::Error),
    #[error("cannot talk to the {0}: {1}")]
    Pipe(&'static str, std::io::Error),
    #[error("the {0} closed the pipe early")]
    Ended(&'static str),
    #[error("a line from the {0} is not understood: {1}")]
    Malformed(&'static str, String),
    #[error("the assignment cannot be carried out: {0}")]
    Assignment(String),
    #[error("the run's order came out of turn: {0:?}")]
    OutOfTurn(Order),
    #[error(transparent)]
    Connector(#[from] ConnectError),
    #[error("the worker did not finish within its deadline of {0:?}")]
    Deadline(Duration),
}

/// The worker processes of one run, started and waiting for [`Workers::connect`].
#[derive(Debug)]
pub struct Workers {
    workers: Vec<Worker>,
    /// The run's nodes, which every worker reports on.
    nodes: usize,
}

#[derive(Debug)]
struct Worker {
    index: usize,
    child: Child,
    stdin: ChildStdin,
    /// The worker's clients that connected, per node and channel: kept beside the listener,
    /// so they count even when the listener does not finish.
    connected: Arc<Counts>,
    listener: JoinHandle<Heard>,
}

/// Clients per node, per channel.
type Counts = Vec<Vec<AtomicU64>>;

/// What the run heard from one worker at the end.
#[derive(Debug, Default)]
struct Heard {
    finished: Option<(Received, Vec<Histogram>)>,
    /// Why the worker's output ended without a final report.
    ended: Option<String>,
}

impl Workers {
    /// Starts shares 1.. of `processes` for `crowd` (whose own share is 0). Each worker's
    /// connect results go to `results`, its probes and deliveries to `board`.
    pub async fn spawn(
        crowd: &Crowd,
        processes: usize,
        deadline: Duration,
        board: &Arc<Board>,
        results: &ConnectResults,
    ) -> Result<Workers, WorkerError> {
        let program = std::env::current_exe().map_err(WorkerError::Spawn)?;
        let mut workers = Vec::with_capacity(processes.saturating_sub(1));
        for index in 1..processes {
            let mut child = Command::new(&program)
                .arg("worker")
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::inherit())
                .kill_on_drop(true)
                .spawn()
                .map_err(WorkerError::Spawn)?;
            let mut stdin = child.stdin.take().expect("stdin is piped");
            let stdout = child.stdout.take().expect("stdout is piped");
            let share = Share {
                index,
                of: processes,
            };
            let assignment = Assignment {
                crowd: Crowd {
                    share,
                    ..crowd.clone()
                },
                deadline,
            };
            write_line(&mut stdin, &assignment, "worker").await?;
            let connected = Arc::new(counts(crowd.nodes.count(), crowd.channels));
            let listener = tokio::spawn(listen(
                index,
                stdout,
                share.size(crowd.clients),
                connected.clone(),
                board.clone(),
                results.clone(),
            ));
            workers.push(Worker {
                index,
                child,
                stdin,
                connected,
                listener,
            });
        }
        Ok(Workers {
            workers,
            nodes: crowd.nodes.count(),
        })
    }

    /// The workers' process ids, for the generator's CPU time.
    pub fn pids(&self) -> Vec<u32> {
        self.workers.iter().filter_map(|w| w.child.id()).collect()
    }

    /// Tells every worker to connect its clients. A worker that cannot be told has ended: its
    /// listener reports its clients as failed to connect.
    pub async fn connect(&mut self) {
        for worker in &mut self.workers {
            let _ = write_line(&mut worker.stdin, &Order::Connect, "worker").await;
        }
    }

    /// Tells every worker to stop after `published` events and adds up their reports, node
    /// by node. A worker that does not report within the grace period has its connected
    /// clients counted as having received nothing.
    pub async fn stop(mut self, published: u64) -> (Received, Vec<Histogram>) {
        for worker in &mut self.workers {
            let _ = write_line(&mut worker.stdin, &Order::Stop { published }, "worker").await;
        }
        let mut received = Received::new(self.nodes);
        let mut latencies = vec![Histogram::default(); self.nodes];
        let deadline = tokio::time::Instant::now() + REPORT_GRACE;
        for mut worker in self.workers {
            let heard = match tokio::time::timeout_at(deadline, &mut worker.listener).await {
                Ok(Ok(heard)) => heard,
                _ => Heard {
                    ended: Some("did not report in time".into()),
                    ..Heard::default()
                },
            };
            match heard.finished {
                Some((theirs, their_latencies)) => {
                    received.merge(theirs);
                    for (mine, theirs) in latencies.iter_mut().zip(&their_latencies) {
                        mine.merge(theirs);
                    }
                }
                None => {
                    let reason = format!(
                        "worker process {}: {}",
                        worker.index,
                        heard.ended.as_deref().unwrap_or("ended without a report")
                    );
                    let connected: Vec<Vec<u64>> = worker
                        .connected
                        .iter()
                        .map(|node| node.iter().map(|n| n.load(Ordering::Acquire)).collect())
                        .collect();
                    received.merge(Received::unreported(&connected, published, &reason));
                }
            }
            worker.listener.abort();
            let _ = worker.child.start_kill();
            let _ = worker.child.wait().await;
        }
        (received, latencies)
    }
}

/// Zeroed counts for `nodes` nodes of `channels` channels.
fn counts(nodes: usize, channels: usize) -> Counts {
    (0..nodes)
        .map(|_| (0..channels).map(|_| AtomicU64::new(0)).collect())
        .collect()
}

/// The connect results a worker still owes the run. Until all have arrived the run's connect
/// phase waits, so a worker that ends early has the missing ones reported as failures.
struct Owed {
    results: Option<ConnectResults>,
    count: usize,
}

impl Owed {
    fn new(results: ConnectResults, count: usize) -> Self {
        Owed {
            results: (count > 0).then_some(results),
            count,
        }
    }

    /// Passes one result on; false when none was owed any more.
    fn answer(&mut self, result: Result<Seat, String>) -> bool {
        let Some(results) = &self.results else {
            return false;
        };
        let _ = results.send(result);
        self.count -= 1;
        if self.count == 0 {
            self.results = None;
        }
        true
    }
}

/// Reads one worker's news until its final report or the end of its output.
async fn listen<O: AsyncRead + Unpin>(
    index: usize,
    stdout: O,
    clients: usize,
    connected: Arc<Counts>,
    board: Arc<Board>,
    results: ConnectResults,
) -> Heard {
    let (nodes, channels) = (connected.len(), connected.first().map_or(0, Vec::len));
    let mut output = BufReader::new(stdout);
    let mut owed = Owed::new(results, clients);
    let mut heard = Heard::default();
    let ended = loop {
        match read_line::<News, _>(&mut output, "worker").await {
            Ok(News::Connected { node, channel }) if node < nodes && channel < channels => {
                if owed.answer(Ok(Seat { node, channel })) {
                    connected[node][channel].fetch_add(1, Ordering::AcqRel);
                }
            }
            Ok(News::Connected { node, channel }) => {
                break format!(
                    "named node {node} and channel {channel}, which the run does not both have"
                );
            }
            Ok(News::Failed { error }) => {
                owed.answer(Err(error));
            }
            Ok(News::Progress { probed, delivered }) => {
                for (channel, count) in probed.into_iter().filter(|&(c, _)| c < channels) {
                    board.add_probed(channel, count);
                }
                board.add_delivered(delivered);
            }
            Ok(News::Finished {
                received,
                latencies,
            }) if received.nodes.len() == nodes && latencies.len() == nodes => {
                heard.finished = Some((received, latencies));
                return heard;
            }
            Ok(News::Finished { latencies, .. }) => {
                break format!(
                    "reported on {} nodes, where the run has {nodes}",
                    latencies.len()
                );
            }
            Err(error) => break error.to_string(),
        }
    };
    let reason = format!("worker process {index}: {ended}");
    while owed.answer(Err(reason.clone())) {}
    heard.ended = Some(ended);
    heard
}

/// The worker's side: reads its assignment and orders from `input`, runs its clients, and
/// writes its news to `output`.
pub async fn serve<R, W>(mut input: R, output: W) -> Result<(), WorkerError>
where
    R: AsyncBufRead + Unpin + Send + 'static,
    W: AsyncWrite + Unpin + Send + 'static,
{
    let assignment: Assignment = read_line(&mut input, "run").await?;
    assignment.crowd.check().map_err(WorkerError::Assignment)?;
    let deadline = assignment.deadline;
    tokio::time::timeout(deadline, work(assignment.crowd, input, output))
        .await
        .map_err(|_| WorkerError::Deadline(deadline))?
}

async fn work<R, W>(crowd: Crowd, mut orders: R, output: W) -> Result<(), WorkerError>
where
    R: AsyncBufRead + Unpin,
    W: AsyncWrite + Unpin + Send + 'static,
{
    let connectors = crowd.connectors()?;
    match read_line::<Order, _>(&mut orders, "run").await? {
        Order::Connect => {}
        order => return Err(WorkerError::OutOfTurn(order)),
    }
    let board = Arc::new(Board::new(crowd.channels, crowd.nodes.count()));
    let (stop, stopped) = watch::channel(false);
    let (results, mut connects) = mpsc::unbounded_channel();
    let tasks = crowd::spawn_clients(&crowd, &connectors, &board, &results, stopped);
    drop(results);
    let (news, outbox) = mpsc::unbounded_channel();
    let writer = tokio::spawn(write_news(outbox, output));
    let forwarder = {
        let news = news.clone();
        tokio::spawn(async move {
            while let Some(result) = connects.recv().await {
                let _ = news.send(match result {
                    Ok(Seat { node, channel }) => News::Connected { node, channel },
                    Err(error) => News::Failed { error },
                });
            }
        })
    };
    let progress = tokio::spawn(report_progress(board.clone(), crowd.channels, news.clone()));

    let order = read_line::<Order, _>(&mut orders, "run").await;
    progress.abort();
    let published = match order {
        Ok(Order::Stop { published }) => published,
        Ok(order) => {
            let _ = stop.send(true);
            return Err(WorkerError::OutOfTurn(order));
        }
        Err(error) => {
            let _ = stop.send(true);
            return Err(error);
        }
    };
    let received = crowd::collect(&crowd, tasks, &stop, published).await;
    forwarder.abort();
    let _ = news.send(News::Finished {
        received,
        latencies: board.latencies(),
    });
    drop(news);
    writer
        .await
        .unwrap_or_else(|_| Err(WorkerError::Ended("worker's writer")))
}

/// Every [`PROGRESS_EVERY`], what changed on the board since the last report.
async fn report_progress(board: Arc<Board>, channels: usize, news: mpsc::UnboundedSender<News>) {
    let mut probed = vec![0u64; channels];
    let (mut probed_total, mut delivered) = (0, 0);
    let mut ticks = tokio::time::interval(PROGRESS_EVERY);
    loop {
        ticks.tick().await;
        let mut changed = Vec::new();
        // Channels are only scanned when some probe arrived: with many channels the scan is
        // the costly part, and once every client is proved subscribed nothing changes there.
        let total = board.probed_total();
        if total != probed_total {
            probed_total = total;
            for (channel, seen) in probed.iter_mut().enumerate() {
                let now = board.probed(channel);
                if now > *seen {
                    changed.push((channel, now - *seen));
                    *seen = now;
                }
            }
        }
        let now = board.delivered();
        if changed.is_empty() && now == delivered {
            continue;
        }
        // Lines stay short however many channels changed; the deliveries ride on the first.
        let mut batches = changed.chunks(PROGRESS_BATCH);
        let mut report = News::Progress {
            probed: batches.next().unwrap_or_default().to_vec(),
            delivered: now - delivered,
        };
        delivered = now;
        loop {
            if news.send(report).is_err() {
                return;
            }
            match batches.next() {
                Some(batch) => {
                    report = News::Progress {
                        probed: batch.to_vec(),
                        delivered: 0,
                    }
                }
                None => break,
            }
        }
    }
}

async fn write_news<W: AsyncWrite + Unpin>(
    mut outbox: mpsc::UnboundedReceiver<News>,
    mut output: W,
) -> Result<(), WorkerError> {
    while let Some(news) = outbox.recv().await {
        write_line(&mut output, &news, "run").await?;
    }
    Ok(())
}

async fn write_line<W: AsyncWrite + Unpin, T: Serialize>(
    output: &mut W,
    message: &T,
    peer: &'static str,
) -> Result<(), WorkerError> {
    let mut line = serde_json::to_vec(message).expect("messages always serialize");
    line.push(b'\n');
    output
        .write_all(&line)
        .await
        .map_err(|e| WorkerError::Pipe(peer, e))?;
    output.flush().await.map_err(|e| WorkerError::Pipe(peer, e))
}

/// The next line from `peer`, which must be one JSON message of at most [`MAX_LINE_BYTES`].
async fn read_line<T: DeserializeOwned, R: AsyncBufRead + Unpin>(
    input: &mut R,
    peer: &'static str,
) -> Result<T, WorkerError> {
    let mut line = Vec::new();
    (&mut *input)
        .take(MAX_LINE_BYTES as u64 + 1)
        .read_until(b'\n', &mut line)
        .await
        .map_err(|e| WorkerError::Pipe(peer, e))?;
    if line.last() != Some(&b'\n') {
        return Err(if line.len() > MAX_LINE_BYTES {
            WorkerError::Malformed(peer, format!("a line longer than {MAX_LINE_BYTES} bytes"))
        } else {
            WorkerError::Ended(peer)
        });
    }
    serde_json::from_slice(&line).map_err(|e| WorkerError::Malformed(peer, e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn loaded(counts: &Counts) -> Vec<Vec<u64>> {
        counts
            .iter()
            .map(|node| node.iter().map(|n| n.load(Ordering::Acquire)).collect())
            .collect()
    }

    fn lines(news: &[&str]) -> Vec<u8> {
        news.iter()
            .flat_map(|line| format!("{line}\n").into_bytes())
            .collect()
    }

    /// A worker that ends after one of its three clients connected: the run's connect phase
    /// still gets three answers, and its probes and deliveries so far are on the board.
    #[tokio::test]
    async fn a_worker_that_ends_early_still_answers_for_every_client() {
        let board = Arc::new(Board::new(2, 1));
        let (results, mut answers) = mpsc::unbounded_channel();
        let output = lines(&[
            r#"{"connected":{"node":0,"channel":1}}"#,
            r#"{"progress":{"probed":[[1,1],[9,1]],"delivered":5}}"#,
        ]);
        let connected = Arc::new(counts(1, 2));
        let heard = listen(2, &output[..], 3, connected.clone(), board.clone(), results).await;
        assert_eq!(loaded(&connected), [[0, 1]]);
        assert!(heard.finished.is_none());
        assert_eq!(
            heard.ended.as_deref(),
            Some("the worker closed the pipe early")
        );
        assert_eq!(
            answers.recv().await,
            Some(Ok(Seat {
                node: 0,
                channel: 1
            }))
        );
        for _ in 0..2 {
            let failure = answers.recv().await.unwrap().unwrap_err();
            assert!(failure.starts_with("worker process 2: "), "{failure}");
        }
        assert_eq!(
            answers.recv().await,
            None,
            "three answers, then the channel closes"
        );
        assert_eq!(
            (board.probed(1), board.delivered()),
            (1, 5),
            "channel 9 ignored"
        );
    }

    #[tokio::test]
    async fn a_worker_that_reports_is_heard_to_the_end() {
        let board = Arc::new(Board::new(1, 2));
        let (results, mut answers) = mpsc::unbounded_channel();
        let finished = News::Finished {
            received: Received::unreported(&[vec![0], vec![1]], 4, "gone"),
            latencies: vec![Histogram::default(); 2],
        };
        let output = lines(&[
            r#"{"failed":{"error":"refused"}}"#,
            r#"{"connected":{"node":1,"channel":0}}"#,
            r#"{"connected":{"node":0,"channel":0}}"#,
            &serde_json::to_string(&finished).unwrap(),
        ]);
        let connected = Arc::new(counts(2, 1));
        let heard = listen(1, &output[..], 2, connected.clone(), board, results).await;
        assert_eq!(
            loaded(&connected),
            [[0], [1]],
            "a third answer for two clients is not counted"
        );
        let (received, _) = heard.finished.unwrap();
        assert_eq!(received.nodes[1].tally.lost, 4);
        assert_eq!(answers.recv().await, Some(Err("refused".into())));
        assert_eq!(
            answers.recv().await,
            Some(Ok(Seat {
                node: 1,
                channel: 0
            }))
        );
        assert_eq!(answers.recv().await, None);
    }

    #[tokio::test]
    async fn a_worker_naming_a_node_or_channel_the_run_lacks_is_cut_off() {
        for news in [
            r#"{"connected":{"node":0,"channel":4}}"#,
            r#"{"connected":{"node":3,"channel":0}}"#,
        ] {
            let board = Arc::new(Board::new(1, 1));
            let (results, mut answers) = mpsc::unbounded_channel();
            let output = lines(&[news]);
            let heard = listen(1, &output[..], 1, Arc::new(counts(1, 1)), board, results).await;
            assert!(heard.ended.unwrap().contains("which the run does not"));
            assert!(answers.recv().await.unwrap().is_err());
        }
    }

    #[tokio::test]
    async fn a_worker_reporting_on_other_nodes_is_not_believed() {
        let board = Arc::new(Board::new(1, 2));
        let (results, _answers) = mpsc::unbounded_channel();
        let finished = News::Finished {
            received: Received::new(3),
            latencies: vec![Histogram::default(); 3],
        };
        let output = lines(&[&serde_json::to_string(&finished).unwrap()]);
        let heard = listen(1, &output[..], 0, Arc::new(counts(2, 1)), board, results).await;
        assert!(heard.finished.is_none());
        assert!(
            heard
                .ended
                .unwrap()
                .contains("on 3 nodes, where the run has 2")
        );
    }
}
