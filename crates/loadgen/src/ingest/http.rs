//! The HTTP API of laravel-echo-server and sidecast: `POST /apps/{appId}/events` with
//! `{"channel":…,"name":…,"data":{…}}` and the client's key as a Bearer token.

use super::IngestError;

#[derive(Debug)]
pub struct HttpPublisher {
    client: reqwest::Client,
    events_url: String,
    authorization: String,
}

impl HttpPublisher {
    pub fn new(events_url: &str, key: &str) -> Result<Self, IngestError> {
        Ok(HttpPublisher {
            // One kept-alive connection is reused for every event.
            client: reqwest::Client::builder().build()?,
            events_url: events_url.to_owned(),
            authorization: format!("Bearer {key}"),
        })
    }

    pub async fn publish(
        &mut self,
        channel: &str,
        event: &str,
        data: &str,
    ) -> Result<(), IngestError> {
        let response = self
            .client
            .post(&self.events_url)
            .header("Authorization", &self.authorization)
            .header("Content-Type", "application/json")
            .body(body(channel, event, data))
            .send()
            .await?;
        accepted(response).await
    }
}

/// Whether the server took the event: a success status, read to the end so that the
/// connection can carry the next request; otherwise the status and what the server said.
pub(super) async fn accepted(response: reqwest::Response) -> Result<(), IngestError> {
    let status = response.status();
    if !status.is_success() {
        return Err(IngestError::HttpStatus {
            status: status.as_u16(),
            body: response.text().await.unwrap_or_default(),
        });
    }
    response.bytes().await?;
    Ok(())
}

/// The request body; `data` is sent as a JSON object, which both servers pass on unchanged.
fn body(channel: &str, event: &str, data: &str) -> String {
    format!(
        r#"{{"channel":{},"name":{},"data":{data}}}"#,
        serde_json::Value::from(channel),
        serde_json::Value::from(event)
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_body_is_laravel_echo_servers() {
        let body = super::body("orders", "Tick", r#"{"seq":1}"#);
        assert_eq!(
            body,
            r#"{"channel":"orders","name":"Tick","data":{"seq":1}}"#
        );
        let escaped = super::body(r#"a"b"#, r"App\Tick", "{}");
        let value: serde_json::Value = serde_json::from_str(&escaped).unwrap();
        assert_eq!(value["channel"], r#"a"b"#);
        assert_eq!(value["name"], r"App\Tick");
    }
}
