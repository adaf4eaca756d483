//! A minute of samples, one a second: the rates `sidecast status` shows and the points of the
//! dashboard's charts. Sixty-one small samples, overwritten in turn: bounded whatever runs.

use std::collections::VecDeque;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use serde::Serialize;
use sidecast_core::metrics::HistogramSnapshot;

use super::Counted;

/// Samples kept: a minute's worth of intervals.
const KEPT: usize = 61;

#[derive(Debug, Default)]
pub(super) struct History(Mutex<VecDeque<Sample>>);

#[derive(Debug, Clone)]
struct Sample {
    at: Duration,
    events_in: u64,
    deliveries: u64,
    dropped: u64,
    connections: usize,
    fan_out: HistogramSnapshot,
}

/// Figures per second over the last minute (or since start-up, if that is shorter).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct Rates {
    /// Seconds the rates are over; 0 until two samples exist.
    pub window_seconds: f64,
    pub events_in_per_second: f64,
    pub deliveries_per_second: f64,
    /// Messages not delivered in the window (not per second: any is worth a look).
    pub dropped: u64,
    /// Fan-out times in the window, as bucket bounds in seconds (`"+Inf"` above the last).
    #[serde(serialize_with = "bound")]
    pub fan_out_p50_seconds: Option<f64>,
    #[serde(serialize_with = "bound")]
    pub fan_out_p99_seconds: Option<f64>,
}

/// One second of the dashboard's charts.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Point {
    /// Seconds since start-up.
    pub at: f64,
    pub connections: usize,
    pub events_in_per_second: f64,
    pub deliveries_per_second: f64,
    pub dropped: u64,
    #[serde(serialize_with = "bound")]
    pub fan_out_p99_seconds: Option<f64>,
}

/// A bucket bound as JSON: a number, `"+Inf"` above the last one (JSON has no infinity), or
/// `null` without observations.
fn bound<S: serde::Serializer>(bound: &Option<f64>, out: S) -> Result<S::Ok, S::Error> {
    match bound {
        Some(seconds) if seconds.is_infinite() => out.serialize_str("+Inf"),
        Some(seconds) => out.serialize_f64(*seconds),
        None => out.serialize_none(),
    }
}

impl History {
    pub(super) fn push(&self, at: Duration, counted: &Counted) {
        let events = &counted.events_in;
        let sample = Sample {
            at,
            events_in: events.unix_socket + events.http_api + events.redis + events.client_events,
            deliveries: counted.delivery.deliveries,
            dropped: counted.delivery.dropped,
            connections: counted.occupancy.connections,
            fan_out: counted.fan_out,
        };
        let mut samples = self.lock();
        if samples.len() == KEPT {
            samples.pop_front();
        }
        samples.push_back(sample);
    }

    pub(super) fn rates(&self) -> Rates {
        let samples = self.lock();
        match (samples.front(), samples.back()) {
            (Some(first), Some(last)) if last.at > first.at => between(first, last),
            _ => Rates::default(),
        }
    }

    pub(super) fn points(&self) -> Vec<Point> {
        let samples = self.lock();
        samples
            .iter()
            .zip(samples.iter().skip(1))
            .map(|(before, after)| {
                let rates = between(before, after);
                Point {
                    at: after.at.as_secs_f64(),
                    connections: after.connections,
                    events_in_per_second: rates.events_in_per_second,
                    deliveries_per_second: rates.deliveries_per_second,
                    dropped: rates.dropped,
                    fan_out_p99_seconds: rates.fan_out_p99_seconds,
                }
            })
            .collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<Sample>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn between(first: &Sample, last: &Sample) -> Rates {
    let seconds = (last.at - first.at).as_secs_f64();
    let per_second = |from: u64, to: u64| to.saturating_sub(from) as f64 / seconds;
    let fan_out = last.fan_out.since(&first.fan_out);
    Rates {
        window_seconds: seconds,
        events_in_per_second: per_second(first.events_in, last.events_in),
        deliveries_per_second: per_second(first.deliveries, last.deliveries),
        dropped: last.dropped.saturating_sub(first.dropped),
        fan_out_p50_seconds: fan_out.quantile(0.5),
        fan_out_p99_seconds: fan_out.quantile(0.99),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counted(events: u64, deliveries: u64, dropped: u64) -> Counted {
        let mut counted = Counted::default();
        counted.events_in.unix_socket = events;
        counted.delivery.deliveries = deliveries;
        counted.delivery.dropped = dropped;
        counted
    }

    #[test]
    fn a_latency_above_every_bucket_is_written_as_inf() {
        let rates = Rates {
            fan_out_p50_seconds: Some(0.001),
            fan_out_p99_seconds: Some(f64::INFINITY),
            ..Rates::default()
        };
        let json = serde_json::to_value(rates).unwrap();
        assert_eq!(json["fan_out_p50_seconds"], 0.001);
        assert_eq!(json["fan_out_p99_seconds"], "+Inf");
        assert!(serde_json::to_value(Rates::default()).unwrap()["fan_out_p99_seconds"].is_null());
    }

    #[test]
    fn rates_cover_the_kept_window_and_forget_older_samples() {
        let history = History::default();
        assert_eq!(history.rates(), Rates::default());
        history.push(Duration::from_secs(0), &counted(1_000, 0, 5));
        for second in 1..=70 {
            history.push(
                Duration::from_secs(second),
                &counted(1_000 + 10 * second, 20 * second, 5),
            );
        }
        let rates = history.rates();
        assert_eq!(rates.window_seconds, 60.0);
        assert_eq!(rates.events_in_per_second, 10.0);
        assert_eq!(rates.deliveries_per_second, 20.0);
        assert_eq!(rates.dropped, 0);
        let points = history.points();
        assert_eq!(points.len(), 60);
        assert_eq!(points[59].at, 70.0);
        assert_eq!(points[59].events_in_per_second, 10.0);
    }
}
