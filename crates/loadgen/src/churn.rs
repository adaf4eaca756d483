//! The churn population of scenario D: while the run's stable clients receive events,
//! visitors connect at a fixed rate to the same channels, prove their subscription, stay a
//! short pseudo-random time and leave. The run counts what happened to every visit; the
//! stable clients' ledgers show whether the churn cost them any delivery.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde::Serialize;
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio::time::Instant;

use crate::client::{Connector, Visit, stopped};
use crate::ingest::Publisher;
use crate::stamp;

/// How often the visitors' channels are probed while some visitor waits for its proof.
const PROBE_ROUND: Duration = Duration::from_millis(100);

/// What the churn population does.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Churn {
    /// Visits started per second.
    pub rate: f64,
    /// Each visit stays, once subscribed, a time drawn uniformly from this range.
    pub stay_min: Duration,
    pub stay_max: Duration,
    /// For a visitor to receive its first event after connecting.
    pub subscribe_timeout: Duration,
}

impl Churn {
    /// Visits started over `duration`, one every `1 / rate` seconds.
    pub fn visits(&self, duration: Duration) -> u64 {
        (self.rate * duration.as_secs_f64()).round() as u64
    }

    /// The longest one visit takes: connecting, waiting for its proof, staying.
    pub fn longest_visit(&self, connect_timeout: Duration) -> Duration {
        connect_timeout + self.subscribe_timeout + self.stay_max
    }

    /// Visitors connected at once, at most, when every connection is prompt.
    pub fn peak_visitors(&self) -> u64 {
        (self.rate * (self.subscribe_timeout + self.stay_max).as_secs_f64()).ceil() as u64 + 1
    }

    /// Visit `number`'s stay, uniform in `stay_min ..= stay_max`. Drawn from the visit's
    /// number (SplitMix64), so a run's stays are the same every time.
    pub fn stay(&self, number: u64) -> Duration {
        let mut z = number.wrapping_add(1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        let fraction = (z >> 11) as f64 / (1u64 << 53) as f64;
        self.stay_min + (self.stay_max - self.stay_min).mul_f64(fraction)
    }
}

/// How one planned visit went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attempt {
    /// The run ended before the visitor connected.
    Abandoned,
    ConnectError(String),
    /// Connected `connected_after` the first visit's start, and visited.
    Visited {
        connected_after: Duration,
        visit: Visit,
    },
}

/// The churn figures of a report. Every visit started is counted exactly once in
/// `abandoned`, `connect_errors` or `connected`, and every connected one exactly once in
/// `left`, `failed_subscriptions`, `broken` or `cut_short`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ChurnReport {
    pub rate: f64,
    pub stay_min_s: f64,
    pub stay_max_s: f64,
    pub planned: u64,
    pub started: u64,
    pub abandoned: u64,
    pub connect_errors: u64,
    pub first_connect_error: Option<String>,
    pub connected: u64,
    /// Visitors that received an event of their channel.
    pub subscribed: u64,
    pub failed_subscriptions: u64,
    pub left: u64,
    pub broken: u64,
    pub first_broken_reason: Option<String>,
    pub cut_short: u64,
    /// From the first visit's start to the last visitor's connection.
    pub seconds: f64,
    pub connects_per_second: f64,
    /// The server's RSS once every visitor left minus before the first came.
    pub server_rss_growth_bytes: Option<i64>,
}

impl ChurnReport {
    pub fn new(churn: &Churn, planned: u64) -> Self {
        ChurnReport {
            rate: churn.rate,
            stay_min_s: churn.stay_min.as_secs_f64(),
            stay_max_s: churn.stay_max.as_secs_f64(),
            planned,
            ..ChurnReport::default()
        }
    }

    /// Books one visit.
    pub fn add(&mut self, attempt: Attempt) {
        self.started += 1;
        let visit = match attempt {
            Attempt::Abandoned => {
                self.abandoned += 1;
                return;
            }
            Attempt::ConnectError(error) => {
                self.connect_errors += 1;
                self.first_connect_error.get_or_insert(error);
                return;
            }
            Attempt::Visited {
                connected_after,
                visit,
            } => {
                self.seconds = self.seconds.max(connected_after.as_secs_f64());
                visit
            }
        };
        self.connected += 1;
        self.connects_per_second = self.connected as f64 / self.seconds.max(f64::EPSILON);
        let subscribed = match visit {
            Visit::Left => {
                self.left += 1;
                true
            }
            Visit::FailedSubscription => {
                self.failed_subscriptions += 1;
                false
            }
            Visit::Broken { subscribed, reason } => {
                self.broken += 1;
                self.first_broken_reason.get_or_insert(reason);
                subscribed
            }
            Visit::CutShort { subscribed } => {
                self.cut_short += 1;
                subscribed
            }
        };
        self.subscribed += u64::from(subscribed);
    }

    /// Whether every planned visit connected, subscribed, stayed and left.
    pub fn clean(&self) -> bool {
        self.left == self.planned
    }

    /// What went wrong with the visits, one line each.
    pub fn warnings(&self) -> Vec<String> {
        let mut warnings = Vec::new();
        if self.started < self.planned {
            warnings.push(format!(
                "only {} of {} visits started before the run ended them",
                self.started, self.planned
            ));
        }
        if self.connect_errors > 0 {
            warnings.push(format!(
                "{} visitors could not connect (first: {})",
                self.connect_errors,
                self.first_connect_error.as_deref().unwrap_or("?")
            ));
        }
        if self.failed_subscriptions > 0 {
            warnings.push(format!(
                "{} visitors never received an event of their channel",
                self.failed_subscriptions
            ));
        }
        if self.broken > 0 {
            warnings.push(format!(
                "{} visits ended by the server (first: {})",
                self.broken,
                self.first_broken_reason.as_deref().unwrap_or("?")
            ));
        }
        if self.abandoned + self.cut_short > 0 {
            warnings.push(format!(
                "{} visits were still connecting and {} still connected when the run stopped them",
                self.abandoned, self.cut_short
            ));
        }
        warnings
    }
}

impl fmt::Display for ChurnReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let growth = self.server_rss_growth_bytes.map_or(String::new(), |bytes| {
            format!(
                "; server RSS {:+.1} MiB after they left",
                bytes as f64 / 1048576.0
            )
        });
        writeln!(
            f,
            "churn      {}/{} visits at {}/s (stays {}–{}s): {} connected ({:.1}/s), {} connect errors, {} subscribed, {} failed subscriptions, {} left, {} broken, {} cut short{growth}",
            self.started,
            self.planned,
            self.rate,
            self.stay_min_s,
            self.stay_max_s,
            self.connected,
            self.connects_per_second,
            self.connect_errors,
            self.subscribed,
            self.failed_subscriptions,
            self.left,
            self.broken,
            self.abandoned + self.cut_short
        )
    }
}

/// Where and how visitors connect: visit `n` to node `n mod nodes`, as the run's clients.
#[derive(Debug, Clone)]
pub struct Visitors {
    /// One per node.
    pub connectors: Vec<Connector>,
    pub channels: Vec<String>,
    pub connect_timeout: Duration,
}

/// Starts `churn.visits(duration)` visits on schedule, visit `n` on channel `n mod
/// channels`, and probes the channels of visitors waiting for their proof through
/// `publisher` (the stable clients ignore probes after their first). Returns once every
/// visit ended; `stop` ends the launching and every visit in progress.
pub async fn churn(
    visitors: Visitors,
    churn: Churn,
    duration: Duration,
    mut publisher: Publisher,
    mut stop: watch::Receiver<bool>,
) -> ChurnReport {
    let planned = churn.visits(duration);
    let mut report = ChurnReport::new(&churn, planned);
    let visitors = Arc::new(visitors);
    let waiting: Arc<Vec<AtomicU64>> = Arc::new(
        visitors
            .channels
            .iter()
            .map(|_| AtomicU64::new(0))
            .collect(),
    );
    // The visits' own receiver: the loop below keeps `stop` borrowed while it waits.
    let visits_stop = stop.clone();
    let mut visits = JoinSet::new();
    let start = Instant::now();
    let mut launched = 0;
    let mut stopping = false;
    let mut probing = true;
    let mut probe = tokio::time::interval(PROBE_ROUND);
    // A slow ingest path delays the next round rather than bunching them.
    probe.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let launching = !stopping && launched < planned;
        if !launching && visits.is_empty() {
            break;
        }
        let due = start + Duration::from_secs_f64(launched as f64 / churn.rate);
        tokio::select! {
            () = tokio::time::sleep_until(due), if launching => {
                let (visitors, waiting, stop) = (visitors.clone(), waiting.clone(), visits_stop.clone());
                visits.spawn(visit(visitors, churn, launched, start, waiting, stop));
                launched += 1;
            }
            Some(done) = visits.join_next() => {
                report.add(done.unwrap_or_else(|panic| {
                    Attempt::ConnectError(format!("its task failed: {panic}"))
                }));
            }
            _ = probe.tick(), if probing => {
                for (channel, name) in visitors.channels.iter().enumerate() {
                    if waiting[channel].load(Ordering::Acquire) > 0
                        && publisher.publish(name, stamp::PROBE, r#"{"socket":null}"#).await.is_err()
                    {
                        // Visitors left without proof count as failed subscriptions.
                        probing = false;
                        break;
                    }
                }
            }
            () = stopped(&mut stop), if !stopping => stopping = true,
        }
    }
    report
}

/// One visit: connect, subscribe, wait for the proof (counted in `waiting` meanwhile),
/// stay, leave.
async fn visit(
    visitors: Arc<Visitors>,
    churn: Churn,
    number: u64,
    start: Instant,
    waiting: Arc<Vec<AtomicU64>>,
    mut stop: watch::Receiver<bool>,
) -> Attempt {
    let channel = number as usize % visitors.channels.len();
    let connector = &visitors.connectors[number as usize % visitors.connectors.len()];
    let connecting = tokio::time::timeout(
        visitors.connect_timeout,
        connector.connect(&visitors.channels[channel]),
    );
    let client = tokio::select! {
        connected = connecting => match connected {
            Ok(Ok(client)) => client,
            Ok(Err(error)) => return Attempt::ConnectError(error.to_string()),
            Err(_) => return Attempt::ConnectError("not connected within the connect timeout".into()),
        },
        () = stopped(&mut stop) => return Attempt::Abandoned,
    };
    let connected_after = start.elapsed();
    let counter = &waiting[channel];
    counter.fetch_add(1, Ordering::AcqRel);
    let mut proven = false;
    let visit = client
        .visit(
            churn.subscribe_timeout,
            churn.stay(number),
            || {
                proven = true;
                counter.fetch_sub(1, Ordering::AcqRel);
            },
            &mut stop,
        )
        .await;
    if !proven {
        counter.fetch_sub(1, Ordering::AcqRel);
    }
    Attempt::Visited {
        connected_after,
        visit,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn churn() -> Churn {
        Churn {
            rate: 20.0,
            stay_min: Duration::from_millis(100),
            stay_max: Duration::from_millis(300),
            subscribe_timeout: Duration::from_secs(2),
        }
    }

    fn visited(visit: Visit) -> Attempt {
        Attempt::Visited {
            connected_after: Duration::from_millis(100),
            visit,
        }
    }

    #[test]
    fn visits_follow_the_rate_and_stays_the_range() {
        let churn = churn();
        assert_eq!(churn.visits(Duration::from_millis(2500)), 50);
        assert_eq!(churn.peak_visitors(), 47);
        assert_eq!(
            churn.longest_visit(Duration::from_secs(1)),
            Duration::from_millis(3300)
        );
        let stays: Vec<Duration> = (0..1000).map(|n| churn.stay(n)).collect();
        assert!(
            stays
                .iter()
                .all(|s| churn.stay_min <= *s && *s <= churn.stay_max)
        );
        // Spread over the range, and the same for the same visit.
        assert!(stays.iter().any(|s| *s < Duration::from_millis(120)));
        assert!(stays.iter().any(|s| *s > Duration::from_millis(280)));
        assert_eq!(churn.stay(7), stays[7]);
        let fixed = Churn {
            stay_max: churn.stay_min,
            ..churn
        };
        assert_eq!(fixed.stay(3), fixed.stay_min);
    }

    #[test]
    fn every_visit_is_counted_once() {
        let mut report = ChurnReport::new(&churn(), 7);
        for attempt in [
            visited(Visit::Left),
            visited(Visit::Left),
            Attempt::Abandoned,
            Attempt::ConnectError("refused".into()),
            Attempt::ConnectError("later".into()),
            visited(Visit::FailedSubscription),
            visited(Visit::Broken {
                subscribed: true,
                reason: "closed".into(),
            }),
            visited(Visit::CutShort { subscribed: false }),
        ] {
            report.add(attempt);
        }
        assert_eq!(
            (
                report.started,
                report.abandoned,
                report.connect_errors,
                report.connected
            ),
            (8, 1, 2, 5)
        );
        assert_eq!(
            (
                report.left,
                report.failed_subscriptions,
                report.broken,
                report.cut_short,
                report.subscribed
            ),
            (2, 1, 1, 1, 3)
        );
        assert_eq!(report.first_connect_error.as_deref(), Some("refused"));
        assert_eq!(report.first_broken_reason.as_deref(), Some("closed"));
        assert!(!report.clean());
        assert_eq!((report.seconds, report.connects_per_second), (0.1, 50.0));
    }

    #[test]
    fn a_churn_is_clean_when_every_planned_visit_left() {
        let mut report = ChurnReport::new(&churn(), 2);
        report.add(visited(Visit::Left));
        assert!(!report.clean());
        assert_eq!(
            report.warnings(),
            ["only 1 of 2 visits started before the run ended them"]
        );
        report.add(visited(Visit::Left));
        assert!(report.clean());
        assert!(report.warnings().is_empty());
        report.server_rss_growth_bytes = Some(1 << 20);
        let line = report.to_string();
        assert!(line.contains("2/2 visits at 20/s"), "{line}");
        assert!(
            line.contains("2 left, 0 broken, 0 cut short; server RSS +1.0 MiB"),
            "{line}"
        );
    }

    #[test]
    fn failed_visits_are_warned_about() {
        let mut report = ChurnReport::new(&churn(), 3);
        report.add(Attempt::ConnectError("refused".into()));
        report.add(visited(Visit::FailedSubscription));
        report.add(visited(Visit::Broken {
            subscribed: true,
            reason: "closed by the server".into(),
        }));
        assert_eq!(
            report.warnings(),
            [
                "1 visitors could not connect (first: refused)",
                "1 visitors never received an event of their channel",
                "1 visits ended by the server (first: closed by the server)",
            ]
        );
    }
}
