//! The generator against a real cluster: three sidecars sharing one redis-server. A run spread
//! over the nodes must deliver every event exactly once to every client and tell the ingest
//! node's clients from the others'; the presence scenario, with a stand-in for the app that
//! authorizes the channel, must see every join on every node and, once a node is killed, its
//! members leave everywhere else. Timings are never asserted.

mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use serde_json::Value;
use support::{Redis, Sidecast, loadgen};

/// Three nodes on `redis`, in directories of their own, noticing a dead node within a second.
fn cluster(redis: &Redis, dirs: &[tempfile::TempDir; 3], extra: &[&str]) -> Vec<Sidecast> {
    let url = format!("redis://127.0.0.1:{}", redis.port);
    let mut args = vec![
        "--cluster-redis",
        &url,
        "--cluster-heartbeat",
        "0.2",
        "--cluster-dead-after",
        "0.8",
        "--cluster-sweep-every",
        "0.2",
    ];
    args.extend(extra);
    dirs.iter()
        .map(|dir| Sidecast::start(dir.path(), &args, Some("listening to the other nodes")))
        .collect()
}

fn urls(nodes: &[Sidecast]) -> String {
    nodes
        .iter()
        .map(|node| node.url.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

/// 31 clients over 3 nodes on 2 channels, events into node 1: its 10 clients are the same-node
/// group, the 21 on nodes 0 and 2 the other-node group, and every delivery arrives once.
#[test]
fn a_run_spread_over_the_nodes_tells_the_ingest_node_from_the_others() {
    let redis = Redis::start();
    let dirs = [(); 3].map(|_| tempfile::tempdir().unwrap());
    let nodes = cluster(&redis, &dirs, &[]);
    let ingest = format!("unix:{}", nodes[1].socket.display());
    let pids: Vec<String> = nodes.iter().map(|n| n.process.pid().to_string()).collect();
    let report = loadgen(&[
        "--url",
        &urls(&nodes),
        "--ingest",
        &ingest,
        "--ingest-node",
        "1",
        "--server-pid",
        &pids.join(","),
        "--clients",
        "31",
        "--channels",
        "2",
        "--rate",
        "100",
        "--duration",
        "0.5",
        "--drain-timeout",
        "10",
    ]);
    // 25 events per channel; channel 0 has 16 clients, channel 1 has 15.
    let expected = 16 * 25 + 15 * 25;
    let deliveries = &report["deliveries"];
    assert_eq!(deliveries["expected"], expected, "{report}");
    assert_eq!(deliveries["delivered"], expected, "{report}");
    for count in ["lost", "duplicates", "foreign"] {
        assert_eq!(deliveries[count], 0, "{count}: {report}");
    }
    let split = &report["nodes"];
    assert_eq!(split["ingest_node"], 1, "{report}");
    let (same, other) = (&split["same_node"], &split["other_node"]);
    assert_eq!(
        (&same["clients"], &other["clients"]),
        (&10.into(), &21.into())
    );
    assert_eq!((&same["nodes"], &other["nodes"]), (&1.into(), &2.into()));
    let group_sum = |field: &str| {
        same["deliveries"][field].as_u64().unwrap() + other["deliveries"][field].as_u64().unwrap()
    };
    assert_eq!(group_sum("delivered"), expected, "{report}");
    assert_eq!(
        same["latency_ms"]["samples"].as_u64().unwrap()
            + other["latency_ms"]["samples"].as_u64().unwrap(),
        expected,
        "{report}"
    );
    assert_eq!(
        report["server"]["pids"].as_array().unwrap().len(),
        3,
        "{report}"
    );
}

/// A stand-in for the app's `/broadcasting/auth`: user N of `Bearer token-N` is a member.
fn authorizer() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let (mut user, mut length) = (None, 0);
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                let lower = line.to_ascii_lowercase();
                if let Some(token) = lower.strip_prefix("authorization: bearer token-") {
                    user = token.trim().parse::<u64>().ok();
                }
                if let Some(value) = lower.strip_prefix("content-length:") {
                    length = value.trim().parse().unwrap_or(0);
                }
            }
            let _ = reader.take(length).read_to_end(&mut Vec::new());
            let (status, body) = match user {
                Some(user) => (
                    "200 OK",
                    format!(
                        r#"{{"channel_data":{{"user_id":{user},"user_info":{{"name":"User {user}"}}}}}}"#
                    ),
                ),
                None => ("403 Forbidden", "{}".to_owned()),
            };
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    format!("http://{address}")
}

/// Three observers and 12 joiners on three nodes; once the joins are done, node 2 is killed and
/// the observers on nodes 0 and 1 read the leaving of its five members (its observer and four
/// joiners).
#[test]
fn the_presence_scenario_sees_every_join_and_a_dead_nodes_members_leave() {
    let redis = Redis::start();
    let dirs = [(); 3].map(|_| tempfile::tempdir().unwrap());
    let auth = authorizer();
    let nodes = cluster(&redis, &dirs, &["--auth-host", &auth]);
    let mut generator = Command::new(env!("CARGO_BIN_EXE_sidecast-loadgen"))
        .args(["presence", "--url", &urls(&nodes), "--eio", "3"])
        .args([
            "--channel",
            "presence-chat.test",
            "--joins",
            "12",
            "--join-rate",
            "50",
        ])
        .args(["--hold", "20", "--json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the generator runs");
    let (said, holding) = mpsc::channel();
    let stderr = generator.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = said.send(line);
        }
    });
    let line = holding
        .recv_timeout(Duration::from_secs(30))
        .expect("the generator says it holds");
    assert!(line.contains("holding"), "{line}");
    kill(
        Pid::from_raw(nodes[2].process.pid() as i32),
        Signal::SIGKILL,
    )
    .unwrap();

    let output = generator.wait_with_output().unwrap();
    assert!(output.status.success(), "{output:?}");
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let joining = &report["joining"];
    assert_eq!(
        (&joining["expected"], &joining["seen"]),
        (&36.into(), &36.into()),
        "{report}"
    );
    assert_eq!(joining["same_node_ms"]["samples"], 12, "{report}");
    assert_eq!(joining["other_node_ms"]["samples"], 24, "{report}");
    let joins = &report["joins"];
    assert_eq!(joins["members_listed_last"], 15, "{report}");
    assert_eq!(joins["members_present"], 15, "{report}");
    let leaving = &report["leaving"];
    assert_eq!(leaving["members_broken"], 5, "{report}");
    assert_eq!(
        (&leaving["expected"], &leaving["seen"]),
        (&10.into(), &10.into()),
        "{report}"
    );
    assert_eq!(report["warnings"], serde_json::json!([]), "{report}");
}
