//! The ways in that laravel-echo-server's file turns on: Laravel's `redis` broadcaster and
//! the HTTP API. Both are on unless the file's `subscribers` turns them off.

use super::EchoServerFile;

/// Laravel's `redis` broadcaster, from `databaseConfig.redis`; messages up to
/// `max_message_bytes`, as on the other ways in.
pub(super) fn laravel_redis(
    file: &EchoServerFile,
    max_message_bytes: usize,
) -> Option<sidecast_ingest::redis::RedisSource> {
    (file.subscribers.redis != Some(false)).then(|| sidecast_ingest::redis::RedisSource {
        host: file
            .redis
            .host
            .clone()
            .unwrap_or_else(|| "127.0.0.1".to_owned()),
        port: file.redis.port.unwrap_or(6379),
        password: file.redis.password.clone().filter(|p| !p.is_empty()),
        db: file.redis.db.unwrap_or(0),
        key_prefix: file.redis.key_prefix.clone().unwrap_or_default(),
        max_message_bytes,
    })
}

/// The HTTP API, with the file's `clients` and `apiOriginAllow`.
pub(super) fn http_api(
    file: &EchoServerFile,
    max_body_bytes: usize,
) -> Option<sidecast_api::Config> {
    let cors = &file.api_origin_allow;
    (file.subscribers.http != Some(false)).then(|| sidecast_api::Config {
        clients: file
            .clients
            .iter()
            .map(|client| sidecast_api::Client {
                app_id: client.app_id.clone(),
                key: client.key.clone(),
            })
            .collect(),
        cors: (cors.allow_cors == Some(true)).then(|| sidecast_api::Cors {
            allow_origin: cors.allow_origin.clone().unwrap_or_default(),
            allow_methods: cors.allow_methods.clone().unwrap_or_default(),
            allow_headers: cors.allow_headers.clone().unwrap_or_default(),
        }),
        max_body_bytes,
        // The Pusher app, if any, is added where the server is put together.
        signed_apps: Vec::new(),
    })
}
