//! `laravel-echo-server.json`: every key laravel-echo-server knows, plus sidecast's own
//! `sidecast` section, read strictly. A key of the wrong type or one sidecast does not know is
//! an error naming the key; keys that only made sense to Node are accepted and reported.

use serde_json::Value;

use super::fields::{Fields, KeyError, Result};
use super::sidecast_section::SidecastSection;

/// The shortest HTTP API key accepted: anyone who guesses a key may publish to any channel,
/// private ones included.
pub const MIN_CLIENT_KEY_LEN: usize = 16;

/// What the file says; `None` where it says nothing.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct EchoServerFile {
    pub auth_hosts: Option<Vec<String>>,
    pub auth_endpoint: Option<String>,
    pub clients: Vec<ApiClient>,
    pub database: Option<String>,
    pub redis: RedisOptions,
    pub dev_mode: Option<bool>,
    /// `Some(None)`: `"host": null`, which laravel-echo-server took as every interface.
    pub host: Option<Option<String>>,
    pub port: Option<u16>,
    pub protocol: Option<String>,
    pub ssl_cert_path: Option<String>,
    pub ssl_key_path: Option<String>,
    pub ssl_cert_chain_path: Option<String>,
    pub ssl_passphrase: Option<String>,
    pub socketio: SocketIoOptions,
    pub subscribers: Subscribers,
    pub api_origin_allow: ApiOriginAllow,
    pub sidecast: SidecastSection,
    /// Things the file sets that sidecast accepts but does not act on.
    pub notices: Vec<String>,
}

/// An HTTP API client: `Authorization: Bearer <key>` or `?auth_key=<key>` for `/apps/<appId>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiClient {
    pub app_id: String,
    pub key: String,
}

#[derive(Debug, Default, Clone, PartialEq)]
pub struct RedisOptions {
    pub host: Option<String>,
    pub port: Option<u16>,
    pub password: Option<String>,
    pub db: Option<i64>,
    pub key_prefix: Option<String>,
}

#[derive(Debug, Default, Clone, PartialEq)]
pub struct SocketIoOptions {
    pub ping_interval_ms: Option<u64>,
    pub ping_timeout_ms: Option<u64>,
    pub max_http_buffer_size: Option<u64>,
    /// socket.io 2's `origins`: `*:*` or a list of `scheme://host:port`.
    pub origins: Option<Vec<String>>,
}

#[derive(Debug, Default, Clone, PartialEq)]
pub struct Subscribers {
    pub http: Option<bool>,
    pub redis: Option<bool>,
}

#[derive(Debug, Default, Clone, PartialEq)]
pub struct ApiOriginAllow {
    pub allow_cors: Option<bool>,
    pub allow_origin: Option<String>,
    pub allow_methods: Option<String>,
    pub allow_headers: Option<String>,
}

impl EchoServerFile {
    pub fn parse(text: &str) -> std::result::Result<Self, String> {
        let value: Value =
            serde_json::from_str(text).map_err(|e| format!("not valid JSON: {e}"))?;
        Self::from_value(&value).map_err(|KeyError { key, problem }| format!("{key}: {problem}"))
    }

    fn from_value(value: &Value) -> Result<Self> {
        let mut top = Fields::of(value, "")?;
        let mut file = EchoServerFile {
            auth_hosts: top.strings("authHost")?,
            auth_endpoint: top.string("authEndpoint")?,
            dev_mode: top.bool("devMode")?,
            port: top.number("port", 1..=65535)?.map(|port| port as u16),
            ssl_cert_path: top.string("sslCertPath")?,
            ssl_key_path: top.string("sslKeyPath")?,
            ssl_cert_chain_path: top.string("sslCertChainPath")?,
            ssl_passphrase: top.string("sslPassphrase")?,
            ..EchoServerFile::default()
        };
        file.host = match top.value("host") {
            None => None,
            Some(Value::Null) => Some(None),
            Some(_) => Some(top.string("host")?),
        };
        file.protocol = top.string("protocol")?;
        if let Some(protocol) = &file.protocol
            && protocol != "http"
            && protocol != "https"
        {
            return Err(KeyError {
                key: "protocol".into(),
                problem: format!("expected \"http\" or \"https\", found \"{protocol}\""),
            });
        }
        file.database = top.string("database")?;
        match file.database.as_deref() {
            None => {}
            Some("redis") => file.notices.push(
                "database \"redis\": presence members are kept in sidecast's memory (in the cluster's Redis when sidecars form a cluster: docs/scaling.md)".into(),
            ),
            Some("sqlite") => file.notices.push(
                "database \"sqlite\": presence members are kept in sidecast's memory; no SQLite file is used".into(),
            ),
            Some(other) => {
                return Err(KeyError {
                    key: "database".into(),
                    problem: format!("expected \"redis\" or \"sqlite\", found \"{other}\""),
                });
            }
        }
        if let Some(clients) = top.array("clients")? {
            for (index, client) in clients.iter().enumerate() {
                let mut fields = Fields::of(client, &format!("clients[{index}]"))?;
                let app_id = required(fields.string("appId")?, &fields.path("appId"))?;
                let key = required(fields.string("key")?, &fields.path("key"))?;
                if key.trim().len() < MIN_CLIENT_KEY_LEN {
                    return Err(KeyError {
                        key: fields.path("key"),
                        problem: format!(
                            "an API key must be at least {MIN_CLIENT_KEY_LEN} characters (`sidecast client:add` makes one of 32)"
                        ),
                    });
                }
                fields.finish()?;
                file.clients.push(ApiClient { app_id, key });
            }
        }
        if let Some(mut database) = top.object("databaseConfig")? {
            if let Some(mut redis) = database.object("redis")? {
                file.redis = RedisOptions {
                    host: redis.string("host")?,
                    port: redis.number("port", 1..=65535)?.map(|port| port as u16),
                    password: redis.string("password")?,
                    db: redis.number("db", 0..=65535)?.map(|db| db as i64),
                    key_prefix: redis.string("keyPrefix")?,
                };
                redis.finish()?;
            }
            if let Some(mut sqlite) = database.object("sqlite")? {
                sqlite.string("databasePath")?;
                sqlite.finish()?;
            }
            if database.bool("publishPresence")? == Some(true) {
                return Err(KeyError {
                    key: "databaseConfig.publishPresence".into(),
                    problem: "publishing presence changes to Redis is not supported; the app hears members join and leave as Laravel events instead (--listener with php artisan sidecast:listen, or --webhook-url; docs/lifecycle-events.md); remove it or set it to false".into(),
                });
            }
            database.finish()?;
        }
        if let Some(mut socketio) = top.object("socketio")? {
            file.socketio = SocketIoOptions {
                ping_interval_ms: socketio.number("pingInterval", 1..=3_600_000)?,
                ping_timeout_ms: socketio.number("pingTimeout", 1..=3_600_000)?,
                max_http_buffer_size: socketio.number("maxHttpBufferSize", 1..=64 * 1024 * 1024)?,
                origins: socketio
                    .string("origins")?
                    .map(|list| list.split_whitespace().map(str::to_owned).collect()),
            };
            socketio.finish()?;
        }
        if top.value("secureOptions").is_some() {
            file.notices.push("secureOptions: Node.js TLS flags have no meaning here; TLS 1.2 and 1.3 are offered".into());
        }
        if let Some(mut subscribers) = top.object("subscribers")? {
            file.subscribers = Subscribers {
                http: subscribers.bool("http")?,
                redis: subscribers.bool("redis")?,
            };
            subscribers.finish()?;
        }
        if let Some(mut cors) = top.object("apiOriginAllow")? {
            file.api_origin_allow = ApiOriginAllow {
                allow_cors: cors.bool("allowCors")?,
                allow_origin: cors.string("allowOrigin")?,
                allow_methods: cors.string("allowMethods")?,
                allow_headers: cors.string("allowHeaders")?,
            };
            cors.finish()?;
        }
        if let Some(own) = top.object("sidecast")? {
            file.sidecast = SidecastSection::read(own)?;
        }
        top.finish()?;
        Ok(file)
    }

    /// Applies laravel-echo-server's environment overrides (`LARAVEL_ECHO_SERVER_PORT` and the
    /// rest), read from the process and the working directory's `.env`. A value containing
    /// `${NAME}` is replaced by the variable `NAME`, as laravel-echo-server did.
    pub fn apply_env(
        &mut self,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> std::result::Result<(), String> {
        let get = |name: &str| {
            let value = lookup(name).filter(|v| !v.is_empty())?;
            match value.find("${").zip(value.find('}')) {
                Some((start, end)) if end > start + 2 => lookup(&value[start + 2..end]),
                _ => Some(value),
            }
        };
        if let Some(host) = get("LARAVEL_ECHO_SERVER_AUTH_HOST") {
            self.auth_hosts = Some(vec![host]);
        }
        if let Some(debug) = get("LARAVEL_ECHO_SERVER_DEBUG") {
            self.dev_mode = Some(debug == "true");
        }
        if let Some(host) = get("LARAVEL_ECHO_SERVER_HOST") {
            self.host = Some(Some(host));
        }
        if let Some(port) = get("LARAVEL_ECHO_SERVER_PORT") {
            self.port = Some(port.parse().map_err(|_| {
                format!("LARAVEL_ECHO_SERVER_PORT: expected a port number, found \"{port}\"")
            })?);
        }
        if let Some(host) = get("LARAVEL_ECHO_SERVER_REDIS_HOST") {
            self.redis.host = Some(host);
        }
        if let Some(port) = get("LARAVEL_ECHO_SERVER_REDIS_PORT") {
            self.redis.port = Some(port.parse().map_err(|_| {
                format!("LARAVEL_ECHO_SERVER_REDIS_PORT: expected a port number, found \"{port}\"")
            })?);
        }
        if let Some(password) = get("LARAVEL_ECHO_SERVER_REDIS_PASSWORD") {
            self.redis.password = Some(password);
        }
        if let Some(protocol) = get("LARAVEL_ECHO_SERVER_PROTO") {
            if protocol != "http" && protocol != "https" {
                return Err(format!(
                    "LARAVEL_ECHO_SERVER_PROTO: expected \"http\" or \"https\", found \"{protocol}\""
                ));
            }
            self.protocol = Some(protocol);
        }
        for (name, slot) in [
            ("LARAVEL_ECHO_SERVER_SSL_CERT", &mut self.ssl_cert_path),
            ("LARAVEL_ECHO_SERVER_SSL_KEY", &mut self.ssl_key_path),
            (
                "LARAVEL_ECHO_SERVER_SSL_CHAIN",
                &mut self.ssl_cert_chain_path,
            ),
            ("LARAVEL_ECHO_SERVER_SSL_PASS", &mut self.ssl_passphrase),
        ] {
            if let Some(value) = get(name) {
                *slot = Some(value);
            }
        }
        Ok(())
    }
}

fn required(value: Option<String>, key: &str) -> Result<String> {
    value.ok_or_else(|| KeyError {
        key: key.to_owned(),
        problem: "missing; expected a string".into(),
    })
}

#[cfg(test)]
mod tests;
