//! `sidecast init`: laravel-echo-server's questions, in its order, and the file it wrote.
//! Options answer questions in advance; `--yes` takes the defaults for the rest and asks
//! nothing. Answers are read line by line, so they can also be piped in.

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use serde::Serialize;
use serde_json::{Value, json};

use super::clients::random_hex;
use super::exit;
use crate::cli::InitArgs;

const DEFAULT_HEADERS: &str = "Origin, Content-Type, X-Auth-Token, X-Requested-With, Accept, Authorization, X-CSRF-TOKEN, X-Socket-Id";

pub fn run(args: InitArgs) -> ExitCode {
    let stdin = std::io::stdin();
    let mut ask = Asker {
        input: stdin.lock(),
        output: std::io::stdout(),
        quiet: args.yes,
    };
    match write(&args, &mut ask) {
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

fn write<R: BufRead, W: Write>(args: &InitArgs, ask: &mut Asker<R, W>) -> Result<String, String> {
    let dev_mode = ask.confirm(
        "Do you want to run this server in development mode?",
        args.dev_mode,
        false,
    )?;
    let port = ask.text(
        "Which port would you like to serve from?",
        args.port.map(|p| p.to_string()),
        "6001",
    )?;
    port.parse::<u16>()
        .ok()
        .filter(|port| *port > 0)
        .ok_or_else(|| format!("\"{port}\" is not a port number"))?;
    // laravel-echo-server wrote `"host": null`, every interface, and turned its Redis
    // subscriber on; sidecast asks, and keeps to this machine and its own socket by default.
    let host = ask.text(
        "Which address should it listen on (127.0.0.1: this machine only, behind a proxy; 0.0.0.0: every interface)?",
        args.host.clone(),
        "127.0.0.1",
    )?;
    let redis = ask.confirm(
        "Do you want it to subscribe to Laravel's redis broadcaster (for an app that keeps BROADCAST_DRIVER=redis)?",
        args.redis,
        false,
    )?;
    let database = ask.choice(
        "Which database would you like to use to store presence channel members?",
        args.database.clone(),
        &["redis", "sqlite"],
    )?;
    let auth_host = ask.text(
        "Enter the host of your Laravel authentication server.",
        args.auth_host.clone(),
        "http://localhost",
    )?;
    let protocol = ask.choice(
        "Will you be serving on http or https?",
        args.protocol.clone(),
        &["http", "https"],
    )?;
    let (mut cert, mut key) = (String::new(), String::new());
    if protocol == "https" {
        cert = ask.text(
            "Enter the path to your SSL cert file.",
            args.ssl_cert_path.clone(),
            "",
        )?;
        key = ask.text(
            "Enter the path to your SSL key file.",
            args.ssl_key_path.clone(),
            "",
        )?;
    }
    let add_client = ask.confirm(
        "Do you want to generate a client ID/Key for HTTP API?",
        args.add_client,
        false,
    )?;
    let cors = ask.confirm(
        "Do you want to setup cross domain access to the API?",
        args.cors_allow,
        false,
    )?;
    let (mut origin, mut methods, mut headers) = (String::new(), String::new(), String::new());
    if cors {
        origin = ask.text(
            "Specify the URI that may access the API:",
            args.allow_origin.clone(),
            "http://localhost:80",
        )?;
        methods = ask.text(
            "Enter the HTTP methods that are allowed for CORS:",
            args.allow_methods.clone(),
            "GET, POST",
        )?;
        headers = ask.text(
            "Enter the HTTP headers that are allowed for CORS:",
            args.allow_headers.clone(),
            DEFAULT_HEADERS,
        )?;
    }
    let file = ask.text(
        "What do you want this config to be saved as?",
        args.config.as_ref().map(|p| p.display().to_string()),
        "laravel-echo-server.json",
    )?;

    let path = args
        .dir
        .clone()
        .unwrap_or_else(|| PathBuf::from("."))
        .join(&file);
    if path.exists()
        && !args.force
        && !ask.confirm(
            &format!("{} exists. Overwrite it?", path.display()),
            None,
            false,
        )?
    {
        return Err(format!(
            "{} exists; not overwritten (use --force)",
            path.display()
        ));
    }

    let mut clients = Vec::new();
    let mut report = String::new();
    if add_client {
        let (app_id, key) = (random_hex(8), random_hex(16));
        report = format!("appId: {app_id}\nkey: {key}\n");
        clients.push(json!({ "appId": app_id, "key": key }));
    }
    let config = json!({
        "authHost": auth_host,
        "authEndpoint": "/broadcasting/auth",
        "clients": clients,
        "database": database,
        "databaseConfig": {
            "redis": {},
            "sqlite": { "databasePath": "/database/laravel-echo-server.sqlite" }
        },
        "devMode": dev_mode,
        "host": host,
        "port": port,
        "protocol": protocol,
        "socketio": {},
        "secureOptions": 67108864,
        "sslCertPath": cert,
        "sslKeyPath": key,
        "sslCertChainPath": "",
        "sslPassphrase": "",
        "subscribers": { "http": true, "redis": redis },
        "apiOriginAllow": {
            "allowCors": cors,
            "allowOrigin": origin,
            "allowMethods": methods,
            "allowHeaders": headers
        }
    });
    write_json(&path, &config)?;
    let start = if file == "laravel-echo-server.json" {
        "sidecast start".to_owned()
    } else {
        format!("sidecast start --config \"{file}\"")
    };
    Ok(format!(
        "{report}Configuration file saved to {}. Run {start} to run the server.",
        path.display()
    ))
}

/// Writes `value` as laravel-echo-server did, tab-indented JSON, but safely: the file holds
/// API keys, so a new one is readable by its owner only (an edited one keeps its mode), and it
/// is replaced in one step, so a server starting meanwhile never reads half a file.
pub fn write_json(path: &Path, value: &Value) -> Result<(), String> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};

    let mut text = Vec::new();
    let formatter = serde_json::ser::PrettyFormatter::with_indent(b"\t");
    let mut serializer = serde_json::Serializer::with_formatter(&mut text, formatter);
    value
        .serialize(&mut serializer)
        .map_err(|e| e.to_string())?;
    text.push(b'\n');

    let cannot = |e: std::io::Error| format!("cannot write {}: {e}", path.display());
    let mode = std::fs::metadata(path).map_or(0o600, |m| m.permissions().mode() & 0o777);
    let temporary = path.with_extension(format!("json.tmp-{}", std::process::id()));
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(&temporary)
        .and_then(|mut file| file.write_all(&text).and_then(|()| file.sync_all()))
        .and_then(|()| std::fs::rename(&temporary, path));
    if let Err(error) = written {
        let _ = std::fs::remove_file(&temporary);
        return Err(cannot(error));
    }
    Ok(())
}

/// Asks on `output`, reads answers from `input`; an answer given in advance is not asked for.
struct Asker<R, W> {
    input: R,
    output: W,
    /// `--yes`: take defaults instead of asking.
    quiet: bool,
}

impl<R: BufRead, W: Write> Asker<R, W> {
    fn line(&mut self, question: &str) -> Result<String, String> {
        write!(self.output, "? {question} ")
            .and_then(|()| self.output.flush())
            .map_err(|e| e.to_string())?;
        let mut answer = String::new();
        let read = self
            .input
            .read_line(&mut answer)
            .map_err(|e| e.to_string())?;
        if read == 0 {
            return Err(format!(
                "no answer to \"{question}\" (input ended; use --yes and options to answer in advance)"
            ));
        }
        Ok(answer.trim().to_owned())
    }

    fn text(
        &mut self,
        question: &str,
        given: Option<String>,
        default: &str,
    ) -> Result<String, String> {
        if let Some(given) = given {
            return Ok(given);
        }
        if self.quiet {
            return Ok(default.to_owned());
        }
        let answer = self.line(&format!("{question} ({default})"))?;
        Ok(if answer.is_empty() {
            default.to_owned()
        } else {
            answer
        })
    }

    fn confirm(
        &mut self,
        question: &str,
        given: Option<bool>,
        default: bool,
    ) -> Result<bool, String> {
        if let Some(given) = given {
            return Ok(given);
        }
        if self.quiet {
            return Ok(default);
        }
        loop {
            let hint = if default { "(Y/n)" } else { "(y/N)" };
            match self
                .line(&format!("{question} {hint}"))?
                .to_ascii_lowercase()
                .as_str()
            {
                "" => return Ok(default),
                "y" | "yes" => return Ok(true),
                "n" | "no" => return Ok(false),
                _ => writeln!(self.output, "  Please answer y or n.").map_err(|e| e.to_string())?,
            }
        }
    }

    fn choice(
        &mut self,
        question: &str,
        given: Option<String>,
        choices: &[&str],
    ) -> Result<String, String> {
        if let Some(given) = given {
            return Ok(given);
        }
        if self.quiet {
            return Ok(choices[0].to_owned());
        }
        loop {
            let answer = self.line(&format!(
                "{question} [{}] ({})",
                choices.join("/"),
                choices[0]
            ))?;
            if answer.is_empty() {
                return Ok(choices[0].to_owned());
            }
            if let Some(choice) = choices.iter().find(|c| c.eq_ignore_ascii_case(&answer)) {
                return Ok((*choice).to_owned());
            }
            writeln!(
                self.output,
                "  Please answer one of: {}.",
                choices.join(", ")
            )
            .map_err(|e| e.to_string())?;
        }
    }
}
