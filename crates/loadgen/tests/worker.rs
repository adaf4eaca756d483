//! A worker process (`sidecast-loadgen worker`) given bad or missing orders on stdin ends at
//! once with an error that says what was wrong, rather than waiting or connecting anyway.

use std::io::Write;
use std::process::{Command, Stdio};

/// Feeds `input` to a worker's stdin, closes it, and returns the worker's stderr; the worker
/// must have failed.
fn worker_given(input: &[u8]) -> String {
    let mut worker = Command::new(env!("CARGO_BIN_EXE_sidecast-loadgen"))
        .arg("worker")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the worker starts");
    let mut stdin = worker.stdin.take().unwrap();
    // A worker that rejects a line early may close its stdin before reading the rest.
    let _ = stdin.write_all(input);
    drop(stdin);
    let output = worker.wait_with_output().unwrap();
    assert!(
        !output.status.success(),
        "the worker succeeded on {input:?}"
    );
    assert!(output.stdout.is_empty(), "{:?}", output.stdout);
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// An assignment for 2 clients of a server nobody listens on (never reached in these tests).
fn assignment() -> String {
    r#"{"crowd":{"nodes":{"urls":["http://127.0.0.1:9"],"ingest":0},"protocol":{"SocketIo":"V3"},"transport":"WebSocket","clients":4,"channels":1,"events":10,"connect_concurrency":4,"connect_timeout":{"secs":5,"nanos":0},"silence_threshold":null,"share":{"index":1,"of":2}},"deadline":{"secs":30,"nanos":0}}"#.to_owned()
}

#[test]
fn no_assignment_at_all() {
    let stderr = worker_given(b"");
    assert!(stderr.contains("the run closed the pipe early"), "{stderr}");
}

#[test]
fn an_assignment_that_is_not_json() {
    for input in [&b"hello\n"[..], b"{\"crowd\":1}\n", b"\xff\xfe\n"] {
        let stderr = worker_given(input);
        assert!(stderr.contains("is not understood"), "{stderr}");
    }
}

#[test]
fn an_assignment_that_cannot_be_carried_out() {
    for (from, to) in [
        (r#""channels":1"#, r#""channels":0"#),
        (r#""index":1,"of":2"#, r#""index":2,"of":2"#),
        (r#""ingest":0"#, r#""ingest":1"#),
    ] {
        let assignment = assignment().replace(from, to);
        let stderr = worker_given(format!("{assignment}\n\"connect\"\n").as_bytes());
        assert!(stderr.contains("cannot be carried out"), "{to}: {stderr}");
    }
}

#[test]
fn a_line_longer_than_the_limit() {
    let stderr = worker_given(&vec![b'x'; (1 << 20) + 10]);
    assert!(stderr.contains("longer than 1048576 bytes"), "{stderr}");
}

#[test]
fn a_stop_before_the_clients_were_connected() {
    let stderr =
        worker_given(format!("{}\n{{\"stop\":{{\"published\":3}}}}\n", assignment()).as_bytes());
    assert!(stderr.contains("out of turn"), "{stderr}");
}

#[test]
fn input_ending_while_waiting_for_the_order_to_connect() {
    let stderr = worker_given(format!("{}\n", assignment()).as_bytes());
    assert!(stderr.contains("the run closed the pipe early"), "{stderr}");
}
