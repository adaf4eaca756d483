//! `sidecast health`: exit 0 when the sidecar at the socket is ready, 1 when it is not — for
//! Docker's `HEALTHCHECK` and images without curl. Ready is what `/ready` says (the sidecar
//! sends the same checks with its figures): not stopping, its socket file in place, and the
//! Redis it was told to use answering it. `--alive` asks only that it answers.

use std::process::ExitCode;

use super::exit;
use super::probe::{self, NotFound};
use crate::cli::HealthArgs;

pub fn run(args: HealthArgs) -> ExitCode {
    let socket = match probe::socket_for(&args.target) {
        Ok(socket) => socket,
        Err(error) => {
            eprintln!("unhealthy: {error}");
            return ExitCode::from(exit::FAILED);
        }
    };
    let found = match probe::find(&socket) {
        Ok(found) => found,
        Err(NotFound::NotListening(why) | NotFound::Unknown(why)) => {
            println!("unhealthy: {why}");
            return ExitCode::from(exit::FAILED);
        }
    };
    let answer: serde_json::Value = serde_json::from_str(&found.figures).unwrap_or_default();
    let problems = if args.alive {
        Vec::new()
    } else {
        problems(&answer["sidecar"])
    };
    if problems.is_empty() {
        println!("healthy (pid {}, socket {})", found.pid, socket.display());
        ExitCode::SUCCESS
    } else {
        println!("unhealthy: {}", problems.join("; "));
        ExitCode::from(exit::FAILED)
    }
}

/// What keeps the sidecar from being ready, by the readiness it sent with its figures.
fn problems(sidecar: &serde_json::Value) -> Vec<&'static str> {
    let Some(failing) = sidecar["readiness"]["failing"].as_array() else {
        return vec!["it sent no readiness (an older sidecar?)"];
    };
    failing
        .iter()
        .map(|check| match check.as_str() {
            Some("accepting") => "it is stopping",
            Some("unix_socket") => "its socket file was removed or replaced",
            Some("redis") => "not subscribed to Laravel's Redis",
            Some("cluster_redis") => "the cluster's Redis does not answer",
            _ => "a check failed",
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::problems;

    #[test]
    fn each_failing_check_is_named_plainly() {
        let ready = json!({ "readiness": { "ready": true, "failing": [] } });
        assert!(problems(&ready).is_empty());
        let failing =
            json!({ "readiness": { "failing": ["accepting", "redis", "cluster_redis"] } });
        assert_eq!(
            problems(&failing),
            [
                "it is stopping",
                "not subscribed to Laravel's Redis",
                "the cluster's Redis does not answer"
            ]
        );
        assert_eq!(
            problems(&json!({})),
            ["it sent no readiness (an older sidecar?)"]
        );
    }
}
