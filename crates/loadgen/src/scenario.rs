//! The fan-out preset (scenario A): one channel, the publish rate raised step by step, and
//! the highest rate the server sustained — every delivery exactly once, p99 latency within
//! the limit — before the first step it did not.

use std::fmt;

use serde::Serialize;

use crate::report::{self, Report};

#[derive(Debug, Clone, Serialize)]
pub struct Fanout {
    pub scenario: &'static str,
    pub clients: usize,
    pub p99_limit_ms: f64,
    /// Every step run, the last one the first that was not sustained (if any).
    pub steps: Vec<Report>,
    pub sustained: Option<Sustained>,
}

/// The last sustained step.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Sustained {
    pub rate: f64,
    pub deliveries_per_second: f64,
    pub p99_ms: f64,
    pub server_cpu_per_delivery_us: Option<f64>,
}

impl Fanout {
    pub fn new(clients: usize, p99_limit_ms: f64) -> Self {
        Fanout {
            scenario: "fanout",
            clients,
            p99_limit_ms,
            steps: Vec::new(),
            sustained: None,
        }
    }

    /// Adds a step's report; false when the step was not sustained, after which the preset
    /// stops raising the rate.
    pub fn push(&mut self, step: Report) -> bool {
        let sustained = verdict(&step, self.p99_limit_ms).is_ok();
        if sustained {
            self.sustained = Some(Sustained {
                rate: step.rate,
                deliveries_per_second: step.deliveries.per_second,
                p99_ms: step.latency_ms.p99,
                server_cpu_per_delivery_us: step.server.as_ref().map(|s| s.cpu_per_delivery_us),
            });
        }
        self.steps.push(step);
        sustained
    }

    pub fn to_json(&self) -> String {
        report::rounded_json(self)
    }
}

/// Whether the server sustained a step, or why not.
pub fn verdict(step: &Report, p99_limit_ms: f64) -> Result<(), String> {
    let tally = &step.deliveries.tally;
    if step.connect.failed > 0 || step.connect.unconfirmed_subscriptions > 0 {
        return Err(format!(
            "{} clients failed to connect, {} unconfirmed",
            step.connect.failed, step.connect.unconfirmed_subscriptions
        ));
    }
    if step.publish.published < step.publish.planned {
        return Err(format!(
            "only {} of {} events published",
            step.publish.published, step.publish.planned
        ));
    }
    if !tally.exact() {
        return Err(format!(
            "{} lost, {} duplicated, {} foreign",
            tally.lost, tally.duplicates, tally.foreign
        ));
    }
    if step.latency_ms.p99 > p99_limit_ms {
        return Err(format!(
            "p99 {:.1} ms above {p99_limit_ms} ms",
            step.latency_ms.p99
        ));
    }
    Ok(())
}

impl fmt::Display for Fanout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(first) = self.steps.first() {
            writeln!(
                f,
                "fan-out: {} ({}, {}) · {} clients on one channel · {} · {}s per step",
                first.server_url,
                first.protocol,
                first.transport,
                self.clients,
                first.ingest,
                first.duration_s
            )?;
        }
        for step in &self.steps {
            let server = step.server.as_ref().map_or(String::new(), |s| {
                format!(", server {:.2} µs/delivery", s.cpu_per_delivery_us)
            });
            let verdict = match verdict(step, self.p99_limit_ms) {
                Ok(()) => "sustained".to_owned(),
                Err(why) => format!("not sustained: {why}"),
            };
            writeln!(
                f,
                "{:>8.1}/s  {:>9.0} deliveries/s  p50 {:.3} ms  p99 {:.3} ms{server}, generator {:.2} cores  {verdict}",
                step.rate,
                step.deliveries.per_second,
                step.latency_ms.p50,
                step.latency_ms.p99,
                step.generator.cores_publish
            )?;
            for warning in &step.warnings {
                writeln!(f, "          warning: {warning}")?;
            }
        }
        match &self.sustained {
            Some(best) => writeln!(
                f,
                "sustained up to {}/s ({:.0} deliveries/s) with p99 ≤ {} ms",
                best.rate, best.deliveries_per_second, self.p99_limit_ms
            ),
            None => writeln!(f, "no rate sustained with p99 ≤ {} ms", self.p99_limit_ms),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::tests::clean;

    fn step(rate: f64, p99: f64, lost: u64) -> Report {
        let mut step = clean();
        step.rate = rate;
        step.latency_ms.p99 = p99;
        step.deliveries.tally.lost = lost;
        step.deliveries.tally.delivered -= lost;
        step
    }

    #[test]
    fn the_last_step_within_the_limits_is_the_sustained_one() {
        let mut fanout = Fanout::new(10, 50.0);
        assert!(fanout.push(step(10.0, 5.0, 0)));
        assert!(fanout.push(step(20.0, 50.0, 0)));
        assert!(!fanout.push(step(50.0, 50.1, 0)));
        let best = fanout.sustained.unwrap();
        assert_eq!((best.rate, best.p99_ms), (20.0, 50.0));
        assert_eq!(best.server_cpu_per_delivery_us, Some(20.0));
        let text = fanout.to_string();
        assert!(
            text.contains("not sustained: p99 50.1 ms above 50 ms"),
            "{text}"
        );
        assert!(text.contains("sustained up to 20/s"), "{text}");
    }

    #[test]
    fn a_loss_fails_a_step_whatever_its_latency() {
        let mut fanout = Fanout::new(10, 50.0);
        assert!(!fanout.push(step(10.0, 1.0, 3)));
        assert!(fanout.sustained.is_none());
        assert_eq!(
            verdict(&fanout.steps[0], 50.0),
            Err("3 lost, 0 duplicated, 0 foreign".into())
        );
        assert!(fanout.to_string().contains("no rate sustained"));
    }

    #[test]
    fn connect_failures_and_a_short_publish_fail_a_step() {
        let mut failed = clean();
        failed.connect.failed = 1;
        assert!(
            verdict(&failed, 50.0)
                .unwrap_err()
                .contains("1 clients failed")
        );
        let mut short = clean();
        short.publish.published = 99;
        assert_eq!(
            verdict(&short, 50.0),
            Err("only 99 of 100 events published".into())
        );
    }

    #[test]
    fn the_json_holds_every_step() {
        let mut fanout = Fanout::new(10, 50.0);
        fanout.push(step(10.0, 5.0, 0));
        let json: serde_json::Value = serde_json::from_str(&fanout.to_json()).unwrap();
        assert_eq!(json["scenario"], "fanout");
        assert_eq!(json["steps"].as_array().unwrap().len(), 1);
        assert_eq!(json["sustained"]["rate"], 10.0);
    }
}
