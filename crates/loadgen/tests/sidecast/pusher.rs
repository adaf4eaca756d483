//! Pusher-protocol clients against the sidecar's Pusher front end: events through the Unix
//! socket and through the signed Pusher HTTP API, each delivered exactly once; the server's
//! pings answered so that no connection is closed.

use std::process::Command;

use super::support::{Sidecast, loadgen};
use super::{TINY, assert_exact};

const APP: [&str; 6] = [
    "--app-id",
    "loadgen",
    "--app-key",
    "loadgen-key",
    "--app-secret",
    "loadgen-secret",
];

fn pusher_run(sidecast: &Sidecast, ingest: &str, load: &[&str]) -> serde_json::Value {
    let pid = sidecast.process.pid().to_string();
    let mut args = vec![
        "--url",
        &sidecast.url,
        "--pusher-key",
        "loadgen-key",
        "--ingest",
        ingest,
        "--server-pid",
        &pid,
    ];
    args.extend(load);
    loadgen(&args)
}

#[test]
fn unix_socket_to_pusher_clients() {
    let dir = tempfile::tempdir().unwrap();
    let sidecast = Sidecast::start(dir.path(), &APP, None);
    let report = pusher_run(
        &sidecast,
        &format!("unix:{}", sidecast.socket.display()),
        &TINY,
    );
    assert_exact(&report);
    assert_eq!(report["protocol"], "Pusher 7", "{report}");
}

#[test]
fn signed_pusher_http_api_to_pusher_clients() {
    let dir = tempfile::tempdir().unwrap();
    let sidecast = Sidecast::start(dir.path(), &APP, None);
    let ingest = format!(
        "{}/apps/loadgen?key=loadgen-key&secret=loadgen-secret",
        sidecast.url
    );
    assert_exact(&pusher_run(&sidecast, &ingest, &TINY));
}

/// A wrong secret: the server refuses the first publish (a readiness probe), and the run
/// stops with the server's answer.
#[test]
fn a_wrong_secret_stops_the_run_with_the_servers_refusal() {
    let dir = tempfile::tempdir().unwrap();
    let sidecast = Sidecast::start(dir.path(), &APP, None);
    let ingest = format!("{}/apps/loadgen?key=loadgen-key&secret=wrong", sidecast.url);
    let output = Command::new(env!("CARGO_BIN_EXE_sidecast-loadgen"))
        .args(["run", "--url", &sidecast.url, "--pusher-key", "loadgen-key"])
        .args(["--ingest", &ingest])
        .args(TINY)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(
        stderr.contains("answered 401") && stderr.contains("signature"),
        "{stderr}"
    );
}

/// The server pings every connection it has not heard from for a second; the clients must
/// answer, or it closes them with 4201 and they count as broken.
#[test]
fn the_servers_pings_are_answered() {
    let dir = tempfile::tempdir().unwrap();
    let mut args = APP.to_vec();
    args.extend(["--ping-interval", "0.3", "--activity-timeout", "1"]);
    let sidecast = Sidecast::start(dir.path(), &args, None);
    let ingest = format!("unix:{}", sidecast.socket.display());
    let load = ["--clients", "4", "--rate", "10", "--duration", "2"];
    let report = pusher_run(&sidecast, &ingest, &load);
    assert_eq!(report["connections"]["broken"], 0, "{report}");
    assert_eq!(report["deliveries"]["delivered"], 4 * 20, "{report}");
    assert_eq!(report["deliveries"]["lost"], 0, "{report}");
}
