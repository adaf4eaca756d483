//! `client:add` and `client:remove`: edit the HTTP API clients of the config file in place,
//! keeping everything else in it (key order included) as it was.

use std::path::Path;
use std::process::ExitCode;

use serde_json::{Value, json};

use super::exit;
use crate::cli::{ClientAddArgs, ClientRemoveArgs};

pub fn add(args: ClientAddArgs) -> ExitCode {
    let path = args.file.path();
    let result = edit(&path, |clients| {
        let app_id = args.app_id.clone().unwrap_or_else(|| random_hex(8));
        let key = random_hex(16);
        let existing = clients
            .iter_mut()
            .find(|c| c.get("appId").and_then(Value::as_str) == Some(&app_id));
        let verb = match existing {
            Some(client) => {
                client["key"] = json!(key);
                "updated"
            }
            None => {
                clients.push(json!({ "appId": app_id, "key": key }));
                "added"
            }
        };
        Ok(format!("API client {verb}!\nappId: {app_id}\nkey: {key}"))
    });
    finish(result)
}

pub fn remove(args: ClientRemoveArgs) -> ExitCode {
    let path = args.file.path();
    let result = edit(&path, |clients| {
        let before = clients.len();
        clients.retain(|c| c.get("appId").and_then(Value::as_str) != Some(args.app_id.as_str()));
        if clients.len() == before {
            return Err(format!(
                "no API client with appId \"{}\" in {}",
                args.app_id,
                path.display()
            ));
        }
        Ok(format!("API client removed: {}", args.app_id))
    });
    finish(result)
}

/// Reads the file, lets `change` edit its `clients` list, writes it back.
fn edit(
    path: &Path,
    change: impl FnOnce(&mut Vec<Value>) -> Result<String, String>,
) -> Result<String, String> {
    // Validate first: a file sidecast would not start with is not edited.
    crate::config::read_file(path).map_err(|e| e.to_string())?;
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
    let mut config: Value =
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let object = config
        .as_object_mut()
        .ok_or_else(|| format!("{}: not an object", path.display()))?;
    let clients = object.entry("clients").or_insert_with(|| json!([]));
    let list = clients
        .as_array_mut()
        .ok_or_else(|| format!("{}: clients: expected a list", path.display()))?;
    let message = change(list)?;
    super::init::write_json(path, &config)?;
    Ok(message)
}

fn finish(result: Result<String, String>) -> ExitCode {
    match result {
        Ok(message) => {
            println!("{message}");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("Error: {error}");
            ExitCode::from(exit::FAILED)
        }
    }
}

/// `bytes` random bytes as hex, from the kernel's generator (laravel-echo-server used 8 for
/// app ids and 16 for keys).
pub fn random_hex(bytes: usize) -> String {
    use std::io::Read;
    let mut buffer = vec![0u8; bytes];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut urandom| urandom.read_exact(&mut buffer))
        .expect("/dev/urandom is readable on Linux");
    buffer.iter().map(|byte| format!("{byte:02x}")).collect()
}
