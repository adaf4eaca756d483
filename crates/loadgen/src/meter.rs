//! The server and the generator sampled together at the run's phase boundaries — at the
//! start, once every client is subscribed ("ready"), and after the drain — and the
//! differences turned into the report's memory and CPU figures. A cluster's nodes are
//! sampled as one server: their memory and CPU time added up.

use std::sync::Mutex;
use std::time::Duration;

use thiserror::Error;

use crate::procfs::{Process, Sample};
use crate::report;

#[derive(Debug, Error)]
#[error("cannot read /proc for pid {pid}: {source}")]
pub struct ProcError {
    pid: u32,
    source: std::io::Error,
}

/// Samples the server, when its pids are known, and the generator: this process and its
/// worker processes (their CPU time only).
#[derive(Debug)]
pub struct Meter {
    server_pids: Vec<u32>,
    worker_pids: Vec<u32>,
    /// Each worker's CPU time when last read.
    worker_cpu: Mutex<Vec<Duration>>,
}

/// Both processes at one moment.
#[derive(Debug)]
pub struct Samples {
    server: Option<Sample>,
    generator: Sample,
}

impl Meter {
    pub fn new(server_pids: Vec<u32>, worker_pids: Vec<u32>) -> Self {
        let worker_cpu = Mutex::new(vec![Duration::ZERO; worker_pids.len()]);
        Meter {
            server_pids,
            worker_pids,
            worker_cpu,
        }
    }

    pub fn sample(&self) -> Result<Samples, ProcError> {
        let mut server: Option<Sample> = None;
        for &pid in &self.server_pids {
            let sample = Process::Pid(pid)
                .sample()
                .map_err(|source| ProcError { pid, source })?;
            server = Some(server.map_or(sample, |sum| Sample {
                rss_bytes: sum.rss_bytes + sample.rss_bytes,
                cpu: sum.cpu + sample.cpu,
            }));
        }
        let mut generator = Process::Myself.sample().map_err(|source| ProcError {
            pid: std::process::id(),
            source,
        })?;
        let mut last = self.worker_cpu.lock().expect("no panic while sampling");
        for (&pid, last) in self.worker_pids.iter().zip(last.iter_mut()) {
            // A worker that ended counts with the CPU time it had when last seen: its clients
            // are reported as lost, the run goes on.
            if let Ok(cpu) = Process::Pid(pid).cpu() {
                *last = cpu;
            }
            generator.cpu += *last;
        }
        Ok(Samples { server, generator })
    }

    /// The server's RSS in `samples`, when the server is sampled.
    pub fn server_rss(samples: &Samples) -> Option<u64> {
        samples.server.map(|server| server.rss_bytes)
    }

    /// The server's figures: memory added by `connections` clients, CPU time spent on
    /// them and, over the `window` seconds of publishing and draining, per delivery.
    pub fn server(
        &self,
        [start, ready, end]: [&Samples; 3],
        connections: u64,
        deliveries: u64,
        window: f64,
    ) -> Option<report::Server> {
        let (pid, start, ready, end) = (
            *self.server_pids.first()?,
            start.server?,
            ready.server?,
            end.server?,
        );
        let cpu_publish = (end.cpu - ready.cpu).as_secs_f64();
        Some(report::Server {
            pid,
            pids: self.server_pids.clone(),
            rss_start_bytes: start.rss_bytes,
            rss_ready_bytes: ready.rss_bytes,
            rss_end_bytes: end.rss_bytes,
            rss_per_connection_bytes: ratio(
                ready.rss_bytes as f64 - start.rss_bytes as f64,
                connections as f64,
            ),
            cpu_connect_s: (ready.cpu - start.cpu).as_secs_f64(),
            cpu_publish_s: cpu_publish,
            cpu_per_delivery_us: ratio(cpu_publish * 1e6, deliveries as f64),
            cores_publish: ratio(cpu_publish, window),
        })
    }

    /// The generator's own CPU time, all `processes` together, and how many cores it kept
    /// busy while publishing.
    pub fn generator(
        [start, ready, end]: [&Samples; 3],
        window: f64,
        processes: usize,
    ) -> report::Generator {
        let cpu_publish = (end.generator.cpu - ready.generator.cpu).as_secs_f64();
        report::Generator {
            processes,
            cpu_connect_s: (ready.generator.cpu - start.generator.cpu).as_secs_f64(),
            cpu_publish_s: cpu_publish,
            cores_publish: ratio(cpu_publish, window),
            available_cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
        }
    }
}

/// `amount / per`, or zero when there is nothing to divide by.
fn ratio(amount: f64, per: f64) -> f64 {
    if per > 0.0 { amount / per } else { 0.0 }
}
