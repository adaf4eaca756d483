//! The machine's floor for fan-out: what it costs to write one small WebSocket frame to each
//! of N loopback TCP connections, with no server in between — the least any server pays when
//! it writes each delivery with its own `write`. On loopback the writer's CPU time also
//! carries the receiving side's TCP work (the kernel processes the packet in the sender's
//! context), just as a server's does in the benchmark.
//!
//! One thread writes the same frame to every connection, event after event on the run's
//! schedule, and reads its own CPU clock (`CLOCK_THREAD_CPUTIME_ID`) around the writing; the
//! receiving ends are read by async tasks, as the generator's clients are.

use std::fmt;
use std::io::{self, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use nix::time::{ClockId, clock_gettime};
use serde::Serialize;
use tokio::io::AsyncReadExt;

use crate::histogram::Histogram;

/// How long the readers get, after the last write, to receive everything.
const READ_GRACE: Duration = Duration::from_secs(10);

/// What to measure.
#[derive(Debug, Clone, Copy)]
pub struct Floor {
    pub connections: usize,
    /// Events per second; each event is one frame to every connection.
    pub rate: f64,
    pub duration: Duration,
    /// The WebSocket frame's size, header included.
    pub frame_bytes: usize,
}

impl Floor {
    pub fn events(&self) -> u64 {
        (self.rate * self.duration.as_secs_f64()).round() as u64
    }

    /// The latest a measurement ends: connecting, twice the schedule, and the readers' grace.
    pub fn hard_deadline(&self) -> Duration {
        Duration::from_secs(30) + 2 * self.duration + READ_GRACE
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct FloorReport {
    pub connections: usize,
    pub rate: f64,
    pub events: u64,
    pub writes: u64,
    pub frame_bytes: usize,
    /// Bytes the readers received: every write's, or the run says so.
    pub bytes_received: u64,
    pub writer_cpu_s: f64,
    /// The writing thread's CPU time per frame written.
    pub cpu_per_write_us: f64,
    /// Wall time to write one event to every connection.
    pub fan_out_ms_p50: f64,
    pub fan_out_ms_p99: f64,
}

impl fmt::Display for FloorReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "floor      {} loopback connections, {} events at {}/s: {} writes of {} bytes, {} of {} bytes received",
            self.connections,
            self.events,
            self.rate,
            self.writes,
            self.frame_bytes,
            self.bytes_received,
            self.writes * self.frame_bytes as u64
        )?;
        writeln!(
            f,
            "writer     CPU {:.3}s = {:.2} µs per write; one event to every connection took p50 {:.3} ms, p99 {:.3} ms",
            self.writer_cpu_s, self.cpu_per_write_us, self.fan_out_ms_p50, self.fan_out_ms_p99
        )
    }
}

/// A server-to-client (unmasked) WebSocket text frame of `total` bytes, header included.
pub fn frame(total: usize) -> Result<Vec<u8>, String> {
    let (header, payload) = match total {
        0..=2 => {
            return Err(format!(
                "a frame of {total} bytes has no room for a payload"
            ));
        }
        3..=127 => (vec![0x81, (total - 2) as u8], total - 2),
        128..=65_539 => {
            let payload = total - 4;
            if payload < 126 {
                return Err(format!(
                    "{total} bytes: payloads of 126 to 129 bytes need a 4-byte header and cannot make exactly that size"
                ));
            }
            let [high, low] = (payload as u16).to_be_bytes();
            (vec![0x81, 126, high, low], payload)
        }
        _ => return Err(format!("{total} bytes: at most 65,539 are supported")),
    };
    let mut frame = header;
    frame.extend(std::iter::repeat_n(b'x', payload));
    Ok(frame)
}

pub async fn measure(floor: &Floor) -> io::Result<FloorReport> {
    let frame =
        frame(floor.frame_bytes).map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    let received = Arc::new(AtomicU64::new(0));
    let (writers, readers) = connect(floor.connections, &received)?;
    let events = floor.events();
    let (rate, cutoff) = (floor.rate, 2 * floor.duration);
    let writing =
        tokio::task::spawn_blocking(move || write_all(writers, &frame, events, rate, cutoff));
    let written = writing.await.map_err(io::Error::other)??;

    let expected = written.writes * floor.frame_bytes as u64;
    let deadline = Instant::now() + READ_GRACE;
    while received.load(Ordering::Acquire) < expected && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    for reader in readers {
        reader.abort();
    }
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    Ok(FloorReport {
        connections: floor.connections,
        rate: floor.rate,
        events: written.events,
        writes: written.writes,
        frame_bytes: floor.frame_bytes,
        bytes_received: received.load(Ordering::Acquire),
        writer_cpu_s: written.cpu.as_secs_f64(),
        cpu_per_write_us: if written.writes > 0 {
            written.cpu.as_secs_f64() * 1e6 / written.writes as f64
        } else {
            0.0
        },
        fan_out_ms_p50: ms(written.fan_out.percentile(50.0)),
        fan_out_ms_p99: ms(written.fan_out.percentile(99.0)),
    })
}

/// `connections` loopback TCP connections: the writing ends (with `TCP_NODELAY`, as servers
/// set it) and a task per reading end that adds what it reads to `received`.
fn connect(
    connections: usize,
    received: &Arc<AtomicU64>,
) -> io::Result<(Vec<TcpStream>, Vec<tokio::task::JoinHandle<()>>)> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let address = listener.local_addr()?;
    let mut writers = Vec::with_capacity(connections);
    let mut readers = Vec::with_capacity(connections);
    for _ in 0..connections {
        let writer = TcpStream::connect(address)?;
        writer.set_nodelay(true)?;
        let (reader, _) = listener.accept()?;
        reader.set_nonblocking(true)?;
        let mut reader = tokio::net::TcpStream::from_std(reader)?;
        let received = received.clone();
        readers.push(tokio::spawn(async move {
            let mut buffer = vec![0u8; 4096];
            while let Ok(read @ 1..) = reader.read(&mut buffer).await {
                received.fetch_add(read as u64, Ordering::AcqRel);
            }
        }));
        writers.push(writer);
    }
    Ok((writers, readers))
}

struct Written {
    events: u64,
    writes: u64,
    cpu: Duration,
    fan_out: Histogram,
}

/// Writes `frame` to every connection per event, event `n` due at `n / rate` s, stopping at
/// `cutoff`; the thread's CPU time covers only the writing, not the waiting in between.
fn write_all(
    mut writers: Vec<TcpStream>,
    frame: &[u8],
    events: u64,
    rate: f64,
    cutoff: Duration,
) -> io::Result<Written> {
    let mut written = Written {
        events: 0,
        writes: 0,
        cpu: Duration::ZERO,
        fan_out: Histogram::default(),
    };
    let start = Instant::now();
    for seq in 0..events {
        let due = start + Duration::from_secs_f64(seq as f64 / rate);
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        if start.elapsed() >= cutoff {
            break;
        }
        let (cpu_before, wall_before) = (thread_cpu()?, Instant::now());
        for writer in &mut writers {
            writer.write_all(frame)?;
            written.writes += 1;
        }
        written
            .fan_out
            .record(wall_before.elapsed().as_nanos() as u64);
        written.cpu += thread_cpu()? - cpu_before;
        written.events += 1;
    }
    Ok(written)
}

fn thread_cpu() -> io::Result<Duration> {
    let time = clock_gettime(ClockId::CLOCK_THREAD_CPUTIME_ID).map_err(io::Error::from)?;
    Ok(Duration::new(time.tv_sec() as u64, time.tv_nsec() as u32))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_have_the_size_asked_for_and_a_valid_header() {
        let small = frame(82).unwrap();
        assert_eq!((small.len(), small[0], small[1]), (82, 0x81, 80));
        let large = frame(1000).unwrap();
        assert_eq!(large.len(), 1000);
        assert_eq!(
            &large[..4],
            &[0x81, 126, 0x03, 0xE4],
            "996 bytes of payload"
        );
        assert_eq!(frame(127).unwrap()[1], 125);
        assert_eq!(frame(130).unwrap()[..4], [0x81, 126, 0, 126]);
        for impossible in [0, 2, 128, 129, 65_540] {
            assert!(frame(impossible).is_err(), "{impossible}");
        }
    }

    #[tokio::test]
    async fn every_frame_written_arrives() {
        let floor = Floor {
            connections: 10,
            rate: 100.0,
            duration: Duration::from_millis(200),
            frame_bytes: 82,
        };
        let report = measure(&floor).await.unwrap();
        assert_eq!((report.events, report.writes), (20, 200));
        assert_eq!(report.bytes_received, 200 * 82);
        assert!(report.writer_cpu_s > 0.0, "{report:?}");
    }
}
