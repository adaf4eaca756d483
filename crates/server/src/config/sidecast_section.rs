//! Sidecast's own section of `laravel-echo-server.json`, under `sidecast`: its own settings,
//! scale-out (`sidecast.cluster`) and the Pusher app (`sidecast.pusher`), read as strictly as the
//! rest of the file.

use super::fields::{Fields, KeyError, Result};

/// Sidecast's own settings, under the `sidecast` key.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct SidecastSection {
    pub socket: Option<String>,
    pub socket_owner: Option<String>,
    pub socket_group: Option<String>,
    pub socket_mode: Option<String>,
    pub max_frame_bytes: Option<u64>,
    pub client_buffer: Option<u64>,
    pub client_buffer_bytes: Option<u64>,
    pub auth_timeout: Option<u64>,
    pub auth_max_in_flight: Option<u64>,
    pub auth_max_per_address: Option<u64>,
    pub auth_insecure: Option<bool>,
    pub allowed_origins: Option<Vec<String>>,
    pub client_event_max_bytes: Option<u64>,
    pub client_events_per_second: Option<u64>,
    pub client_event_burst: Option<u64>,
    pub cluster: ClusterSection,
    pub pusher: PusherSection,
}

/// Scale-out, under `sidecast.cluster`; times in milliseconds.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct ClusterSection {
    /// A Redis URL, or "databaseConfig" for `databaseConfig.redis`.
    pub redis: Option<String>,
    pub prefix: Option<String>,
    pub heartbeat_ms: Option<u64>,
    pub dead_after_ms: Option<u64>,
    pub sweep_every_ms: Option<u64>,
    pub survey_timeout_ms: Option<u64>,
    pub buffer_messages: Option<u64>,
    pub buffer_bytes: Option<u64>,
    pub buffer_max_age_ms: Option<u64>,
}

/// The Pusher front end, under `sidecast.pusher`: the first app and the settings every app
/// shares unless it sets its own, and the other apps; times in seconds, as Reverb's settings
/// are.
#[derive(Default, Clone, PartialEq)]
pub struct PusherSection {
    pub app_id: Option<String>,
    pub key: Option<String>,
    pub secret: Option<String>,
    pub path: Option<String>,
    pub settings: AppSettingsSection,
    pub apps: Vec<AppSection>,
}

/// The settings an app may have of its own: under `sidecast.pusher`, every app's unless it
/// sets its own in its entry of `sidecast.pusher.apps`.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct AppSettingsSection {
    pub activity_timeout: Option<u64>,
    pub ping_interval: Option<u64>,
    pub max_message_bytes: Option<u64>,
    pub max_connections: Option<u64>,
    pub subscription_count: Option<bool>,
    pub message_limit: Option<u64>,
    pub message_limit_window: Option<u64>,
    pub message_limit_terminate: Option<bool>,
}

/// One more app, an entry of `sidecast.pusher.apps`: its id, key and secret, and the
/// settings it does not share with the others.
#[derive(Default, Clone, PartialEq)]
pub struct AppSection {
    pub app_id: String,
    pub key: String,
    pub secret: String,
    pub allowed_origins: Option<Vec<String>>,
    pub client_events: Option<bool>,
    /// A Unix socket of the app's own, for its PHP to publish to.
    pub socket: Option<String>,
    pub settings: AppSettingsSection,
}

/// The secret never reaches a log line.
impl std::fmt::Debug for PusherSection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PusherSection")
            .field("app_id", &self.app_id)
            .field("key", &self.key)
            .field("path", &self.path)
            .field("apps", &self.apps)
            .finish_non_exhaustive()
    }
}

/// The secret never reaches a log line.
impl std::fmt::Debug for AppSection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppSection")
            .field("app_id", &self.app_id)
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

impl SidecastSection {
    pub(super) fn read(mut own: Fields<'_>) -> Result<Self> {
        let section = SidecastSection {
            socket: own.string("socket")?,
            socket_owner: own.string("socketOwner")?,
            socket_group: own.string("socketGroup")?,
            socket_mode: own.string("socketMode")?,
            max_frame_bytes: own.number("maxFrameBytes", 64..=16 * 1024 * 1024)?,
            client_buffer: own.number("clientBuffer", 16..=1_000_000)?,
            client_buffer_bytes: own.number("clientBufferBytes", 65_536..=1_073_741_824)?,
            auth_timeout: own.number("authTimeout", 1..=3600)?,
            auth_max_in_flight: own.number("authMaxInFlight", 1..=100_000)?,
            auth_max_per_address: own.number("authMaxPerAddress", 1..=100_000)?,
            auth_insecure: own.bool("authInsecure")?,
            allowed_origins: own.strings("allowedOrigins")?,
            client_event_max_bytes: own.number("clientEventMaxBytes", 16..=1024 * 1024)?,
            client_events_per_second: own.number("clientEventsPerSecond", 1..=100_000)?,
            client_event_burst: own.number("clientEventBurst", 1..=100_000)?,
            cluster: match own.object("cluster")? {
                Some(cluster) => cluster_section(cluster)?,
                None => ClusterSection::default(),
            },
            pusher: match own.object("pusher")? {
                Some(pusher) => pusher_section(pusher)?,
                None => PusherSection::default(),
            },
        };
        own.finish()?;
        Ok(section)
    }
}

fn cluster_section(mut fields: Fields<'_>) -> Result<ClusterSection> {
    let ms = 1..=3_600_000;
    let section = ClusterSection {
        redis: fields.string("redis")?,
        prefix: fields.string("prefix")?,
        heartbeat_ms: fields.number("heartbeatMs", ms.clone())?,
        dead_after_ms: fields.number("deadAfterMs", ms.clone())?,
        sweep_every_ms: fields.number("sweepEveryMs", ms.clone())?,
        survey_timeout_ms: fields.number("surveyTimeoutMs", ms.clone())?,
        buffer_messages: fields.number("bufferMessages", 1..=10_000_000)?,
        buffer_bytes: fields.number("bufferBytes", 1024..=1024 * 1024 * 1024)?,
        buffer_max_age_ms: fields.number("bufferMaxAgeMs", ms)?,
    };
    fields.finish()?;
    Ok(section)
}

fn pusher_section(mut fields: Fields<'_>) -> Result<PusherSection> {
    let apps_path = fields.path("apps");
    let apps = fields
        .array("apps")?
        .map(|apps| {
            apps.iter()
                .enumerate()
                .map(|(index, app)| app_section(Fields::of(app, &format!("{apps_path}[{index}]"))?))
                .collect::<Result<Vec<_>>>()
        })
        .transpose()?
        .unwrap_or_default();
    let section = PusherSection {
        app_id: fields.string("appId")?,
        key: fields.string("key")?,
        secret: fields.string("secret")?,
        path: fields.string("path")?,
        settings: app_settings(&mut fields)?,
        apps,
    };
    fields.finish()?;
    Ok(section)
}

fn app_section(mut fields: Fields<'_>) -> Result<AppSection> {
    let mut required = |key| {
        fields.string(key)?.ok_or_else(|| KeyError {
            key: fields.path(key),
            problem: "every app needs an appId, a key and a secret".into(),
        })
    };
    let app_id = required("appId")?;
    let key = required("key")?;
    let secret = required("secret")?;
    let section = AppSection {
        app_id,
        key,
        secret,
        allowed_origins: fields.strings("allowedOrigins")?,
        client_events: fields.bool("clientEvents")?,
        socket: fields.string("socket")?,
        settings: app_settings(&mut fields)?,
    };
    fields.finish()?;
    Ok(section)
}

fn app_settings(fields: &mut Fields<'_>) -> Result<AppSettingsSection> {
    Ok(AppSettingsSection {
        activity_timeout: fields.number("activityTimeout", 1..=3600)?,
        ping_interval: fields.number("pingInterval", 1..=3600)?,
        max_message_bytes: fields.number("maxMessageBytes", 256..=16 * 1024 * 1024)?,
        max_connections: fields.number("maxConnections", 1..=u64::from(u32::MAX))?,
        subscription_count: fields.bool("subscriptionCount")?,
        message_limit: fields.number("messageLimit", 1..=u64::from(u32::MAX))?,
        message_limit_window: fields.number("messageLimitWindow", 1..=3600)?,
        message_limit_terminate: fields.bool("messageLimitTerminate")?,
    })
}
