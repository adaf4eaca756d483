//! Logging: to stderr, as text or one JSON object a line, filtered by `SIDECAST_LOG`, never
//! with a client's secrets in it.

use std::io::IsTerminal;

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum LogFormat {
    /// For people: time, level, where, message, fields.
    #[default]
    Text,
    /// One JSON object a line, for log collectors: `timestamp`, `level`, `target`, `fields`
    /// (with `message`).
    Json,
}

/// Logs go to stderr; `asked` (`--log`, `SIDECAST_LOG`) takes `RUST_LOG`-style directives. The
/// default is `info`, or `debug` in development mode (`--dev`, `devMode`).
pub(crate) fn init(asked: Option<&str>, dev_mode: bool, format: LogFormat) {
    let default = if dev_mode { "debug" } else { "info" };
    let asked = asked.unwrap_or(default);
    let filter = tracing_subscriber::EnvFilter::try_new(only_ours_verbose(asked))
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => logs.with_ansi(std::io::stderr().is_terminal()).init(),
        LogFormat::Json => logs.json().with_current_span(false).init(),
    }
}

/// sidecast's own crates; their logs never carry secrets at any level.
const OUR_CRATES: [&str; 11] = [
    "sidecast",
    "sidecast_api",
    "sidecast_auth",
    "sidecast_cluster",
    "sidecast_core",
    "sidecast_ingest",
    "sidecast_lifecycle",
    "sidecast_pusher",
    "sidecast_socketio",
    "sidecast_websocket",
    "sidecast_wire",
];

/// A `SIDECAST_LOG` filter whose overall level above `info` applies to sidecast's own crates
/// only: the libraries under them (hyper, h2, redis, …) log every request a
/// client sends at debug and trace, auth headers and whispers included. A library named in the
/// filter (`hyper=debug`) gets what it names.
fn only_ours_verbose(asked: &str) -> String {
    let (levels, named): (Vec<&str>, Vec<&str>) = asked
        .split(',')
        .map(str::trim)
        .filter(|directive| !directive.is_empty())
        .partition(|directive| !directive.contains('=') && !directive.contains('['));
    let Some(&level) = levels.last() else {
        return asked.to_owned();
    };
    let verbose = matches!(level.to_ascii_lowercase().as_str(), "debug" | "trace");
    if !verbose {
        return asked.to_owned();
    }
    let ours = OUR_CRATES.iter().map(|krate| format!("{krate}={level}"));
    std::iter::once("info".to_owned())
        .chain(ours)
        .chain(named.iter().map(|directive| (*directive).to_owned()))
        .collect::<Vec<_>>()
        .join(",")
}

#[cfg(test)]
mod tests {
    use super::only_ours_verbose;

    #[test]
    fn debug_and_trace_reach_only_sidecasts_crates_unless_a_library_is_named() {
        assert_eq!(only_ours_verbose("info"), "info");
        assert_eq!(
            only_ours_verbose("warn,sidecast_pusher=debug"),
            "warn,sidecast_pusher=debug"
        );
        let debug = only_ours_verbose("debug");
        assert!(debug.starts_with("info,sidecast=debug,"), "{debug}");
        assert!(debug.contains("sidecast_socketio=debug"), "{debug}");
        assert!(!debug.contains("hyper"), "{debug}");
        let named = only_ours_verbose("trace, hyper=debug");
        assert!(named.starts_with("info,sidecast=trace,"), "{named}");
        assert!(named.ends_with(",hyper=debug"), "{named}");
    }
}
