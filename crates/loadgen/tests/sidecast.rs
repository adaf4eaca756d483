//! The generator against the real sidecar, one tiny run per path: the Unix socket with both
//! Engine.IO generations, the HTTP API and Redis in Laravel's format; Pusher clients in
//! [`pusher`]. Every run must deliver
//! each event exactly once to each client of its channel; timings are never asserted.
//! `cargo build --release -p sidecast` must have built the sidecar first.

#[path = "sidecast/pusher.rs"]
mod pusher;
mod support;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use serde_json::Value;
use support::{Redis, Sidecast, loadgen, loadgen_command};

/// 20 clients on 2 channels, 50 events (25 per channel): 500 deliveries.
const CLIENTS: u64 = 20;
const CHANNELS: u64 = 2;
const EVENTS: u64 = 50;
const TINY: [&str; 10] = [
    "--clients",
    "20",
    "--channels",
    "2",
    "--rate",
    "100",
    "--duration",
    "0.5",
    "--drain-timeout",
    "10",
];

fn tiny_run(sidecast: &Sidecast, eio: &str, ingest: &str) -> Value {
    tiny_run_over(sidecast, eio, "websocket", ingest)
}

fn tiny_run_over(sidecast: &Sidecast, eio: &str, transport: &str, ingest: &str) -> Value {
    let pid = sidecast.process.pid().to_string();
    let mut args = vec![
        "--url",
        &sidecast.url,
        "--eio",
        eio,
        "--transport",
        transport,
        "--ingest",
        ingest,
        "--server-pid",
        &pid,
    ];
    args.extend(TINY);
    loadgen(&args)
}

/// Every client connected and proved subscribed, every event published and delivered once
/// to each client of its channel, nothing else received.
fn assert_exact(report: &Value) {
    let expected = CLIENTS * EVENTS / CHANNELS;
    assert_eq!(report["connect"]["connected"], CLIENTS, "{report}");
    assert_eq!(report["connect"]["failed"], 0, "{report}");
    assert_eq!(
        report["connect"]["unconfirmed_subscriptions"], 0,
        "{report}"
    );
    assert_eq!(report["publish"]["published"], EVENTS, "{report}");
    let deliveries = &report["deliveries"];
    assert_eq!(deliveries["expected"], expected, "{report}");
    assert_eq!(deliveries["delivered"], expected, "{report}");
    for count in ["lost", "duplicates", "foreign"] {
        assert_eq!(deliveries[count], 0, "{count}: {report}");
    }
    assert_eq!(deliveries["complete"], true, "{report}");
    assert_eq!(report["latency_ms"]["samples"], expected, "{report}");
    assert_eq!(report["connections"]["broken"], 0, "{report}");
    assert_eq!(report["connections"]["malformed_frames"], 0, "{report}");
    assert!(
        report["server"]["rss_ready_bytes"].as_u64().unwrap() > 0,
        "{report}"
    );
}

#[test]
fn unix_socket_to_websocket_clients_of_both_generations() {
    let dir = tempfile::tempdir().unwrap();
    let sidecast = Sidecast::start(dir.path(), &[], None);
    let ingest = format!("unix:{}", sidecast.socket.display());
    for eio in ["3", "4"] {
        let report = tiny_run(&sidecast, eio, &ingest);
        assert_exact(&report);
        assert_eq!(report["protocol"], format!("EIO={eio}"), "{report}");
    }
}

/// Clients spread over three processes: the two workers' shares count as if the run's own
/// process had connected them, and their CPU time is the generator's.
#[test]
fn clients_spread_over_worker_processes() {
    let dir = tempfile::tempdir().unwrap();
    let sidecast = Sidecast::start(dir.path(), &[], None);
    let ingest = format!("unix:{}", sidecast.socket.display());
    let pid = sidecast.process.pid().to_string();
    let mut args = vec![
        "--url",
        &sidecast.url,
        "--eio",
        "3",
        "--ingest",
        &ingest,
        "--server-pid",
        &pid,
        "--processes",
        "3",
    ];
    args.extend(TINY);
    let report = loadgen(&args);
    assert_exact(&report);
    assert_eq!(report["generator"]["processes"], 3, "{report}");
}

/// A worker killed in the middle of a run: the run still reports, and every one of the
/// worker's clients is accounted for — as failed to connect, or as broken with its deliveries
/// lost — never silently dropped from the totals.
#[test]
fn a_worker_killed_mid_run_is_accounted_for() {
    let dir = tempfile::tempdir().unwrap();
    let sidecast = Sidecast::start(dir.path(), &[], None);
    let ingest = format!("unix:{}", sidecast.socket.display());
    let pid = sidecast.process.pid().to_string();
    let run = Command::new(env!("CARGO_BIN_EXE_sidecast-loadgen"))
        .args([
            "run",
            "--url",
            &sidecast.url,
            "--ingest",
            &ingest,
            "--server-pid",
            &pid,
        ])
        .args([
            "--clients",
            "20",
            "--channels",
            "2",
            "--rate",
            "50",
            "--duration",
            "4",
        ])
        .args(["--processes", "2", "--drain-timeout", "2", "--json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let worker = child_of(run.id()).expect("the run started a worker process");
    // Most likely during publishing; whenever it lands, the counts below must hold.
    std::thread::sleep(Duration::from_millis(1500));
    kill(Pid::from_raw(worker as i32), Signal::SIGKILL).unwrap();
    let output = run.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: Value = serde_json::from_str(&stdout).unwrap();
    let (connect, deliveries) = (&report["connect"], &report["deliveries"]);
    let count = |value: &Value| value.as_u64().unwrap();
    assert_eq!(
        count(&connect["connected"]) + count(&connect["failed"]),
        20,
        "{report}"
    );
    assert_eq!(
        count(&deliveries["delivered"]) + count(&deliveries["lost"]),
        count(&deliveries["expected"]),
        "{report}"
    );
    // The worker had clients 1, 3, 5, … : 10 of them, each failed or broken.
    assert!(
        count(&connect["failed"]) + count(&report["connections"]["broken"]) >= 10,
        "{report}"
    );
    assert!(report.to_string().contains("worker process 1"), "{report}");
}

/// The first child process of `parent` to appear within a few seconds.
fn child_of(parent: u32) -> Option<u32> {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        for entry in std::fs::read_dir("/proc").ok()?.flatten() {
            let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
                continue;
            };
            // pid (comm) state ppid …; comm may hold spaces, so read after its last ')'.
            let after = stat.rsplit_once(')').map(|(_, rest)| rest);
            let ppid = after.and_then(|rest| rest.split_whitespace().nth(1));
            if ppid == Some(&parent.to_string()) {
                return stat.split_whitespace().next()?.parse().ok();
            }
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    None
}

/// socket.io-client's default way in: the session opened and the namespace joined over HTTP
/// long polling, then upgraded to a WebSocket, which must then carry every event once.
#[test]
fn polling_then_upgrade_clients_of_both_generations() {
    let dir = tempfile::tempdir().unwrap();
    let sidecast = Sidecast::start(dir.path(), &[], None);
    let ingest = format!("unix:{}", sidecast.socket.display());
    for eio in ["3", "4"] {
        let report = tiny_run_over(&sidecast, eio, "polling-upgrade", &ingest);
        assert_exact(&report);
        assert_eq!(report["protocol"], format!("EIO={eio}"), "{report}");
        assert_eq!(report["transport"], "polling-upgrade", "{report}");
    }
}

#[test]
fn http_api_of_laravel_echo_server() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("laravel-echo-server.json"),
        r#"{"clients": [{"appId": "loadgen", "key": "loadgen-api-key-0001"}], "subscribers": {"http": true, "redis": false}}"#,
    )
    .unwrap();
    let sidecast = Sidecast::start(dir.path(), &[], None);
    let ingest = format!("{}/apps/loadgen?key=loadgen-api-key-0001", sidecast.url);
    assert_exact(&tiny_run(&sidecast, "3", &ingest));
}

#[test]
fn redis_in_laravels_format() {
    let dir = tempfile::tempdir().unwrap();
    let redis = Redis::start();
    std::fs::write(
        dir.path().join("laravel-echo-server.json"),
        format!(
            r#"{{"databaseConfig": {{"redis": {{"host": "127.0.0.1", "port": {}, "keyPrefix": "lg_"}}}}, "subscribers": {{"http": false, "redis": true}}}}"#,
            redis.port
        ),
    )
    .unwrap();
    let sidecast = Sidecast::start(dir.path(), &[], Some("subscribed to Redis"));
    let ingest = format!("redis://127.0.0.1:{}/lg_", redis.port);
    assert_exact(&tiny_run(&sidecast, "4", &ingest));
}

/// Runs scenario preset `name` against `sidecast` through its Unix socket, with `extra`
/// arguments after the server's.
fn preset(sidecast: &Sidecast, name: &str, extra: &[&str]) -> Value {
    let ingest = format!("unix:{}", sidecast.socket.display());
    let pid = sidecast.process.pid().to_string();
    let mut args = vec![
        "--url",
        &sidecast.url,
        "--ingest",
        &ingest,
        "--server-pid",
        &pid,
    ];
    args.extend(extra);
    loadgen_command(&["scenario", name], &args)
}

/// Scenario A's preset runs one step per rate, each with fresh clients on one channel. The
/// p99 limit is far above anything a loopback run takes, so every step must be sustained.
#[test]
fn the_fanout_preset_runs_every_step() {
    let dir = tempfile::tempdir().unwrap();
    let sidecast = Sidecast::start(dir.path(), &[], None);
    let fanout = preset(
        &sidecast,
        "fanout",
        &[
            "--eio",
            "3",
            "--clients",
            "10",
            "--rates",
            "20,40",
            "--step-duration",
            "0.5",
            "--p99-ms",
            "60000",
        ],
    );
    let steps = fanout["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 2, "{fanout}");
    for (step, events) in steps.iter().zip([10, 20]) {
        assert_eq!(step["channels"], 1, "{step}");
        assert_eq!(step["connect"]["connected"], 10, "{step}");
        assert_eq!(step["deliveries"]["expected"], 10 * events, "{step}");
        assert_eq!(step["deliveries"]["delivered"], 10 * events, "{step}");
        assert_eq!(step["deliveries"]["lost"], 0, "{step}");
    }
    assert_eq!(fanout["sustained"]["rate"], 40.0, "{fanout}");
}

/// Scenario B's preset: one subscriber per channel, each owed exactly its channel's events.
#[test]
fn the_channels_preset_reaches_every_channel() {
    let dir = tempfile::tempdir().unwrap();
    let sidecast = Sidecast::start(dir.path(), &[], None);
    let report = preset(
        &sidecast,
        "channels",
        &["--channels", "40", "--rate", "200", "--duration", "0.5"],
    );
    assert_eq!(
        (report["clients"].as_u64(), report["channels"].as_u64()),
        (Some(40), Some(40))
    );
    assert_eq!(report["connect"]["connected"], 40, "{report}");
    assert_eq!(report["publish"]["published"], 100, "{report}");
    let deliveries = &report["deliveries"];
    assert_eq!(
        deliveries["expected"], 100,
        "each event has one subscriber: {report}"
    );
    assert_eq!(deliveries["delivered"], 100, "{report}");
    for count in ["lost", "duplicates", "foreign"] {
        assert_eq!(deliveries[count], 0, "{count}: {report}");
    }
}

/// Scenario C's preset holds subscribed connections idle and samples the server's memory.
#[test]
fn the_idle_preset_holds_subscribed_connections() {
    let dir = tempfile::tempdir().unwrap();
    let sidecast = Sidecast::start(dir.path(), &[], None);
    let report = preset(&sidecast, "idle", &["--clients", "10", "--duration", "0.3"]);
    assert_eq!(report["connect"]["connected"], 10, "{report}");
    assert_eq!(
        report["connect"]["unconfirmed_subscriptions"], 0,
        "{report}"
    );
    assert_eq!(report["publish"]["planned"], 0, "{report}");
    assert_eq!(report["connections"]["broken"], 0, "{report}");
    assert!(
        report["server"]["rss_ready_bytes"].as_u64().unwrap() > 0,
        "{report}"
    );
}

/// With a heartbeat of 100 ms, an EIO=3 client that did not ping, or an EIO=4 client that did
/// not answer pings, would be dropped many times over during the run, whichever transport
/// it started on.
#[test]
fn heartbeats_keep_both_generations_connected() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("laravel-echo-server.json"),
        r#"{"socketio": {"pingInterval": 100, "pingTimeout": 100}, "subscribers": {"http": false, "redis": false}}"#,
    )
    .unwrap();
    let sidecast = Sidecast::start(dir.path(), &[], None);
    let ingest = format!("unix:{}", sidecast.socket.display());
    for (eio, transport) in [
        ("3", "websocket"),
        ("4", "websocket"),
        ("3", "polling-upgrade"),
        ("4", "polling-upgrade"),
    ] {
        let report = loadgen(&[
            "--url",
            &sidecast.url,
            "--eio",
            eio,
            "--transport",
            transport,
            "--ingest",
            &ingest,
            "--clients",
            "4",
            "--rate",
            "10",
            "--duration",
            "1.5",
        ]);
        assert_eq!(
            report["connections"]["broken"], 0,
            "EIO={eio} {transport}: {report}"
        );
        assert_eq!(
            report["deliveries"]["delivered"],
            4 * 15,
            "EIO={eio} {transport}: {report}"
        );
        assert_eq!(
            report["deliveries"]["lost"], 0,
            "EIO={eio} {transport}: {report}"
        );
    }
}

/// Events sent to another sidecar never reach these clients: the generator must count every
/// one of them lost, and say the subscriptions could not be confirmed.
#[test]
fn undelivered_events_are_counted_lost() {
    let (here, elsewhere) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let sidecast = Sidecast::start(here.path(), &[], None);
    let other = Sidecast::start(elsewhere.path(), &[], None);
    let ingest = format!("unix:{}", other.socket.display());
    let report = loadgen(&[
        "--url",
        &sidecast.url,
        "--eio",
        "4",
        "--ingest",
        &ingest,
        "--clients",
        "4",
        "--channels",
        "2",
        "--rate",
        "100",
        "--duration",
        "0.2",
        "--ready-timeout",
        "0.3",
        "--drain-timeout",
        "0.3",
    ]);
    assert_eq!(report["connect"]["connected"], 4, "{report}");
    assert_eq!(
        report["connect"]["unconfirmed_subscriptions"], 4,
        "{report}"
    );
    let deliveries = &report["deliveries"];
    assert_eq!(deliveries["expected"], 40, "{report}");
    assert_eq!(deliveries["delivered"], 0, "{report}");
    assert_eq!(deliveries["lost"], 40, "{report}");
    assert_eq!(deliveries["complete"], false, "{report}");
    let warnings = report["warnings"].to_string();
    assert!(warnings.contains("40 lost"), "{warnings}");
    assert!(
        warnings.contains("4 connected clients never showed"),
        "{warnings}"
    );
}

/// Scenario D's preset: visitors come and go on the stable clients' channels while events
/// flow. The stable clients must receive every event exactly once, and every visit must
/// connect, prove its subscription, stay and leave.
#[test]
fn the_churn_preset_loses_nothing_for_the_stable_clients() {
    let dir = tempfile::tempdir().unwrap();
    let sidecast = Sidecast::start(dir.path(), &[], None);
    // 20 visits a second for 1.5 s; 50 events a second over 2 channels for 20 clients.
    let (visits, events) = (30, 75);
    for (eio, transport) in [("3", "websocket"), ("4", "polling-upgrade")] {
        let report = preset(
            &sidecast,
            "churn",
            &[
                "--eio",
                eio,
                "--transport",
                transport,
                "--clients",
                "20",
                "--channels",
                "2",
                "--rate",
                "50",
                "--duration",
                "1.5",
                "--churn-rate",
                "20",
                "--stay-min",
                "0.05",
                "--stay-max",
                "0.3",
                "--drain-timeout",
                "10",
            ],
        );
        let context = format!("EIO={eio} {transport}: {report}");
        assert_eq!(report["connect"]["connected"], 20, "{context}");
        assert_eq!(
            report["connect"]["unconfirmed_subscriptions"], 0,
            "{context}"
        );
        assert_eq!(report["publish"]["published"], events, "{context}");
        // 38 events on channel 0, 37 on channel 1, 10 clients each.
        let deliveries = &report["deliveries"];
        assert_eq!(deliveries["expected"], 10 * events, "{context}");
        assert_eq!(deliveries["delivered"], 10 * events, "{context}");
        for count in ["lost", "duplicates", "foreign"] {
            assert_eq!(deliveries[count], 0, "{count}: {context}");
        }
        assert_eq!(report["connections"]["broken"], 0, "{context}");
        let churn = &report["churn"];
        for (count, value) in [
            ("planned", visits),
            ("started", visits),
            ("connected", visits),
            ("subscribed", visits),
            ("left", visits),
            ("abandoned", 0),
            ("connect_errors", 0),
            ("failed_subscriptions", 0),
            ("broken", 0),
            ("cut_short", 0),
        ] {
            assert_eq!(churn[count], value, "{count}: {context}");
        }
        assert!(churn["server_rss_growth_bytes"].is_i64(), "{context}");
    }
}
