//! Where `sidecast start` gets its settings, lowest precedence first:
//!
//! 1. built-in defaults;
//! 2. `laravel-echo-server.json` in the working directory (or `--dir`, `--config`), with every
//!    key laravel-echo-server knows and sidecast's own `sidecast` section;
//! 3. laravel-echo-server's `LARAVEL_ECHO_SERVER_*` variables, from the environment or the
//!    working directory's `.env`;
//! 4. `SIDECAST_*` variables and command-line options.
//!
//! Without a config file, the defaults are sidecast's own: loopback only, no Redis, no HTTP
//! API. With one, they are laravel-echo-server's: its subscribers (HTTP API and Redis) are on
//! unless the file turns them off, and `"host": null` means every interface.

mod cluster;
mod dotenv;
mod echo_server;
mod fields;
mod front_ends;
mod lifecycle;
mod message_limit;
mod pusher;
mod pusher_apps;
mod sidecast_section;
mod socket;
mod sources;

use std::net::{SocketAddr, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::time::Duration;

pub use echo_server::EchoServerFile;
use thiserror::Error;

use crate::cli::{StartArgs, TargetArgs};
use crate::connections::HttpLimits;
use crate::server::{AdminSettings, Settings, TlsFiles};
use sidecast_ingest::IngestLimits;

#[derive(Debug, Error)]
pub enum ConfigError {
    #[error("{}: the config file could not be found", .0.display())]
    NotFound(PathBuf),
    #[error("{}: cannot read: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: {problem}", path.display())]
    Invalid { path: PathBuf, problem: String },
    #[error("{0}")]
    Environment(String),
    #[error("{0}")]
    Setting(String),
}

/// The settings, and what the file said that sidecast only notes.
#[derive(Debug)]
pub struct Loaded {
    pub settings: Settings,
    /// The config file used, if any (its lock file sits beside it).
    pub file: Option<PathBuf>,
    pub notices: Vec<String>,
    /// `devMode` or `--dev`: log at debug level.
    pub dev_mode: bool,
}

/// Reads the config file at `path`.
pub fn read_file(path: &Path) -> Result<EchoServerFile, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| match source.kind() {
        std::io::ErrorKind::NotFound => ConfigError::NotFound(path.to_owned()),
        _ => ConfigError::Read {
            path: path.to_owned(),
            source,
        },
    })?;
    EchoServerFile::parse(&text).map_err(|problem| ConfigError::Invalid {
        path: path.to_owned(),
        problem,
    })
}

/// The config file at `args` with laravel-echo-server's environment overrides applied, as
/// `start` reads it (for commands that need to find the running server).
pub fn read_with_env(args: &crate::cli::FileArgs) -> Result<EchoServerFile, ConfigError> {
    // `status` finds the server where `start` put it; SIDECAST_PORT wins as it does there.
    let sidecast_port = std::env::var("SIDECAST_PORT")
        .ok()
        .and_then(|port| port.parse().ok());
    let mut file = read_file(&args.path())?;
    let dotenv = dotenv::read(&args.dir(), &|name| std::env::var(name).ok())
        .map_err(ConfigError::Environment)?;
    file.apply_env(|name| {
        std::env::var(name)
            .ok()
            .or_else(|| dotenv.get(name).cloned())
    })
    .map_err(ConfigError::Environment)?;
    let dotenv_port = dotenv
        .get("SIDECAST_PORT")
        .and_then(|port| port.parse().ok());
    file.port = sidecast_port.or(dotenv_port).or(file.port);
    Ok(file)
}

/// The socket `start` would bind given the same directory, config file and SIDECAST_SOCKET
/// (the option, the environment or `.env`), for `status` and `stop` to find its server.
pub fn socket_of(target: &TargetArgs) -> Result<PathBuf, ConfigError> {
    if let Some(socket) = &target.socket {
        return Ok(socket.clone());
    }
    let dir = target.file.dir();
    let dotenv =
        dotenv::read(&dir, &|name| std::env::var(name).ok()).map_err(ConfigError::Environment)?;
    let from_file = match read_file(&target.file.path()) {
        Ok(file) => file.sidecast.socket,
        Err(ConfigError::NotFound(_)) if !target.file.explicit() => None,
        Err(error) => return Err(error),
    };
    let given = dotenv
        .get("SIDECAST_SOCKET")
        .filter(|value| !value.is_empty())
        .map(PathBuf::from);
    Ok(socket::path(given, from_file.as_deref(), &dir))
}

pub fn load(args: &StartArgs) -> Result<Loaded, ConfigError> {
    load_with(args, &|name| std::env::var(name).ok())
}

/// [`load`] with the process environment behind `environment`, so tests control it.
pub fn load_with(
    args: &StartArgs,
    environment: &dyn Fn(&str) -> Option<String>,
) -> Result<Loaded, ConfigError> {
    let path = args.file.path();
    let (mut file, used) = match read_file(&path) {
        Ok(file) => (file, Some(path)),
        Err(ConfigError::NotFound(_)) if !args.file.explicit() => (EchoServerFile::default(), None),
        Err(error) => return Err(error),
    };
    let dotenv = dotenv::read(&args.file.dir(), environment).map_err(ConfigError::Environment)?;
    file.apply_env(|name| environment(name).or_else(|| dotenv.get(name).cloned()))
        .map_err(ConfigError::Environment)?;
    let with_file = used.is_some();
    let own = &file.sidecast;
    // The options that also come from SIDECAST_* variables: clap has read the process
    // environment; these few are also taken from the working directory's .env, so that a
    // Laravel project's .env can give the sidecar and PHP the same socket.
    let args = &with_dotenv(args, &dotenv)?;

    // laravel-echo-server's default host is null: every interface. Without its file,
    // sidecast's own default is loopback only.
    let variables = |name: &str| {
        environment(name)
            .or_else(|| dotenv.get(name).cloned())
            .filter(|value| !value.is_empty())
    };
    // A Reverb or Soketi project's own address, where sidecast's is not given.
    let (peer_host, peer_port) = pusher::peer_address(&variables)?;
    let host = match (&args.host, &file.host) {
        (Some(host), _) => host.clone(),
        (None, Some(Some(host))) if !host.is_empty() => host.clone(),
        (None, _) if with_file => "0.0.0.0".to_owned(),
        (None, _) => peer_host.unwrap_or_else(|| "127.0.0.1".to_owned()),
    };
    let port = args.port.or(file.port).or(peer_port).unwrap_or(6001);
    let http_addr = resolve(&host, port)?;

    let socketio = front_ends::socketio(args, &file)?;
    let pusher = pusher::pusher(
        &args.pusher,
        &file.sidecast.pusher,
        &variables,
        socketio.client_events,
        socketio.origins.clone(),
    )?;

    let auth = sidecast_auth::Config {
        hosts: if !args.auth_hosts.is_empty() {
            args.auth_hosts.clone()
        } else {
            file.auth_hosts
                .clone()
                .unwrap_or_else(|| vec!["http://localhost".to_owned()])
                .into_iter()
                .map(|host| host.trim_end_matches('/').to_owned())
                .collect()
        },
        endpoint: args
            .auth_endpoint
            .clone()
            .or_else(|| file.auth_endpoint.clone())
            .unwrap_or_else(|| "/broadcasting/auth".to_owned()),
        timeout: match args.auth_timeout {
            Some(seconds) => Duration::from_secs_f64(seconds),
            None => Duration::from_secs(own.auth_timeout.unwrap_or(5)),
        },
        max_in_flight: pick(
            args.auth_max_in_flight.map(u64::from),
            own.auth_max_in_flight,
            64,
        ) as usize,
        max_in_flight_per_address: args
            .auth_max_per_address
            .map(u64::from)
            .or(own.auth_max_per_address)
            .map(|max| max as usize),
        verify_tls: !args.auth_insecure.or(own.auth_insecure).unwrap_or(false),
    };

    let max_frame_bytes = pick(
        args.max_frame_bytes.map(u64::from),
        own.max_frame_bytes,
        1024 * 1024,
    ) as usize;
    let redis = with_file
        .then(|| sources::laravel_redis(&file, max_frame_bytes))
        .flatten();
    let api = with_file
        .then(|| sources::http_api(&file, max_frame_bytes))
        .flatten();
    let cluster = cluster::cluster(
        args,
        &file,
        &variables,
        redis.as_ref().map(|source| source.key_prefix.as_str()),
        max_frame_bytes,
    )?;

    if let Some(pusher) = &pusher {
        pusher_apps::apart(
            &pusher.apps[1..],
            api.as_ref(),
            cluster.as_ref(),
            redis.as_ref(),
        )?;
    }

    let tls = match file.protocol.as_deref() {
        Some("https") => Some(TlsFiles {
            cert: required_path(&file.ssl_cert_path, "sslCertPath", &args.file.dir())?,
            key: required_path(&file.ssl_key_path, "sslKeyPath", &args.file.dir())?,
            chain: file
                .ssl_cert_chain_path
                .as_deref()
                .filter(|path| !path.is_empty())
                .map(|path| args.file.dir().join(path)),
            passphrase: file.ssl_passphrase.clone().filter(|p| !p.is_empty()),
        }),
        _ => None,
    };

    let socket_path = socket::path(args.socket.clone(), own.socket.as_deref(), &args.file.dir());
    let socket_access = socket::access(args, own)?;
    let mut ingest = IngestLimits::new(sidecast_wire::Limits { max_frame_bytes });
    if let Some(max) = args.max_publishers {
        ingest.max_publishers = max as usize;
    }
    let app_sockets = match &pusher {
        Some(pusher) => pusher_apps::sockets(&own.pusher.apps, &pusher.apps[0], &socket_path)?,
        None => Vec::new(),
    };

    let lifecycle = lifecycle::lifecycle(&args.lifecycle, pusher.as_ref())?;
    let dev_mode = args.dev || file.dev_mode == Some(true);
    let admin = AdminSettings {
        dev_mode,
        ..admin(&args.admin)?
    };

    Ok(Loaded {
        settings: Settings {
            http_addr,
            http_limits: HttpLimits {
                header_timeout: args.header_timeout.map_or(
                    HttpLimits::default().header_timeout,
                    Duration::from_secs_f64,
                ),
                max_connections: args.max_http_connections.map(|max| max as usize),
                max_per_address: args.max_connections_per_address.map(|max| max as usize),
            },
            socket_path,
            publisher_grace: Duration::from_secs_f64(args.publisher_grace.unwrap_or(1.0)),
            socket_access,
            app_sockets,
            ingest,
            socketio,
            pusher,
            auth,
            redis,
            api,
            cluster,
            tls,
            admin,
            lifecycle,
        },
        file: used,
        notices: file.notices,
        dev_mode,
    })
}

/// `args` with SIDECAST_SOCKET, SIDECAST_HOST, SIDECAST_PORT, SIDECAST_AUTH_HOST and
/// SIDECAST_ALLOWED_ORIGINS filled in from `.env` where neither an option nor the process
/// environment gave them.
fn with_dotenv(
    args: &StartArgs,
    dotenv: &std::collections::HashMap<String, String>,
) -> Result<StartArgs, ConfigError> {
    let mut args = args.clone();
    let get = |name: &str| dotenv.get(name).filter(|value| !value.is_empty());
    if args.socket.is_none() {
        args.socket = get("SIDECAST_SOCKET").map(PathBuf::from);
    }
    if args.host.is_none() {
        args.host = get("SIDECAST_HOST").cloned();
    }
    if args.port.is_none()
        && let Some(port) = get("SIDECAST_PORT")
    {
        args.port = Some(port.parse().map_err(|_| {
            ConfigError::Environment(format!(
                ".env: SIDECAST_PORT: expected a port number, found \"{port}\""
            ))
        })?);
    }
    if args.auth_hosts.is_empty()
        && let Some(hosts) = get("SIDECAST_AUTH_HOST")
    {
        args.auth_hosts = hosts.split(',').map(str::to_owned).collect();
    }
    if args.allowed_origins.is_empty()
        && let Some(origins) = get("SIDECAST_ALLOWED_ORIGINS")
    {
        args.allowed_origins = origins
            .split(',')
            .map(crate::cli::origin)
            .collect::<Result<_, _>>()
            .map_err(|e| {
                ConfigError::Environment(format!(".env: SIDECAST_ALLOWED_ORIGINS: {e}"))
            })?;
    }
    Ok(args)
}

/// The command line's value, else the file's, else the default.
fn pick(flag: Option<u64>, file: Option<u64>, default: u64) -> u64 {
    flag.or(file).unwrap_or(default)
}

fn setting(key: &'static str) -> impl Fn(String) -> ConfigError {
    move |problem| ConfigError::Setting(format!("{key}: {problem}"))
}

/// The admin listener and key, checked.
fn admin(args: &crate::cli::AdminArgs) -> Result<AdminSettings, ConfigError> {
    /// As short a key as the HTTP API's would be refused.
    const SHORTEST_KEY: usize = 16;
    let key = args.admin_key.clone().filter(|key| !key.is_empty());
    if key
        .as_ref()
        .is_some_and(|key| key.chars().count() < SHORTEST_KEY)
    {
        return Err(ConfigError::Setting(format!(
            "--admin-key (SIDECAST_ADMIN_KEY) must be {SHORTEST_KEY} characters at least; generate one with: openssl rand -hex 16"
        )));
    }
    let addr = match args.admin_port {
        Some(port) => Some(resolve(
            args.admin_host.as_deref().unwrap_or("127.0.0.1"),
            port,
        )?),
        None if args.admin_host.is_some() => {
            return Err(ConfigError::Setting(
                "--admin-host (SIDECAST_ADMIN_HOST) needs --admin-port (SIDECAST_ADMIN_PORT)"
                    .to_owned(),
            ));
        }
        None => None,
    };
    Ok(AdminSettings {
        addr,
        key,
        dev_mode: false,
    })
}

fn resolve(host: &str, port: u16) -> Result<SocketAddr, ConfigError> {
    (host, port)
        .to_socket_addrs()
        .ok()
        .and_then(|mut addresses| addresses.next())
        .ok_or_else(|| {
            ConfigError::Setting(format!(
                "host: \"{host}\" is not an address or a name this machine can resolve"
            ))
        })
}

fn required_path(value: &Option<String>, key: &str, dir: &Path) -> Result<PathBuf, ConfigError> {
    match value.as_deref() {
        Some(path) if !path.is_empty() => Ok(dir.join(path)),
        _ => Err(ConfigError::Setting(format!(
            "{key}: \"protocol\" is \"https\", so {key} must name a file"
        ))),
    }
}

#[cfg(test)]
mod tests;
