//! The census as Prometheus text (format 0.0.4), through `prometheus-client`'s encoder:
//! counters end in `_total`, times are in seconds, and labels take a handful of fixed values
//! each — never a channel, user or socket id. `families` says which metrics there are; this
//! file writes them.

mod families;

use prometheus_client::encoding::{DescriptorEncoder, NoLabelSet};
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::Registry;
use sidecast_core::metrics::{BUCKET_BOUNDS_SECONDS, HistogramSnapshot};

use super::Vitals;

/// The content type of [`render`]'s text.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Every metric of `vitals`, as Prometheus scrapes them.
pub fn render(vitals: Vitals) -> String {
    let mut registry = Registry::default();
    registry.register_collector(Box::new(Census(vitals)));
    let mut text = String::new();
    prometheus_client::encoding::prometheus_text::encode(&mut text, &registry)
        .expect("writing to a String cannot fail");
    text
}

#[derive(Debug)]
struct Census(Vitals);

impl prometheus_client::collector::Collector for Census {
    fn encode(&self, mut encoder: DescriptorEncoder) -> std::fmt::Result {
        let mut out = Out(&mut encoder);
        families::clients(&mut out, &self.0)?;
        families::events(&mut out, &self.0)?;
        families::authorization(&mut out, &self.0)?;
        families::unix_socket(&mut out, &self.0)?;
        families::redis(&mut out, &self.0)?;
        families::cluster(&mut out, &self.0)?;
        families::webhooks(&mut out, &self.0)?;
        families::listener(&mut out, &self.0)?;
        families::process(&mut out, &self.0)
    }
}

/// Label pairs of one sample.
type Labels<'a> = &'a [(&'static str, &'static str)];

/// Writes metric families: a name, its help, and a value for each set of labels.
struct Out<'e, 'a>(&'e mut DescriptorEncoder<'a>);

impl Out<'_, '_> {
    fn counter(&mut self, name: &str, help: &str, samples: &[(Labels, u64)]) -> std::fmt::Result {
        let mut metric = self
            .0
            .encode_descriptor(name, help, None, MetricType::Counter)?;
        for (labels, value) in samples {
            metric
                .encode_family(labels)?
                .encode_counter::<NoLabelSet, _, f64>(value, None)?;
        }
        Ok(())
    }

    fn gauge(&mut self, name: &str, help: &str, samples: &[(Labels, u64)]) -> std::fmt::Result {
        let mut metric = self
            .0
            .encode_descriptor(name, help, None, MetricType::Gauge)?;
        for (labels, value) in samples {
            metric.encode_family(labels)?.encode_gauge(value)?;
        }
        Ok(())
    }

    /// One unlabelled sample of a counter or gauge that is not a whole number.
    fn fractional(
        &mut self,
        name: &str,
        help: &str,
        kind: MetricType,
        value: f64,
    ) -> std::fmt::Result {
        let mut metric = self.0.encode_descriptor(name, help, None, kind)?;
        match kind {
            MetricType::Counter => metric.encode_counter::<NoLabelSet, _, f64>(&value, None),
            _ => metric.encode_gauge(&value),
        }
    }

    fn histogram(
        &mut self,
        name: &str,
        help: &str,
        figures: &HistogramSnapshot,
    ) -> std::fmt::Result {
        // Per bucket: the encoder adds them up itself, and writes +Inf as the count.
        let buckets: Vec<(f64, u64)> = BUCKET_BOUNDS_SECONDS
            .iter()
            .copied()
            .zip(figures.per_bucket)
            .collect();
        self.0
            .encode_descriptor(name, help, None, MetricType::Histogram)?
            .encode_histogram::<NoLabelSet>(figures.sum_seconds, figures.count, &buckets, None)
    }
}
