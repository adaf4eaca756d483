//! `sidecast status`: is a server running from this config file, and what does it say?

use std::process::ExitCode;

use super::{exit, lock};
use crate::cli::FileArgs;

pub fn run(args: FileArgs) -> ExitCode {
    let config_path = args.path();
    let Some(pid) = lock::running_pid(&lock::path_for(&config_path)) else {
        println!(
            "not running (no live server holds the lock of {})",
            config_path.display()
        );
        return ExitCode::from(exit::NOT_RUNNING);
    };
    println!("running (pid {pid})");
    let file = match crate::config::read_with_env(&args) {
        Ok(file) => file,
        Err(error) => {
            eprintln!("cannot ask it for details: {error}");
            return ExitCode::SUCCESS;
        }
    };
    let Some(client) = file.clients.first() else {
        println!("(add an HTTP API client with `sidecast client:add` to see its figures here)");
        return ExitCode::SUCCESS;
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
    ExitCode::SUCCESS
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
