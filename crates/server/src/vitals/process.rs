//! The process's own figures, from `/proc/self` (Linux, which is what the sidecar runs on):
//! resident memory, CPU time, open files and their limit.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct ProcessFigures {
    pub resident_memory_bytes: u64,
    /// User and system time.
    pub cpu_seconds: f64,
    pub open_files: u64,
    /// The soft limit, as raised at start-up.
    pub max_open_files: u64,
    /// Seconds since the Unix epoch.
    pub start_time_seconds: f64,
}

impl ProcessFigures {
    /// The figures now; one that cannot be read is 0.
    pub fn read() -> Self {
        let ticks = sysconf(nix::unistd::SysconfVar::CLK_TCK).max(1) as f64;
        let page = sysconf(nix::unistd::SysconfVar::PAGE_SIZE).max(1);
        let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
        // Fields after the command, which is in parentheses and may hold spaces.
        let fields: Vec<&str> = stat
            .rsplit_once(')')
            .map_or(Vec::new(), |(_, rest)| rest.split_whitespace().collect());
        let field = |n: usize| -> u64 { fields.get(n).and_then(|f| f.parse().ok()).unwrap_or(0) };
        // Numbered as proc(5) numbers them, from 1 with the pid; `fields[0]` is the 3rd.
        let (utime, stime, rss_pages, start_ticks) = (field(11), field(12), field(21), field(19));
        ProcessFigures {
            resident_memory_bytes: rss_pages * page,
            cpu_seconds: (utime + stime) as f64 / ticks,
            open_files: std::fs::read_dir("/proc/self/fd").map_or(0, |dir| dir.count() as u64),
            max_open_files: nix::sys::resource::getrlimit(
                nix::sys::resource::Resource::RLIMIT_NOFILE,
            )
            .map_or(0, |(soft, _)| soft),
            start_time_seconds: boot_time() + start_ticks as f64 / ticks,
        }
    }
}

fn sysconf(var: nix::unistd::SysconfVar) -> u64 {
    nix::unistd::sysconf(var)
        .ok()
        .flatten()
        .and_then(|value| u64::try_from(value).ok())
        .unwrap_or(0)
}

/// When the machine booted, in seconds since the epoch (`btime` in `/proc/stat`).
fn boot_time() -> f64 {
    std::fs::read_to_string("/proc/stat")
        .ok()
        .and_then(|stat| {
            stat.lines()
                .find_map(|line| line.strip_prefix("btime "))
                .and_then(|value| value.trim().parse().ok())
        })
        .unwrap_or(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_has_memory_open_files_and_a_start_in_the_past() {
        let figures = ProcessFigures::read();
        assert!(figures.resident_memory_bytes > 1024 * 1024, "{figures:?}");
        assert!(figures.open_files >= 3, "{figures:?}");
        assert!(figures.max_open_files >= figures.open_files, "{figures:?}");
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs_f64();
        assert!(
            figures.start_time_seconds > now - 3600.0 && figures.start_time_seconds <= now + 1.0,
            "{figures:?} at {now}"
        );
    }
}
