//! One run, phase by phase: connect the clients, make sure each one is subscribed, publish
//! at the set rate, wait for the deliveries, and measure. Every phase has its own deadline,
//! so a run ends by [`Plan::hard_deadline`] whatever the server does.

use std::sync::Arc;
use std::time::Duration;

use thiserror::Error;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::board::Board;
use crate::churn::{self, Churn, ChurnReport, Visitors};
use crate::client::{ConnectError, Transport};
use crate::crowd::{self, Crowd, STOP_GRACE, Share, channel_name};
use crate::histogram::Histogram;
use crate::ingest::{IngestError, Publisher, Target};
use crate::meter::Meter;
use crate::nodes::Nodes;
use crate::protocol::Protocol;
use crate::report::{self, NodeSplit, PerNode, Report};
use crate::stamp::{self, Stamp};
use crate::tally::owed;
use crate::workers::{REPORT_GRACE, WorkerError, Workers};

/// How long one round of readiness probes waits before probing the silent channels again.
const PROBE_ROUND: Duration = Duration::from_millis(100);
/// How long after the connect timeout the run still waits for worker processes' connect
/// results (a worker's clients time out by themselves; their answers still have to travel).
const CONNECT_ANSWER_MARGIN: Duration = Duration::from_secs(2);
/// How often a waiting phase looks at the board.
const POLL: Duration = Duration::from_millis(2);

/// What to run.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The server, or the nodes of a cluster, and which one takes the events.
    pub nodes: Nodes,
    pub protocol: Protocol,
    pub transport: Transport,
    pub clients: usize,
    pub channels: usize,
    pub target: Target,
    /// Events per second over all channels; 0 holds the connections idle for the duration.
    pub rate: f64,
    pub duration: Duration,
    /// Bytes of filler in each event's data.
    pub padding: usize,
    /// The server's processes, all the cluster's nodes' or some; none to leave the server
    /// unsampled.
    pub server_pids: Vec<u32>,
    /// WebSocket handshakes in flight at once.
    pub connect_concurrency: usize,
    /// For the whole connect phase.
    pub connect_timeout: Duration,
    /// For every connected client to show it is subscribed.
    pub ready_timeout: Duration,
    /// For the deliveries after the last publish.
    pub drain_timeout: Duration,
    /// Visitors coming and going while the events flow (scenario D).
    pub churn: Option<Churn>,
    /// Processes the clients are spread over: this one and `processes - 1` workers.
    pub processes: usize,
    /// Report the clients that went this long without an event (`--silence-ms`).
    pub silence_threshold: Option<Duration>,
}

impl Plan {
    pub fn events(&self) -> u64 {
        (self.rate * self.duration.as_secs_f64()).round() as u64
    }

    /// The latest a run ends: every phase at its limit, the publisher at twice the planned
    /// time, the last visit at its longest and the clients' grace to stop.
    pub fn hard_deadline(&self) -> Duration {
        let churn = self.churn.map_or(Duration::ZERO, |churn| {
            churn.longest_visit(self.connect_timeout) + STOP_GRACE
        });
        self.connect_timeout
            + self.ready_timeout
            + 2 * self.duration
            + churn
            + self.drain_timeout
            + REPORT_GRACE
    }

    /// Connections open at once in this process, at most: its share of the clients and the
    /// visitors (who all start here).
    pub fn peak_connections(&self) -> u64 {
        let share = Share {
            index: 0,
            of: self.processes,
        };
        share.size(self.clients) as u64 + self.churn.map_or(0, |churn| churn.peak_visitors())
    }

    /// The clients, all of them or this process's share when spread over several.
    fn crowd(&self) -> Crowd {
        Crowd {
            nodes: self.nodes.clone(),
            protocol: self.protocol.clone(),
            transport: self.transport,
            clients: self.clients,
            channels: self.channels,
            events: self.events(),
            connect_concurrency: self.connect_concurrency,
            connect_timeout: self.connect_timeout,
            silence_threshold: self.silence_threshold,
            share: Share {
                index: 0,
                of: self.processes.max(1),
            },
        }
    }
}

#[derive(Debug, Error)]
pub enum RunError {
    #[error("cannot publish: {0}")]
    Ingest(#[from] IngestError),
    #[error("cannot prepare the clients: {0}")]
    Connector(#[from] ConnectError),
    #[error("no client could connect; the first said: {0}")]
    NoClients(String),
    #[error(transparent)]
    Proc(#[from] crate::meter::ProcError),
    #[error(transparent)]
    Workers(#[from] WorkerError),
}

pub async fn run(plan: &Plan) -> Result<Report, RunError> {
    let names: Vec<String> = (0..plan.channels).map(channel_name).collect();
    let board = Arc::new(Board::new(plan.channels, plan.nodes.count()));
    let crowd = plan.crowd();
    let (results, mut connects) = mpsc::unbounded_channel();
    let mut workers = Workers::spawn(
        &crowd,
        plan.processes,
        // Past the run's own deadline: a run that reaches it exits, which ends its workers.
        plan.hard_deadline() + REPORT_GRACE,
        &board,
        &results,
    )
    .await?;
    let meter = Meter::new(plan.server_pids.clone(), workers.pids());
    let start = meter.sample()?;

    let connectors = crowd.connectors()?;
    let (stop, stopped) = watch::channel(false);
    let connecting = Instant::now();
    workers.connect().await;
    let tasks = crowd::spawn_clients(&crowd, &connectors, &board, &results, stopped);
    drop(results);
    let mut connected = vec![0u64; plan.channels];
    let mut connected_per_node = vec![0u64; plan.nodes.count()];
    let (mut failed, mut first_error, mut last_connect) = (0, None, connecting);
    // Local clients answer within the connect timeout by themselves; a worker process that
    // stopped answering must not hold the run up past it.
    let answers_due = connecting + plan.connect_timeout + CONNECT_ANSWER_MARGIN;
    let mut answered = 0;
    while answered < plan.clients {
        match tokio::time::timeout_at(answers_due, connects.recv()).await {
            Ok(Some(Ok(seat))) => {
                connected[seat.channel] += 1;
                connected_per_node[seat.node] += 1;
                last_connect = Instant::now();
            }
            Ok(Some(Err(error))) => {
                failed += 1;
                first_error.get_or_insert(error);
            }
            Ok(None) => break,
            Err(_) => {
                failed += (plan.clients - answered) as u64;
                first_error.get_or_insert_with(|| {
                    "a worker process gave no connect result within the connect timeout".into()
                });
                break;
            }
        }
        answered += 1;
    }
    let connect_seconds = (last_connect - connecting).as_secs_f64();
    if connected.iter().sum::<u64>() == 0 {
        tokio::join!(crowd::collect(&crowd, tasks, &stop, 0), workers.stop(0));
        return Err(RunError::NoClients(first_error.unwrap_or_default()));
    }

    let mut publisher = Publisher::connect(&plan.target).await?;
    let unconfirmed = await_subscriptions(plan, &names, &board, &connected, &mut publisher).await?;
    let ready = meter.sample()?;

    let (stop_churn, churn_stopped) = watch::channel(false);
    let churning = match plan.churn {
        Some(churn) => {
            let visitors = Visitors {
                connectors: connectors.clone(),
                channels: names.clone(),
                connect_timeout: plan.connect_timeout,
            };
            let prober = Publisher::connect(&plan.target).await?;
            let task = churn::churn(visitors, churn, plan.duration, prober, churn_stopped);
            Some((churn, tokio::spawn(task)))
        }
        None => None,
    };
    let publishing = Instant::now();
    let published = publish(plan, &names, &mut publisher).await;
    let expected: u64 = (0..plan.channels)
        .map(|c| connected[c] * owed(published.count, plan.channels as u64, c as u64))
        .sum();
    if plan.rate == 0.0 {
        tokio::time::sleep(plan.duration).await;
    }
    let churned = match churning {
        Some((churn, task)) => Some(finish_churn(plan, churn, task, stop_churn, publishing).await),
        None => None,
    };
    let drain_deadline = Instant::now() + plan.drain_timeout;
    while board.delivered() < expected && Instant::now() < drain_deadline {
        tokio::time::sleep(POLL).await;
    }
    // Rates are over the whole schedule: n events at r per second take n / r seconds, not
    // only the (n - 1) / r until the last one is sent.
    let schedule = if plan.rate > 0.0 {
        Duration::from_secs_f64(published.count as f64 / plan.rate)
    } else {
        Duration::ZERO
    };
    // The samples too: a drain that ended before the schedule did waits for it.
    tokio::time::sleep_until(publishing + schedule).await;
    let drained = Instant::now();
    let end = meter.sample()?;
    let churned = churned.map(|mut churned| {
        churned.server_rss_growth_bytes = Meter::server_rss(&ready)
            .zip(Meter::server_rss(&end))
            .map(|(ready, end)| end as i64 - ready as i64);
        churned
    });

    // Both at once, so the run waits for one grace period, not one after the other.
    let (mut received, (theirs, their_latencies)) = tokio::join!(
        crowd::collect(&crowd, tasks, &stop, published.count),
        workers.stop(published.count)
    );
    received.merge(theirs);
    board.add_latencies(&their_latencies);
    let tally = received.tally();
    let latencies_per_node = board.latencies();
    let mut latencies = Histogram::default();
    latencies_per_node
        .iter()
        .for_each(|node| latencies.merge(node));
    let per_node = PerNode {
        connected: &connected_per_node,
        received: &received,
        latencies: &latencies_per_node,
    };
    let silence_ms = plan.silence_threshold.map(|t| t.as_secs_f64() * 1000.0);
    let publish_seconds = (published.finished - publishing).as_secs_f64();
    let window = (drained - publishing).as_secs_f64();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;

    let mut report = Report {
        server_url: plan.nodes.label(),
        protocol: plan.protocol.label(),
        transport: plan.transport.name(),
        clients: plan.clients,
        channels: plan.channels,
        ingest: plan.target.to_string(),
        rate: plan.rate,
        duration_s: plan.duration.as_secs_f64(),
        padding_bytes: plan.padding,
        connect: report::Connect {
            connected: connected.iter().sum(),
            failed,
            first_error,
            seconds: connect_seconds,
            per_second: per_second(connected.iter().sum(), connect_seconds),
            unconfirmed_subscriptions: unconfirmed,
        },
        publish: report::Publish {
            planned: plan.events(),
            published: published.count,
            seconds: publish_seconds,
            per_second: per_second(published.count, publish_seconds),
            max_lag_ms: ms(published.max_lag),
            error: published.error,
        },
        deliveries: report::Deliveries {
            tally,
            per_second: per_second(tally.delivered, window),
            complete: tally.delivered >= expected,
        },
        latency_ms: report::Latency::of(&latencies),
        nodes: NodeSplit::of(&plan.nodes, per_node, silence_ms),
        silences: silence_ms.map(|ms| received.silences().report(ms)),
        connections: report::Connections {
            broken: received.broken,
            first_broken_reason: received.first_broken,
            malformed_frames: received.malformed,
        },
        server: meter.server(
            [&start, &ready, &end],
            connected.iter().sum(),
            tally.delivered,
            window,
        ),
        generator: Meter::generator([&start, &ready, &end], window, plan.processes),
        churn: churned,
        warnings: Vec::new(),
    };
    report.warn();
    Ok(report)
}

/// Publishes probes to every channel whose connected clients have not all received one,
/// round after round, until all have or the ready timeout passes. Echo gets no answer to a
/// `subscribe`, so a delivered event is the only proof. Returns the clients left unproven.
async fn await_subscriptions(
    plan: &Plan,
    names: &[String],
    board: &Board,
    connected: &[u64],
    publisher: &mut Publisher,
) -> Result<u64, IngestError> {
    let deadline = Instant::now() + plan.ready_timeout;
    let unproven = |channel: usize| board.probed(channel) < connected[channel];
    loop {
        let silent: Vec<usize> = (0..plan.channels).filter(|&c| unproven(c)).collect();
        if silent.is_empty() || Instant::now() >= deadline {
            return Ok((0..plan.channels)
                .map(|c| connected[c] - board.probed(c).min(connected[c]))
                .sum());
        }
        for channel in silent {
            publisher
                .publish(&names[channel], stamp::PROBE, r#"{"socket":null}"#)
                .await?;
        }
        let round = (Instant::now() + PROBE_ROUND).min(deadline);
        while Instant::now() < round && (0..plan.channels).any(unproven) {
            tokio::time::sleep(POLL).await;
        }
    }
}

/// Waits for the visits to end by themselves, then stops those still going once the last
/// could have ended. A churn task that does not end in time reports only its plan.
async fn finish_churn(
    plan: &Plan,
    churn: Churn,
    mut task: JoinHandle<ChurnReport>,
    stop: watch::Sender<bool>,
    started: Instant,
) -> ChurnReport {
    let deadline = started + plan.duration + churn.longest_visit(plan.connect_timeout);
    let finished = match tokio::time::timeout_at(deadline, &mut task).await {
        Ok(finished) => Ok(finished),
        Err(_) => {
            let _ = stop.send(true);
            tokio::time::timeout(STOP_GRACE, task).await
        }
    };
    match finished {
        Ok(Ok(report)) => report,
        _ => ChurnReport::new(&churn, churn.visits(plan.duration)),
    }
}

struct Published {
    count: u64,
    finished: Instant,
    max_lag: Duration,
    error: Option<String>,
}

/// Publishes `plan.events()` ticks on an absolute schedule (event `n` is due at
/// `n / rate` seconds), round-robin over the channels, each stamped just before it is
/// handed over. A publisher that falls behind sends late events at once, and stops at
/// twice the planned duration.
async fn publish(plan: &Plan, names: &[String], publisher: &mut Publisher) -> Published {
    let start = Instant::now();
    let cutoff = start + 2 * plan.duration;
    let padding = stamp::padding(plan.padding);
    let mut published = Published {
        count: 0,
        finished: start,
        max_lag: Duration::ZERO,
        error: None,
    };
    for seq in 0..plan.events() {
        let due = start + Duration::from_secs_f64(seq as f64 / plan.rate);
        tokio::time::sleep_until(due).await;
        let now = Instant::now();
        if now >= cutoff {
            break;
        }
        published.max_lag = published.max_lag.max(now - due);
        let data = Stamp {
            seq,
            sent_ns: stamp::now_ns(),
        }
        .payload(&padding);
        let channel = &names[seq as usize % names.len()];
        if let Err(error) = publisher.publish(channel, stamp::TICK, &data).await {
            published.error = Some(error.to_string());
            break;
        }
        published.count += 1;
    }
    published.finished = Instant::now();
    published
}

fn per_second(count: u64, seconds: f64) -> f64 {
    if seconds > 0.0 {
        count as f64 / seconds
    } else {
        0.0
    }
}
