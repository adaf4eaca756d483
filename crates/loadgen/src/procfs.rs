//! What a process costs, read from `/proc`: resident memory (`VmRSS` in `/proc/<pid>/status`)
//! and CPU time (`utime + stime` in `/proc/<pid>/stat`, in clock ticks). The server is sampled
//! by its pid, the generator as `self`.

use std::io;
use std::time::Duration;

use nix::unistd::{SysconfVar, sysconf};

/// A process to sample: the server under test or the generator itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Process {
    Pid(u32),
    Myself,
}

impl Process {
    fn path(self, file: &str) -> String {
        match self {
            Process::Pid(pid) => format!("/proc/{pid}/{file}"),
            Process::Myself => format!("/proc/self/{file}"),
        }
    }

    pub fn sample(self) -> io::Result<Sample> {
        let status = std::fs::read_to_string(self.path("status"))?;
        Ok(Sample {
            rss_bytes: rss_bytes(&status).ok_or_else(|| invalid("no VmRSS in status"))?,
            cpu: self.cpu()?,
        })
    }

    /// CPU time alone (readable for a process that has exited but not been reaped, whose
    /// status has no `VmRSS`).
    pub fn cpu(self) -> io::Result<Duration> {
        let stat = std::fs::read_to_string(self.path("stat"))?;
        cpu_ticks(&stat)
            .map(|ticks| ticks_to_duration(ticks, clock_ticks_per_second()))
            .ok_or_else(|| invalid("no utime/stime in stat"))
    }
}

fn invalid(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.to_owned())
}

/// Memory and CPU time of a process at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sample {
    pub rss_bytes: u64,
    /// User plus system CPU time since the process started.
    pub cpu: Duration,
}

/// `VmRSS` from `/proc/<pid>/status`, in bytes.
pub fn rss_bytes(status: &str) -> Option<u64> {
    let line = status.lines().find_map(|l| l.strip_prefix("VmRSS:"))?;
    let kib: u64 = line.trim().strip_suffix("kB")?.trim().parse().ok()?;
    Some(kib * 1024)
}

/// `utime + stime` from `/proc/<pid>/stat`, in clock ticks. The command name (field 2) may
/// hold spaces and parentheses, so fields are counted from its closing parenthesis.
pub fn cpu_ticks(stat: &str) -> Option<u64> {
    let (_, after_name) = stat.rsplit_once(')')?;
    // After the name come field 3 (state), …, field 14 (utime), field 15 (stime).
    let mut fields = after_name.split_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(utime + stime)
}

/// `sysconf(_SC_CLK_TCK)`, the unit of `/proc/<pid>/stat` times (100 on Linux in practice).
pub fn clock_ticks_per_second() -> u64 {
    match sysconf(SysconfVar::CLK_TCK) {
        Ok(Some(ticks)) if ticks > 0 => ticks as u64,
        _ => 100,
    }
}

fn ticks_to_duration(ticks: u64, per_second: u64) -> Duration {
    Duration::from_secs(ticks / per_second)
        + Duration::from_nanos((ticks % per_second) * 1_000_000_000 / per_second)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rss_from_a_status_file() {
        let status = "Name:\tsidecast\nVmPeak:\t  20000 kB\nVmRSS:\t    5312 kB\nThreads:\t3\n";
        assert_eq!(rss_bytes(status), Some(5312 * 1024));
        assert_eq!(
            rss_bytes("Name:\tkthreadd\n"),
            None,
            "kernel threads have none"
        );
        assert_eq!(rss_bytes("VmRSS:\tmany kB\n"), None);
    }

    #[test]
    fn cpu_from_a_stat_line_whose_name_has_spaces_and_parentheses() {
        let stat =
            "2628 (a (b) c) R 2624 2624 24610 0 -1 4194304 103 0 0 0 17 4 0 0 20 0 1 0 62910";
        assert_eq!(cpu_ticks(stat), Some(21));
        assert_eq!(cpu_ticks("2628 (cat) R 1 2"), None);
        assert_eq!(cpu_ticks("garbage"), None);
    }

    #[test]
    fn ticks_become_durations() {
        assert_eq!(ticks_to_duration(250, 100), Duration::from_millis(2500));
        assert_eq!(ticks_to_duration(1, 1000), Duration::from_millis(1));
    }

    #[test]
    fn the_generator_can_sample_itself() {
        let sample = Process::Myself.sample().unwrap();
        assert!(sample.rss_bytes > 0);
        let other = Process::Pid(std::process::id()).sample().unwrap();
        assert!(other.cpu >= sample.cpu);
    }
}
