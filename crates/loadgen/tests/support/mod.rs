//! The real programs a load test needs — the sidecast binary, redis-server and the generator
//! itself — started on loopback ports the kernel picks and stopped by pid, even when a test
//! panics.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use serde_json::Value;

const STARTUP: Duration = Duration::from_secs(20);

/// The release sidecar: `$SIDECAST_BIN`, or `target/release/sidecast` of this workspace.
pub fn sidecast_bin() -> PathBuf {
    let path = std::env::var_os("SIDECAST_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/release/sidecast")
        });
    assert!(
        path.is_file(),
        "the sidecast binary is missing at {}: run `cargo build --release -p sidecast` first",
        path.display()
    );
    path
}

/// A child process whose output is collected; SIGTERM, then SIGKILL, when dropped.
pub struct Running {
    child: Child,
    output: Arc<Mutex<String>>,
}

impl Running {
    pub fn start(command: &mut Command) -> Self {
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {command:?}: {e}"));
        let output = Arc::new(Mutex::new(String::new()));
        let stdout = child.stdout.take().expect("piped");
        let stderr = child.stderr.take().expect("piped");
        collect(stdout, output.clone());
        collect(stderr, output.clone());
        Running { child, output }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn output(&self) -> String {
        self.output.lock().unwrap().clone()
    }

    /// Waits until the output contains `text` and returns the output so far; panics after
    /// the startup deadline or if the process exits first.
    pub fn wait_for(&mut self, text: &str) -> String {
        self.try_wait_for(text)
            .unwrap_or_else(|error| panic!("{error}"))
    }

    /// [`wait_for`](Running::wait_for), with the exit as an error.
    pub fn try_wait_for(&mut self, text: &str) -> Result<String, String> {
        let deadline = Instant::now() + STARTUP;
        loop {
            let output = self.output();
            if output.contains(text) {
                return Ok(output);
            }
            if let Some(status) = self.child.try_wait().unwrap() {
                return Err(format!(
                    "exited ({status}) before printing {text:?}:\n{output}"
                ));
            }
            assert!(
                Instant::now() < deadline,
                "no {text:?} within {STARTUP:?}:\n{output}"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_some() {
            return;
        }
        let _ = kill(Pid::from_raw(self.child.id() as i32), Signal::SIGTERM);
        let deadline = Instant::now() + Duration::from_secs(5);
        while self.child.try_wait().ok().flatten().is_none() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn collect(stream: impl Read + Send + 'static, output: Arc<Mutex<String>>) {
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines() {
            let Ok(line) = line else { break };
            let mut output = output.lock().unwrap();
            output.push_str(&line);
            output.push('\n');
        }
    });
}

/// A sidecast started in `dir` with socket `dir/s.sock`, on a port the kernel picked.
pub struct Sidecast {
    pub process: Running,
    pub url: String,
    pub socket: PathBuf,
}

impl Sidecast {
    /// `sidecast start` in `dir`, with `args` added; `ready` is the log line to wait for
    /// after "sidecast is listening" (such as Redis being subscribed).
    pub fn start(dir: &Path, args: &[&str], ready: Option<&str>) -> Self {
        let socket = dir.join("s.sock");
        let mut command = Command::new(sidecast_bin());
        command
            .current_dir(dir)
            .env("SIDECAST_LOG", "info")
            .args(["start", "--host", "127.0.0.1", "--port", "0", "--socket"])
            .arg(&socket)
            .args(args);
        let mut process = Running::start(&mut command);
        let log = process.wait_for("sidecast is listening");
        if let Some(ready) = ready {
            process.wait_for(ready);
        }
        let url = log
            .split_whitespace()
            .find_map(|field| field.strip_prefix("echo="))
            .and_then(|echo| echo.strip_suffix("/socket.io/"))
            .unwrap_or_else(|| panic!("no echo= address in the log:\n{log}"))
            .to_owned();
        Sidecast {
            process,
            url,
            socket,
        }
    }
}

/// A redis-server on a free loopback port, without persistence.
pub struct Redis {
    /// Stopped when the `Redis` is dropped.
    _process: Running,
    pub port: u16,
}

impl Redis {
    /// Tries three free ports: one may be taken between probing it and redis-server
    /// binding it, which makes redis-server exit instead of printing that it is ready.
    pub fn start() -> Self {
        let mut failures = Vec::new();
        for _ in 0..3 {
            let port = std::net::TcpListener::bind("127.0.0.1:0")
                .and_then(|listener| listener.local_addr())
                .expect("a free loopback port")
                .port();
            let mut process = Running::start(Command::new("redis-server").args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ]));
            match process.try_wait_for("Ready to accept connections") {
                Ok(_) => {
                    return Redis {
                        _process: process,
                        port,
                    };
                }
                Err(error) => failures.push(error),
            }
        }
        panic!("redis-server did not start:\n{}", failures.join("\n"));
    }
}

/// Runs `sidecast-loadgen run --json` with `args` and returns its report.
pub fn loadgen(args: &[&str]) -> Value {
    loadgen_command(&["run"], args)
}

/// Runs `sidecast-loadgen <command…> --json` with `args` and returns its report.
pub fn loadgen_command(command: &[&str], args: &[&str]) -> Value {
    let output = Command::new(env!("CARGO_BIN_EXE_sidecast-loadgen"))
        .args(command)
        .args(args)
        .arg("--json")
        .output()
        .expect("the generator runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the generator failed ({}):\n{stdout}{stderr}",
        output.status
    );
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("not one JSON report ({e}):\n{stdout}"))
}
