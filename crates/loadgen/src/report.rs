//! What a run measured, as one JSON object (`--json`) or a human summary, and the warnings
//! that tell whether the figures describe the server or something else.

use std::fmt;

use serde::Serialize;

use crate::churn::ChurnReport;
use crate::histogram::Histogram;
use crate::silence::SilenceReport;
use crate::tally::Tally;

mod nodes;

pub use nodes::{NodeSplit, PerNode};

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The server's URL; a cluster run's URLs, comma-separated.
    pub server_url: String,
    /// `EIO=3`, `EIO=4` or `Pusher 7`.
    pub protocol: String,
    /// `websocket` or `polling-upgrade`.
    pub transport: &'static str,
    pub clients: usize,
    pub channels: usize,
    pub ingest: String,
    pub rate: f64,
    pub duration_s: f64,
    pub padding_bytes: usize,
    pub connect: Connect,
    pub publish: Publish,
    pub deliveries: Deliveries,
    pub latency_ms: Latency,
    /// In a run on several nodes: the deliveries of the ingest node's clients and of the
    /// others', apart.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nodes: Option<NodeSplit>,
    /// With `--silence-ms`: the clients that went that long without an event.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub silences: Option<SilenceReport>,
    pub connections: Connections,
    /// Present when `--server-pid` was given.
    pub server: Option<Server>,
    pub generator: Generator,
    /// Present in a churn run (scenario D).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub churn: Option<ChurnReport>,
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Connect {
    pub connected: u64,
    pub failed: u64,
    pub first_error: Option<String>,
    /// From the first attempt to the last established connection.
    pub seconds: f64,
    pub per_second: f64,
    /// Connected clients that never received a readiness probe.
    pub unconfirmed_subscriptions: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Publish {
    pub planned: u64,
    pub published: u64,
    pub seconds: f64,
    pub per_second: f64,
    /// How late the publisher was, at worst, against its schedule.
    pub max_lag_ms: f64,
    pub error: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Deliveries {
    #[serde(flatten)]
    pub tally: Tally,
    /// First copies per second, from the first publish until the last expected delivery
    /// (or the end of the drain timeout).
    pub per_second: f64,
    /// Every expected delivery arrived before the drain timeout.
    pub complete: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Latency {
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub max: f64,
    pub samples: u64,
}

impl Latency {
    /// The percentiles of `histogram`, in milliseconds.
    pub fn of(histogram: &Histogram) -> Self {
        let ms = |d: std::time::Duration| d.as_secs_f64() * 1000.0;
        Latency {
            p50: ms(histogram.percentile(50.0)),
            p90: ms(histogram.percentile(90.0)),
            p99: ms(histogram.percentile(99.0)),
            max: ms(histogram.max()),
            samples: histogram.count(),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Connections {
    /// Connections that ended before the run stopped them.
    pub broken: u64,
    pub first_broken_reason: Option<String>,
    pub malformed_frames: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Server {
    pub pid: u32,
    /// Every process sampled, when the server is several (a cluster's nodes): `pid` is the
    /// first, and every figure is their sum.
    #[serde(skip_serializing_if = "is_one")]
    pub pids: Vec<u32>,
    pub rss_start_bytes: u64,
    /// With every client connected and subscribed.
    pub rss_ready_bytes: u64,
    pub rss_end_bytes: u64,
    pub rss_per_connection_bytes: f64,
    pub cpu_connect_s: f64,
    /// From the first publish to the end of the drain.
    pub cpu_publish_s: f64,
    pub cpu_per_delivery_us: f64,
    pub cores_publish: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Generator {
    /// Processes the clients were spread over (`--processes`).
    pub processes: usize,
    pub cpu_connect_s: f64,
    pub cpu_publish_s: f64,
    pub cores_publish: f64,
    pub available_cores: usize,
}

impl Report {
    pub fn to_json(&self) -> String {
        rounded_json(self)
    }
}

/// One JSON object, every figure rounded to three decimals (microseconds for the
/// millisecond latencies) so the noise of float arithmetic does not pose as precision.
pub fn rounded_json(value: &impl Serialize) -> String {
    let mut value = serde_json::to_value(value).expect("reports are plain data");
    round_floats(&mut value);
    value.to_string()
}

fn round_floats(value: &mut serde_json::Value) {
    use serde_json::Value;
    match value {
        Value::Number(number) if number.is_f64() => {
            let rounded = (number.as_f64().unwrap_or_default() * 1000.0).round() / 1000.0;
            if let Some(rounded) = serde_json::Number::from_f64(rounded) {
                *number = rounded;
            }
        }
        Value::Array(items) => items.iter_mut().for_each(round_floats),
        Value::Object(fields) => fields.values_mut().for_each(round_floats),
        _ => {}
    }
}

/// Share of the cores above which a process counts as saturated.
const SATURATED: f64 = 0.9;

impl Report {
    /// Fills `warnings` from the figures.
    pub fn warn(&mut self) {
        let mut warnings = Vec::new();
        let connect = &self.connect;
        if connect.failed > 0 {
            warnings.push(format!(
                "{} of {} clients could not connect (first: {})",
                connect.failed,
                self.clients,
                connect.first_error.as_deref().unwrap_or("?")
            ));
        }
        if connect.unconfirmed_subscriptions > 0 {
            warnings.push(format!(
                "{} connected clients never showed they were subscribed (no probe arrived)",
                connect.unconfirmed_subscriptions
            ));
        }
        if let Some(error) = &self.publish.error {
            warnings.push(format!("publishing stopped: {error}"));
        }
        if self.publish.published < self.publish.planned
            || self.publish.per_second < 0.95 * self.rate
        {
            warnings.push(format!(
                "the publisher fell behind: {} of {} events at {:.1}/s for {:.1}/s planned; the ingest path or the generator limits the rate",
                self.publish.published, self.publish.planned, self.publish.per_second, self.rate
            ));
        }
        let tally = &self.deliveries.tally;
        if tally.lost + tally.duplicates + tally.foreign > 0 {
            warnings.push(format!(
                "deliveries not exact: {} lost, {} duplicated, {} foreign",
                tally.lost, tally.duplicates, tally.foreign
            ));
        }
        if self.connections.broken > 0 {
            warnings.push(format!(
                "{} connections ended early (first: {})",
                self.connections.broken,
                self.connections
                    .first_broken_reason
                    .as_deref()
                    .unwrap_or("?")
            ));
        }
        if let Some(churn) = &self.churn {
            warnings.extend(churn.warnings());
        }
        if let Some(bottleneck) = self.generator_bottleneck() {
            warnings.push(bottleneck);
        }
        self.warnings = warnings;
    }

    /// Whether the generator's CPU, rather than the server, may have limited the run.
    fn generator_bottleneck(&self) -> Option<String> {
        let cores = self.generator.available_cores as f64;
        let generator = self.generator.cores_publish;
        let server = self.server.as_ref().map_or(0.0, |s| s.cores_publish);
        let saturated_alone = generator >= SATURATED * cores;
        let saturated_together = generator + server >= SATURATED * cores && generator > server;
        (saturated_alone || saturated_together).then(|| {
            format!(
                "the generator used {generator:.2} of {cores} cores while publishing (server {server:.2}): the generator, not the server, may be the bottleneck; read the server's CPU per delivery, not its throughput"
            )
        })
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = &self.connect;
        let p = &self.publish;
        let d = &self.deliveries;
        let l = &self.latency_ms;
        writeln!(
            f,
            "{} ({}, {}) · {} clients on {} channels · {} · {}/s for {}s",
            self.server_url,
            self.protocol,
            self.transport,
            self.clients,
            self.channels,
            self.ingest,
            self.rate,
            self.duration_s
        )?;
        writeln!(
            f,
            "connect    {} connected, {} failed in {:.2}s ({:.0}/s); {} subscriptions unconfirmed",
            c.connected, c.failed, c.seconds, c.per_second, c.unconfirmed_subscriptions
        )?;
        writeln!(
            f,
            "publish    {}/{} events in {:.2}s ({:.1}/s), worst lag {:.1} ms",
            p.published, p.planned, p.seconds, p.per_second, p.max_lag_ms
        )?;
        writeln!(
            f,
            "deliveries {}/{} ({:.0}/s), lost {}, duplicates {}, foreign {}{}",
            d.tally.delivered,
            d.tally.expected,
            d.per_second,
            d.tally.lost,
            d.tally.duplicates,
            d.tally.foreign,
            if d.complete { "" } else { " (drain timed out)" }
        )?;
        writeln!(
            f,
            "latency    p50 {:.3} ms, p90 {:.3} ms, p99 {:.3} ms, max {:.3} ms ({} samples)",
            l.p50, l.p90, l.p99, l.max, l.samples
        )?;
        if let Some(split) = &self.nodes {
            write!(f, "{split}")?;
        }
        if let Some(silences) = &self.silences {
            f.write_str(&nodes::silence_line(silences, self.nodes.as_ref()))?;
        }
        if let Some(s) = &self.server {
            let pids: Vec<String> = s.pids.iter().map(u32::to_string).collect();
            writeln!(
                f,
                "server     pid{} {}: RSS {:.1} → {:.1} → {:.1} MiB ({:.1} KiB per connection); CPU {:.3}s connecting, {:.3}s publishing = {:.2} µs per delivery ({:.2} cores)",
                if pids.len() > 1 { "s" } else { "" },
                pids.join(","),
                mib(s.rss_start_bytes),
                mib(s.rss_ready_bytes),
                mib(s.rss_end_bytes),
                s.rss_per_connection_bytes / 1024.0,
                s.cpu_connect_s,
                s.cpu_publish_s,
                s.cpu_per_delivery_us,
                s.cores_publish
            )?;
        }
        if let Some(churn) = &self.churn {
            write!(f, "{churn}")?;
        }
        let g = &self.generator;
        writeln!(
            f,
            "generator  {} process{}: CPU {:.3}s connecting, {:.3}s publishing ({:.2} of {} cores)",
            g.processes,
            if g.processes == 1 { "" } else { "es" },
            g.cpu_connect_s,
            g.cpu_publish_s,
            g.cores_publish,
            g.available_cores
        )?;
        for warning in &self.warnings {
            writeln!(f, "warning: {warning}")?;
        }
        Ok(())
    }
}

fn is_one(pids: &[u32]) -> bool {
    pids.len() <= 1
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

#[cfg(test)]
pub(crate) mod tests;
