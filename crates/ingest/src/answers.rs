//! Answers to the questions PHP asks over the socket (`QUERY` frames): JSON, from the census
//! (this node's hub, or the cluster's nodes gathered).
//!
//! An answer that lacks some nodes' part carries `"missing_nodes": n`, so the caller knows
//! the counts may be low.

use std::future::Future;
use std::sync::Arc;

use serde_json::{Map, Value, json};
use sidecast_core::{Census, ChannelKind, ChannelName, Gathered};
use sidecast_wire::Question;

use crate::Report;

/// The answer as JSON, or the reason there is none. The question is read at once (it borrows
/// the frame); the answer may come later.
pub fn answer(
    census: Arc<dyn Census>,
    report: Option<Report>,
    question: Question<'_>,
) -> impl Future<Output = Result<Value, String>> + Send + 'static {
    let asked = Asked::read(question);
    async move {
        match asked? {
            Asked::Channels { prefix } => {
                let gathered = census.channels(&prefix).await;
                Ok(with_missing(gathered.missing_nodes, {
                    let channels: Map<String, Value> = gathered
                        .value
                        .into_iter()
                        .map(|(name, info)| {
                            let mut entry =
                                json!({ "subscription_count": info.subscription_count });
                            if let Some(users) = info.user_count {
                                entry["user_count"] = json!(users);
                            }
                            (name.to_string(), entry)
                        })
                        .collect();
                    json!({ "channels": channels })
                }))
            }
            Asked::Channel { channel } => {
                let Gathered {
                    value: info,
                    missing_nodes,
                } = census.channel(&channel).await;
                let mut answer = json!({
                    "subscription_count": info.subscription_count,
                    "occupied": info.subscription_count > 0,
                });
                if channel.kind() == ChannelKind::Presence {
                    answer["user_count"] = json!(info.user_count.unwrap_or(0));
                }
                Ok(with_missing(missing_nodes, answer))
            }
            Asked::Members { channel } => {
                let gathered = census.members(&channel).await;
                Ok(with_missing(
                    gathered.missing_nodes,
                    json!({ "members": gathered.value }),
                ))
            }
            Asked::Stats => {
                let Gathered {
                    value: totals,
                    missing_nodes,
                } = census.totals().await;
                let mut answer = json!({
                    "connections": totals.connections,
                    "channels": totals.channels,
                    "publications": totals.stats.publications,
                    "deliveries": totals.stats.deliveries,
                    "dropped": totals.stats.dropped,
                    "nodes": totals.nodes,
                });
                if let Some(cluster) = totals.cluster {
                    answer["cluster"] = json!(cluster);
                }
                // The whole process's census: every app, every way in, this node only.
                if let Some(report) = report {
                    answer["sidecar"] = report().await;
                }
                Ok(with_missing(missing_nodes, answer))
            }
        }
    }
}

/// A question with its argument checked and owned.
enum Asked {
    Channels { prefix: String },
    Channel { channel: ChannelName },
    Members { channel: ChannelName },
    Stats,
}

impl Asked {
    fn read(question: Question<'_>) -> Result<Self, String> {
        let channel = |name: &str| ChannelName::new(name).map_err(|e| e.to_string());
        Ok(match question {
            Question::Channels { prefix } => Asked::Channels {
                prefix: prefix.to_owned(),
            },
            Question::Channel { name } => Asked::Channel {
                channel: channel(name)?,
            },
            Question::Members { channel: name } => {
                let channel = channel(name)?;
                if channel.kind() != ChannelKind::Presence {
                    return Err(format!("{channel} is not a presence channel"));
                }
                Asked::Members { channel }
            }
            Question::Stats => Asked::Stats,
        })
    }
}

fn with_missing(missing_nodes: usize, mut answer: Value) -> Value {
    if missing_nodes > 0 {
        answer["missing_nodes"] = json!(missing_nodes);
    }
    answer
}

#[cfg(test)]
mod tests {
    use sidecast_core::Hub;

    use super::*;

    async fn ask(question: Question<'_>) -> Result<Value, String> {
        answer(Arc::new(Hub::new()), None, question).await
    }

    #[tokio::test]
    async fn questions_about_an_empty_hub_have_empty_answers() {
        assert_eq!(
            ask(Question::Channels { prefix: "" }).await.unwrap(),
            json!({ "channels": {} })
        );
        assert_eq!(
            ask(Question::Channel { name: "presence-x" }).await.unwrap(),
            json!({ "subscription_count": 0, "occupied": false, "user_count": 0 })
        );
        assert_eq!(
            ask(Question::Members {
                channel: "presence-x"
            })
            .await
            .unwrap(),
            json!({ "members": [] })
        );
        let stats = ask(Question::Stats).await.unwrap();
        assert_eq!(
            (&stats["connections"], &stats["nodes"]),
            (&json!(0), &json!(1))
        );
    }

    #[tokio::test]
    async fn impossible_questions_get_a_reason() {
        assert_eq!(
            ask(Question::Members { channel: "orders" })
                .await
                .unwrap_err(),
            "orders is not a presence channel"
        );
        assert_eq!(
            ask(Question::Channel { name: "" }).await.unwrap_err(),
            "channel name is empty"
        );
    }

    #[test]
    fn an_answer_lacking_nodes_says_how_many() {
        assert_eq!(
            with_missing(2, json!({ "members": [] })),
            json!({ "members": [], "missing_nodes": 2 })
        );
        assert_eq!(with_missing(0, json!({})), json!({}));
    }
}
