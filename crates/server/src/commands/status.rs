//! `sidecast status`: is a server running from this config file, or at the socket, and what
//! does it say?

use std::process::ExitCode;

use super::probe::{self, NotFound};
use super::{exit, lock};
use crate::cli::TargetArgs;

pub fn run(args: TargetArgs) -> ExitCode {
    let config_path = args.file.path();
    if let Some(pid) = lock::running_pid(&lock::path_for(&config_path)) {
        println!("running (pid {pid})");
        print_api_figures(&args);
        return ExitCode::SUCCESS;
    }
    let socket = match crate::config::socket_of(&args) {
        Ok(socket) => socket,
        Err(error) => {
            eprintln!("Error: {error}");
            return ExitCode::from(exit::FAILED);
        }
    };
    match probe::find(&socket) {
        Ok(found) => {
            println!("running (pid {}, socket {})", found.pid, socket.display());
            println!("{}", found.figures);
            ExitCode::SUCCESS
        }
        Err(NotFound::NotListening(why)) => {
            println!(
                "not running (no live server holds the lock of {}, and {why})",
                config_path.display()
            );
            ExitCode::from(exit::NOT_RUNNING)
        }
        Err(NotFound::Unknown(why)) => {
            eprintln!("Error: {why}");
            ExitCode::from(exit::FAILED)
        }
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
