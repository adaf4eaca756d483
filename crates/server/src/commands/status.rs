//! `sidecast status`: is a server running from this config file, or at the socket, and what
//! does it say?

use std::path::Path;
use std::process::ExitCode;

use super::probe::{self, Found, NotFound};
use super::{exit, lock, summary};
use crate::cli::{StatusArgs, TargetArgs};

pub fn run(StatusArgs { target: args, json }: StatusArgs) -> ExitCode {
    let config_path = args.file.path();
    let socket = match probe::socket_for(&args) {
        Ok(socket) => socket,
        Err(error) => {
            eprintln!("Error: {error}");
            return ExitCode::from(exit::FAILED);
        }
    };
    let not_found = match probe::find(&socket) {
        Ok(found) => {
            print_figures(&found, &socket, json);
            return ExitCode::SUCCESS;
        }
        Err(not_found) => not_found,
    };
    // Running from this config file, but not answering at the socket: the HTTP API may.
    if let Some(pid) = lock::running_pid(&lock::path_for(&config_path)) {
        println!("running (pid {pid})");
        let (NotFound::NotListening(why) | NotFound::Unknown(why)) = &not_found;
        println!("its socket does not answer: {why}");
        print_api_figures(&args);
        return ExitCode::SUCCESS;
    }
    match not_found {
        NotFound::NotListening(why) => {
            println!(
                "not running (no live server holds the lock of {}, and {why})",
                config_path.display()
            );
            ExitCode::from(exit::NOT_RUNNING)
        }
        NotFound::Unknown(why) => {
            eprintln!("Error: {why}");
            ExitCode::from(exit::FAILED)
        }
    }
}

/// The running sidecar's answer: a summary, or the whole JSON for scripts.
fn print_figures(found: &Found, socket: &Path, json: bool) {
    let mut answer: serde_json::Value = serde_json::from_str(&found.figures).unwrap_or_default();
    if json {
        answer["pid"] = found.pid.into();
        answer["socket"] = socket.display().to_string().into();
        println!("{answer}");
    } else {
        println!("{}", summary::render(found.pid, socket, &answer));
    }
}

/// The figures of laravel-echo-server's HTTP API, asked of the server its config file
/// describes, as laravel-echo-server's users know them.
fn print_api_figures(args: &TargetArgs) {
    let file = match crate::config::read_with_env(&args.file) {
        Ok(file) => file,
        Err(error) => {
            eprintln!("cannot ask it for details: {error}");
            return;
        }
    };
    let Some(client) = file.clients.first() else {
        println!("(add an HTTP API client with `sidecast client:add` to see its figures here)");
        return;
    };
    // The lock says the server runs on this machine, so it is asked over loopback, whatever
    // address it listens on for clients; the API key never leaves the machine.
    let scheme = file.protocol.as_deref().unwrap_or("http");
    let url = format!(
        "{scheme}://127.0.0.1:{}/apps/{}/status",
        file.port.unwrap_or(6001),
        client.app_id
    );
    match ask(&url, &client.key) {
        Ok(figures) => println!("{figures}"),
        Err(error) => eprintln!("it does not answer at {url}: {error}"),
    }
}
fn ask(url: &str, key: &str) -> Result<String, String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(async {
        let client = reqwest::Client::builder()
            .no_proxy()
            // Loopback only: the certificate names the server's public host, not 127.0.0.1,
            // and nothing on the way can read the key.
            .danger_accept_invalid_certs(true)
            .timeout(std::time::Duration::from_secs(5))
            .build()
            .map_err(|e| e.to_string())?;
        let response = client
            .get(url)
            .bearer_auth(key)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let status = response.status();
        let body = response.text().await.map_err(|e| e.to_string())?;
        if status.is_success() {
            Ok(body)
        } else {
            Err(format!("HTTP {status}: {body}"))
        }
    })
}
