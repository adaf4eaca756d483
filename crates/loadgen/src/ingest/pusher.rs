//! The Pusher HTTP API, as Laravel's `pusher` and `reverb` drivers publish through
//! pusher-http-php: `POST /apps/{appId}/events` with `{"name","channel","data"}`, the data a
//! JSON string, the request signed with the app's secret. Sidecast (for its Pusher app),
//! Reverb, Soketi and Sockudo all take it.

use std::time::{SystemTime, UNIX_EPOCH};

use hmac::{Hmac, KeyInit, Mac};
use md5::{Digest, Md5};
use sha2::Sha256;

use super::IngestError;
use super::http::accepted;

#[derive(Debug)]
pub struct PusherPublisher {
    client: reqwest::Client,
    events_url: String,
    /// The URL's path, `/apps/{appId}/events`, which the signature covers.
    path: String,
    key: String,
    secret: String,
}

impl PusherPublisher {
    pub fn new(events_url: &str, key: &str, secret: &str) -> Result<Self, IngestError> {
        let after_scheme = events_url.split_once("://").map_or(events_url, |(_, r)| r);
        let path = after_scheme
            .find('/')
            .map_or("/", |slash| &after_scheme[slash..]);
        Ok(PusherPublisher {
            // One kept-alive connection is reused for every event.
            client: reqwest::Client::builder().build()?,
            events_url: events_url.to_owned(),
            path: path.to_owned(),
            key: key.to_owned(),
            secret: secret.to_owned(),
        })
    }

    pub async fn publish(
        &mut self,
        channel: &str,
        event: &str,
        data: &str,
    ) -> Result<(), IngestError> {
        let body = body(channel, event, data);
        let query = signed_query(&self.path, &self.key, &self.secret, &body, unix_now());
        let response = self
            .client
            .post(format!("{}?{query}", self.events_url))
            .header("Content-Type", "application/json")
            .body(body)
            .send()
            .await?;
        accepted(response).await
    }
}

/// The request body: Pusher's event fields, with the data as a JSON string.
fn body(channel: &str, event: &str, data: &str) -> String {
    serde_json::json!({"name": event, "channel": channel, "data": data}).to_string()
}

/// The query string of a signed POST to `path` carrying `body`, at `timestamp`: the
/// parameters in key order (which is also the order they are signed in), then the signature,
/// the hex HMAC-SHA256 of `POST\n{path}\n{parameters}` with the secret.
fn signed_query(path: &str, key: &str, secret: &str, body: &str, timestamp: u64) -> String {
    let body_md5 = hex(&Md5::digest(body.as_bytes()));
    let params =
        format!("auth_key={key}&auth_timestamp={timestamp}&auth_version=1.0&body_md5={body_md5}");
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes a key of any size");
    mac.update(format!("POST\n{path}\n{params}").as_bytes());
    let signature = hex(&mac.finalize().into_bytes());
    format!("{params}&auth_signature={signature}")
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_body_carries_the_data_as_a_string() {
        let value: serde_json::Value =
            serde_json::from_str(&body("orders", "Tick", r#"{"seq":1}"#)).unwrap();
        assert_eq!(
            value,
            serde_json::json!({"name": "Tick", "channel": "orders", "data": "{\"seq\":1}"})
        );
    }

    /// The example of Pusher's HTTP API reference ("Generating authentication signatures"):
    /// app 3, key 278d425bdf160c739803, secret 7ad3773142a6692b25b8, this body at
    /// 1353088179 is signed da454824c97ba181a32ccc17a72625ba02771f50b50e1e7430e47a1f3f457e6c.
    #[test]
    fn the_signature_matches_pushers_documented_example() {
        let body = r#"{"name":"foo","channels":["project-3"],"data":"{\"some\":\"data\"}"}"#;
        let query = signed_query(
            "/apps/3/events",
            "278d425bdf160c739803",
            "7ad3773142a6692b25b8",
            body,
            1353088179,
        );
        assert_eq!(
            query,
            "auth_key=278d425bdf160c739803&auth_timestamp=1353088179&auth_version=1.0\
             &body_md5=ec365a775a4cd0599faeb73354201b6f\
             &auth_signature=da454824c97ba181a32ccc17a72625ba02771f50b50e1e7430e47a1f3f457e6c"
        );
    }

    #[test]
    fn the_signed_path_is_the_urls() {
        let publisher =
            PusherPublisher::new("http://127.0.0.1:6001/prefix/apps/1/events", "k", "s").unwrap();
        assert_eq!(publisher.path, "/prefix/apps/1/events");
    }
}
