//! `sidecast status` for people: the running sidecar's census (the `sidecar` part of its
//! `stats` answer) as a few aligned lines.

use serde_json::Value;

/// The lines of the summary of `answer`, the JSON the sidecar gave to the `stats` question.
pub fn render(pid: i32, socket: &std::path::Path, answer: &Value) -> String {
    let v = &answer["sidecar"];
    let n = |path: &str| -> u64 { v.pointer(path).and_then(Value::as_u64).unwrap_or(0) };
    let f = |path: &str| -> Option<f64> { v.pointer(path).and_then(Value::as_f64) };
    // A latency above the last bucket comes as "+Inf" (JSON has no infinity).
    let bound = |path: &str| match v.pointer(path) {
        Some(Value::String(text)) if text == "+Inf" => Some(f64::INFINITY),
        other => other.and_then(Value::as_f64),
    };
    let mut lines = vec![format!(
        "running (pid {pid}, socket {}): sidecast {}, up {}",
        socket.display(),
        v["version"].as_str().unwrap_or("?"),
        duration(f("/uptime_seconds").unwrap_or(0.0)),
    )];
    let mut line = |label: &str, text: String| lines.push(format!("{label:<15}{text}"));
    line(
        "connections",
        format!(
            "{} (socket.io: {} Echo 2, {} Echo 1, {} on a WebSocket; Pusher: {})",
            n("/occupancy/connections"),
            n("/socketio/eio4/open"),
            n("/socketio/eio3/open"),
            n("/socketio/websockets"),
            n("/pusher/connections/open"),
        ),
    );
    line(
        "channels",
        format!(
            "{} public, {} private, {} presence ({} members); {} subscriptions",
            n("/occupancy/channels/public"),
            n("/occupancy/channels/private"),
            n("/occupancy/channels/presence"),
            n("/occupancy/presence_members"),
            n("/occupancy/subscriptions/public")
                + n("/occupancy/subscriptions/private")
                + n("/occupancy/subscriptions/presence"),
        ),
    );
    line(
        "events in",
        format!(
            "Unix socket {}, HTTP API {}, Redis {}, client events {}",
            n("/events_in/unix_socket"),
            n("/events_in/http_api"),
            n("/events_in/redis"),
            n("/events_in/client_events"),
        ),
    );
    line(
        "delivered",
        format!(
            "{}; dropped {} (queue full {}, socket closed {}, unencodable {})",
            n("/delivery/deliveries"),
            n("/delivery/dropped"),
            n("/delivery/dropped_by/queue_full"),
            n("/delivery/dropped_by/closed"),
            n("/delivery/dropped_by/encoding"),
        ),
    );
    line(
        "last minute",
        match f("/rates/window_seconds") {
            Some(window) if window > 0.0 => format!(
                "{:.1} events/s in, {:.1} deliveries/s, {} dropped; fan-out p50 {}, p99 {}",
                f("/rates/events_in_per_second").unwrap_or(0.0),
                f("/rates/deliveries_per_second").unwrap_or(0.0),
                n("/rates/dropped"),
                at_most(bound("/rates/fan_out_p50_seconds")),
                at_most(bound("/rates/fan_out_p99_seconds")),
            ),
            _ => "(not a second of history yet)".to_owned(),
        },
    );
    line(
        "authorizations",
        format!(
            "asking the app: {} allowed, {} refused, {} failed, {} unusable; by signature: {} allowed, {} bad",
            n("/auth/asked_app/allowed"),
            n("/auth/asked_app/refused"),
            n("/auth/asked_app/failed"),
            n("/auth/asked_app/unusable"),
            n("/auth/signature/allowed"),
            n("/auth/signature/bad_signature") + n("/auth/signature/failed"),
        ),
    );
    line(
        "PHP",
        format!(
            "{} connected; {} events refused, {} frames refused",
            n("/unix_socket/publishers_open"),
            n("/unix_socket/events_refused"),
            ["too_large", "malformed", "wrong_direction", "incomplete"]
                .iter()
                .map(|reason| n(&format!("/unix_socket/frames_refused/{reason}")))
                .sum::<u64>(),
        ),
    );
    if v["redis"].is_object() {
        line(
            "Redis",
            format!(
                "{} ({} connections lost, {} failed attempts since start)",
                if v["redis"]["connected"] == true {
                    "subscribed"
                } else {
                    "NOT SUBSCRIBED"
                },
                n("/redis/connection_losses"),
                n("/redis/failed_attempts"),
            ),
        );
    }
    if v["cluster"].is_object() {
        line(
            "cluster",
            format!(
                "node {}, store {}, {} other nodes; {} messages missed, {} dropped",
                v["cluster"]["node"].as_str().unwrap_or("?"),
                if v["cluster"]["reachable"] == true {
                    "reachable"
                } else {
                    "UNREACHABLE"
                },
                n("/cluster/other_nodes"),
                n("/cluster/missed"),
                n("/cluster/dropped"),
            ),
        );
    }
    if v["webhooks"].is_object() {
        line(
            "webhooks",
            format!(
                "{} events sent, {} absorbed by the grace period, {} dropped, {} requests failed",
                n("/webhooks/events_sent"),
                n("/webhooks/events_absorbed"),
                n("/webhooks/events_dropped"),
                n("/webhooks/failed_requests"),
            ),
        );
    }
    if v["listener"].is_object() {
        line(
            "listener",
            format!(
                "{}; {} events kept, {} confirmed, {} waiting, {} dropped",
                if v["listener"]["connected"] == true {
                    "connected"
                } else {
                    "NOT CONNECTED (php artisan sidecast:listen)"
                },
                n("/listener/events_kept"),
                n("/listener/events_confirmed"),
                n("/listener/events_buffered"),
                n("/listener/events_dropped"),
            ),
        );
    }
    line(
        "process",
        format!(
            "{:.1} MiB resident, {} of {} files open, {:.1} s CPU",
            n("/process/resident_memory_bytes") as f64 / 1_048_576.0,
            n("/process/open_files"),
            n("/process/max_open_files"),
            f("/process/cpu_seconds").unwrap_or(0.0),
        ),
    );
    lines.join("\n")
}

/// `3d 4h`, `2h 5m`, `4m 10s`, `12s`.
fn duration(seconds: f64) -> String {
    let s = seconds as u64;
    match (s / 86_400, s / 3_600 % 24, s / 60 % 60, s % 60) {
        (0, 0, 0, secs) => format!("{secs}s"),
        (0, 0, mins, secs) => format!("{mins}m {secs}s"),
        (0, hours, mins, _) => format!("{hours}h {mins}m"),
        (days, hours, _, _) => format!("{days}d {hours}h"),
    }
}

/// A bucket bound as a time: `≤ 250 µs`, `≤ 2.5 ms`, `≤ 1 s`; `-` without observations.
fn at_most(seconds: Option<f64>) -> String {
    match seconds {
        None => "-".to_owned(),
        Some(s) if s.is_infinite() => "> 10 s".to_owned(),
        Some(s) if s < 0.001 => format!("≤ {} µs", (s * 1e6).round()),
        Some(s) if s < 1.0 => format!("≤ {} ms", (s * 1e4).round() / 10.0),
        Some(s) => format!("≤ {s} s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_latencies_read_plainly() {
        assert_eq!(duration(12.7), "12s");
        assert_eq!(duration(250.0), "4m 10s");
        assert_eq!(duration(7_500.0), "2h 5m");
        assert_eq!(duration(273_600.0), "3d 4h");
        assert_eq!(at_most(None), "-");
        assert_eq!(at_most(Some(0.000_25)), "≤ 250 µs");
        assert_eq!(at_most(Some(0.002_5)), "≤ 2.5 ms");
        assert_eq!(at_most(Some(2.5)), "≤ 2.5 s");
    }

    #[test]
    fn a_summary_names_what_is_configured_only() {
        let answer = serde_json::json!({ "sidecar": {
            "version": "1.2.3", "uptime_seconds": 61.0,
            "occupancy": { "connections": 3, "channels": { "public": 1, "private": 0, "presence": 1 },
                           "subscriptions": { "public": 2, "private": 0, "presence": 1 }, "presence_members": 1 },
            "socketio": { "eio3": { "open": 1 }, "eio4": { "open": 2 }, "websockets": 3 },
            "rates": { "window_seconds": 60.0, "events_in_per_second": 2.0, "deliveries_per_second": 4.0,
                       "dropped": 0, "fan_out_p50_seconds": 0.0001, "fan_out_p99_seconds": "+Inf" },
            "redis": { "connected": false, "connection_losses": 2, "failed_attempts": 5 },
            "cluster": null,
        }});
        let text = render(42, std::path::Path::new("/run/s.sock"), &answer);
        assert!(
            text.starts_with("running (pid 42, socket /run/s.sock): sidecast 1.2.3, up 1m 1s"),
            "{text}"
        );
        assert!(
            text.contains(
                "connections    3 (socket.io: 2 Echo 2, 1 Echo 1, 3 on a WebSocket; Pusher: 0)"
            ),
            "{text}"
        );
        assert!(
            text.contains("1 presence (1 members); 3 subscriptions"),
            "{text}"
        );
        assert!(
            text.contains(
                "2.0 events/s in, 4.0 deliveries/s, 0 dropped; fan-out p50 ≤ 100 µs, p99 > 10 s"
            ),
            "{text}"
        );
        assert!(
            text.contains("Redis          NOT SUBSCRIBED (2 connections lost, 5 failed attempts"),
            "{text}"
        );
        assert!(!text.contains("cluster"), "{text}");
    }
}
