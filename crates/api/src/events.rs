//! `POST /apps/{appId}/events` and Pusher's `POST /apps/{appId}/batch_events`: publishing over
//! HTTP.
//!
//! Takes laravel-echo-server's body, `{"channel": …, "name": …, "data": …, "socket_id": …}` with
//! `channels` instead of `channel` for several, and therefore also what Laravel's `pusher` and
//! `reverb` drivers send (`channels`, `name`, `data` as a JSON string, `socket_id`). A `data`
//! string is parsed as JSON when it is JSON, as laravel-echo-server did; Pusher clients get it
//! back as the same string. A batch is `{"batch": [event, …]}`, each with one `channel`.
//!
//! A signed event may ask for its channels' `info` (`"info": "user_count,subscription_count"`
//! in the body, as Pusher's SDKs send it): the answer is then
//! `{"channels": {"<name>": {…}}}` after publishing, and a batch's `{"batch": [{…}, …]}`, one
//! entry per event; the counts are gathered from every node of a cluster.

use axum::Json;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use futures_util::future::join_all;
use serde_json::{Map, Value, json};
use sidecast_core::metrics::Counter;
use sidecast_core::{Census, ChannelName, EventName, Origin, Payload, Publication, SocketId};

use crate::Failure;
use crate::access::{Admitted, Caller};
use crate::query::{Info, answer};

const INCOMPLETE: &str = "Event must include channel, event name and data";

/// Channels one event may name, as Pusher allows (Laravel's driver sends 100 at a time).
pub const MAX_CHANNELS: usize = 100;

/// Events one batch may hold, as Pusher allows.
pub const MAX_BATCH: usize = 10;

/// Events published through the API since start-up, for the server's census.
pub static PUBLISHED: Counter = Counter::new();

pub(crate) async fn publish(
    Path(app_id): Path<String>,
    admitted: Admitted,
) -> Result<Response, Failure> {
    let body = json_body(&admitted.body)?;
    let publication = parse(&body)?;
    // Read before publishing, so that a malformed `info` publishes nothing.
    let info = match admitted.caller {
        Caller::Pusher => info_asked(&body)?,
        Caller::EchoServer => None,
    };
    PUBLISHED.inc();
    let report = admitted.target.hub.publish(&publication);
    tracing::debug!(%app_id, event = %publication.event, delivered = report.delivered, "event published over HTTP");
    Ok(match (admitted.caller, info) {
        (Caller::EchoServer, _) => Json(json!({ "message": "ok" })).into_response(),
        (Caller::Pusher, None) => Json(json!({})).into_response(),
        (Caller::Pusher, Some(info)) => {
            let (attributes, missing_nodes) =
                channel_attributes(&*admitted.target.census, info, &publication.channels).await;
            let channels: Map<String, Value> = publication
                .channels
                .iter()
                .map(ChannelName::to_string)
                .zip(attributes)
                .collect();
            answer(missing_nodes, json!({ "channels": channels }))
        }
    })
}

/// The attributes `info` asks for of each channel, gathered at once (from every node of a
/// cluster), and how many nodes' parts are missing at most.
async fn channel_attributes(
    census: &dyn Census,
    info: Info,
    channels: &[ChannelName],
) -> (Vec<Value>, usize) {
    let gathered = join_all(channels.iter().map(|channel| census.channel(channel))).await;
    let missing_nodes = gathered.iter().map(|g| g.missing_nodes).max().unwrap_or(0);
    let attributes = channels
        .iter()
        .zip(gathered)
        .map(|(channel, gathered)| info.attributes(channel, gathered.value))
        .collect();
    (attributes, missing_nodes)
}

pub(crate) async fn publish_batch(
    Path(app_id): Path<String>,
    admitted: Admitted,
) -> Result<Response, Failure> {
    let bad = |message: String| Failure::new(StatusCode::BAD_REQUEST, message);
    if admitted.caller != Caller::Pusher {
        return Err(bad("batch_events takes Pusher-signed requests only".into()));
    }
    let body = json_body(&admitted.body)?;
    let Some(Value::Array(batch)) = body.get("batch") else {
        return Err(bad("the body must be {\"batch\": [events]}".into()));
    };
    if batch.len() > MAX_BATCH {
        return Err(bad(format!(
            "a batch holds at most {MAX_BATCH} events, not {}",
            batch.len()
        )));
    }
    // Every event is checked before any is published: a bad batch publishes nothing.
    let events = batch
        .iter()
        .enumerate()
        .map(|(index, event)| {
            let at =
                |Failure(status, message)| Failure(status, format!("batch[{index}]: {message}"));
            Ok((parse(event).map_err(at)?, info_asked(event).map_err(at)?))
        })
        .collect::<Result<Vec<_>, Failure>>()?;
    for (publication, _) in &events {
        PUBLISHED.inc();
        admitted.target.hub.publish(publication);
    }
    tracing::debug!(%app_id, events = events.len(), "batch published over HTTP");
    if events.iter().all(|(_, info)| info.is_none()) {
        return Ok(Json(json!({})).into_response());
    }
    let census = &*admitted.target.census;
    let asked = events.iter().map(|(publication, info)| async move {
        match info {
            // A batch event names one channel.
            Some(info) => channel_attributes(census, *info, &publication.channels[..1]).await,
            None => (vec![json!({})], 0),
        }
    });
    let answers = join_all(asked).await;
    let missing_nodes = answers
        .iter()
        .map(|(_, missing)| *missing)
        .max()
        .unwrap_or(0);
    let batch: Vec<Value> = answers.into_iter().flat_map(|(values, _)| values).collect();
    Ok(answer(missing_nodes, json!({ "batch": batch })))
}

/// The `info` an event asks for, if it asks for any it knows.
fn info_asked(event: &Value) -> Result<Option<Info>, Failure> {
    match event.get("info") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(list)) => Ok(Some(Info::listed(list)).filter(|info| info.any())),
        Some(_) => Err(Failure::new(
            StatusCode::BAD_REQUEST,
            "info must be a comma-separated string, such as \"user_count,subscription_count\""
                .to_owned(),
        )),
    }
}

/// What the handlers read of a body before acting on it: the event, its `info`, a batch.
pub(crate) fn read_for_fuzzing(body: &[u8]) {
    let Ok(body) = json_body(body) else {
        return;
    };
    let _ = parse(&body);
    let _ = info_asked(&body);
    if let Some(Value::Array(batch)) = body.get("batch") {
        for event in batch.iter().take(MAX_BATCH) {
            let _ = parse(event);
            let _ = info_asked(event);
        }
    }
}

fn json_body(body: &[u8]) -> Result<Value, Failure> {
    serde_json::from_slice(body).map_err(|e| {
        Failure::new(
            StatusCode::BAD_REQUEST,
            format!("the body is not JSON: {e}"),
        )
    })
}

fn parse(body: &Value) -> Result<Publication, Failure> {
    let bad = |message: String| Failure::new(StatusCode::BAD_REQUEST, message);
    let channels: Vec<&str> = match (body.get("channels"), body.get("channel")) {
        (Some(Value::Array(list)), _) => list
            .iter()
            .map(|channel| {
                channel
                    .as_str()
                    .ok_or_else(|| bad("channels must be strings".into()))
            })
            .collect::<Result<_, _>>()?,
        (None, Some(Value::String(channel))) => vec![channel.as_str()],
        _ => return Err(bad(INCOMPLETE.into())),
    };
    let (Some(Value::String(name)), Some(data)) = (body.get("name"), body.get("data")) else {
        return Err(bad(INCOMPLETE.into()));
    };
    if channels.is_empty() {
        return Err(bad(INCOMPLETE.into()));
    }
    if channels.len() > MAX_CHANNELS {
        return Err(bad(format!(
            "an event may name at most {MAX_CHANNELS} channels, not {}",
            channels.len()
        )));
    }
    let payload = match data {
        Value::String(text) => serde_json::from_str::<Value>(text)
            .map(|parsed| Payload::from_value(&parsed))
            .unwrap_or_else(|_| Payload::from_value(data)),
        other => Payload::from_value(other),
    };
    let except = match body.get("socket_id") {
        None | Some(Value::Null) => None,
        Some(Value::String(id)) if id.is_empty() => None,
        Some(Value::String(id)) => {
            Some(SocketId::new(id).map_err(|e| bad(format!("socket_id: {e}")))?)
        }
        Some(_) => return Err(bad("socket_id must be a string".into())),
    };
    Ok(Publication {
        channels: channels
            .into_iter()
            .map(|name| ChannelName::new(name).map_err(|e| bad(e.to_string())))
            .collect::<Result<_, _>>()?,
        event: EventName::new(name).map_err(|e| bad(e.to_string()))?,
        payload,
        except,
        origin: Origin::ThisNode,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(body: &[u8]) -> Result<Publication, Failure> {
        super::parse(&json_body(body)?)
    }

    #[test]
    fn laravel_echo_server_bodies_and_pusher_driver_bodies_are_understood() {
        let les =
            parse(br#"{"channel":"orders","name":"Shipped","data":{"id":1},"socket_id":"s1"}"#)
                .unwrap();
        assert_eq!(les.channels[0].as_str(), "orders");
        assert_eq!(les.payload.as_str(), r#"{"id":1}"#);
        assert_eq!(les.except.as_ref().map(SocketId::as_str), Some("s1"));

        let pusher = parse(br#"{"name":"App\\Events\\Shipped","data":"{\"id\":2}","channels":["a","private-b"],"socket_id":null}"#).unwrap();
        assert_eq!(pusher.channels.len(), 2);
        assert_eq!(pusher.payload.as_str(), r#"{"id":2}"#);
        assert!(pusher.except.is_none());

        let text = parse(br#"{"channel":"a","name":"E","data":"just text"}"#).unwrap();
        assert_eq!(text.payload.as_str(), r#""just text""#);
    }

    #[test]
    fn incomplete_and_malformed_bodies_are_400_with_a_reason() {
        for (body, reason) in [
            (&b"{"[..], "the body is not JSON"),
            (br#"{"name":"E","data":{}}"#, INCOMPLETE),
            (br#"{"channel":"a","data":{}}"#, INCOMPLETE),
            (br#"{"channel":"a","name":"E"}"#, INCOMPLETE),
            (br#"{"channels":[],"name":"E","data":{}}"#, INCOMPLETE),
            (
                br#"{"channels":[1],"name":"E","data":{}}"#,
                "channels must be strings",
            ),
            (
                br#"{"channel":"","name":"E","data":{}}"#,
                "channel name is empty",
            ),
            (
                br#"{"channel":"a","name":"E","data":{},"socket_id":7}"#,
                "socket_id must be a string",
            ),
            (
                format!(
                    r#"{{"channels":{},"name":"E","data":{{}}}}"#,
                    serde_json::to_string(&vec!["c"; 101]).unwrap()
                )
                .leak()
                .as_bytes(),
                "an event may name at most 100 channels",
            ),
        ] {
            let Failure(status, message) = parse(body).unwrap_err();
            assert_eq!(status, StatusCode::BAD_REQUEST);
            assert!(message.starts_with(reason), "{message}");
        }
    }
}
