//! Answers to the questions PHP asks over the socket (`QUERY` frames): JSON, from the hub.

use serde_json::{Map, Value, json};
use sidecast_core::{ChannelKind, ChannelName, Hub};
use sidecast_wire::Question;

/// The answer as JSON, or the reason there is none.
pub fn answer(hub: &Hub, question: Question<'_>) -> Result<Value, String> {
    match question {
        Question::Channels { prefix } => {
            let channels: Map<String, Value> = hub
                .channels(prefix)
                .into_iter()
                .map(|(name, info)| {
                    let mut entry = json!({ "subscription_count": info.subscription_count });
                    if let Some(users) = info.user_count {
                        entry["user_count"] = json!(users);
                    }
                    (name.to_string(), entry)
                })
                .collect();
            Ok(json!({ "channels": channels }))
        }
        Question::Channel { name } => {
            let channel = ChannelName::new(name).map_err(|e| e.to_string())?;
            let info = hub.channel(&channel);
            let mut answer = json!({
                "subscription_count": info.subscription_count,
                "occupied": info.subscription_count > 0,
            });
            if channel.kind() == ChannelKind::Presence {
                answer["user_count"] = json!(info.user_count.unwrap_or(0));
            }
            Ok(answer)
        }
        Question::Members { channel } => {
            let channel = ChannelName::new(channel).map_err(|e| e.to_string())?;
            if channel.kind() != ChannelKind::Presence {
                return Err(format!("{channel} is not a presence channel"));
            }
            Ok(json!({ "members": hub.members(&channel) }))
        }
        Question::Stats => {
            let stats = hub.stats();
            Ok(json!({
                "connections": hub.connection_count(),
                "channels": hub.channels("").len(),
                "publications": stats.publications,
                "deliveries": stats.deliveries,
                "dropped": stats.dropped,
            }))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn questions_about_an_empty_hub_have_empty_answers() {
        let hub = Hub::new();
        assert_eq!(
            answer(&hub, Question::Channels { prefix: "" }).unwrap(),
            json!({ "channels": {} })
        );
        assert_eq!(
            answer(&hub, Question::Channel { name: "presence-x" }).unwrap(),
            json!({ "subscription_count": 0, "occupied": false, "user_count": 0 })
        );
        assert_eq!(
            answer(
                &hub,
                Question::Members {
                    channel: "presence-x"
                }
            )
            .unwrap(),
            json!({ "members": [] })
        );
        assert_eq!(
            answer(&hub, Question::Stats).unwrap()["connections"],
            json!(0)
        );
    }

    #[test]
    fn impossible_questions_get_a_reason() {
        let hub = Hub::new();
        assert_eq!(
            answer(&hub, Question::Members { channel: "orders" }).unwrap_err(),
            "orders is not a presence channel"
        );
        assert_eq!(
            answer(&hub, Question::Channel { name: "" }).unwrap_err(),
            "channel name is empty"
        );
    }
}
