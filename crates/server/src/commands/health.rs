//! `sidecast health`: exit 0 when the sidecar at the socket is ready, 1 when it is not — for
//! Docker's `HEALTHCHECK` and images without curl. Ready is what `/ready` says: it answers on
//! its Unix socket (so PHP reaches it), and the Redis it was told to use answers it.

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

/// What keeps the sidecar from being ready, by its census.
fn problems(sidecar: &serde_json::Value) -> Vec<&'static str> {
    let mut problems = Vec::new();
    if sidecar["redis"].is_object() && sidecar["redis"]["connected"] != true {
        problems.push("not subscribed to Laravel's Redis");
    }
    if sidecar["cluster"].is_object() && sidecar["cluster"]["reachable"] != true {
        problems.push("the cluster's Redis does not answer");
    }
    problems
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::problems;

    #[test]
    fn only_what_is_configured_and_down_is_a_problem() {
        assert!(problems(&json!({ "redis": null, "cluster": null })).is_empty());
        assert!(
            problems(&json!({ "redis": { "connected": true }, "cluster": { "reachable": true } }))
                .is_empty()
        );
        assert_eq!(
            problems(
                &json!({ "redis": { "connected": false }, "cluster": { "reachable": false } })
            ),
            [
                "not subscribed to Laravel's Redis",
                "the cluster's Redis does not answer"
            ]
        );
    }
}
