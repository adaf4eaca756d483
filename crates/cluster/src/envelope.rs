//! What nodes tell each other over the bus: one JSON object per Redis message.
//!
//! The bus carries events, not frames of a client protocol, so every front end shares it.
//! JSON, so that `redis-cli SUBSCRIBE` shows it and the payload travels as the raw JSON it was
//! checked as at ingest, never re-parsed. A message names its node and, when it went to every
//! node, a sequence number per node: receivers skip what they already had and count what
//! they missed.
//!
//! ```json
//! {"v":1,"node":"k2m…","seq":18342,"ts":1767225600123,
//!  "body":{"publish":{"channels":["orders.1"],"event":"OrderShipped","data":{"id":1},"except":null}}}
//! ```

use serde::{Deserialize, Serialize};
use serde_json::Value;
use serde_json::value::RawValue;
use sidecast_core::{ChannelName, EventName, Member, Payload, SocketId, StatsSnapshot};

/// The version of this format; a message of another version is skipped.
pub(crate) const VERSION: u8 = 1;

#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Envelope {
    pub(crate) v: u8,
    /// The node that sent it.
    pub(crate) node: String,
    /// Its number among what this node sent to every node; absent on replies to one node.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) seq: Option<u64>,
    /// When it was sent, in milliseconds since the epoch by the sender's clock.
    pub(crate) ts: u64,
    pub(crate) body: Body,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Body {
    /// An event that entered at the sending node.
    Publish {
        channels: Vec<String>,
        event: String,
        data: Box<RawValue>,
        #[serde(default)]
        except: Option<String>,
    },
    /// A client event from a socket of the sending node.
    Whisper {
        channel: String,
        event: String,
        data: Box<RawValue>,
        from: String,
        #[serde(default)]
        sender: Option<MemberWire>,
    },
    /// A presence channel's roster changed, to version `ver` of its epoch `epoch`.
    Presence {
        channel: String,
        epoch: u64,
        ver: u64,
        change: Change,
    },
    /// A question to every node, answered to the asking node's own channel.
    Survey {
        id: u64,
        question: Question,
    },
    Reply {
        id: u64,
        answer: Answer,
    },
    /// The sending node is stopping; its presence members have been removed.
    Bye {},
    /// Close the connections signed in as `user` (the HTTP API's `terminate_connections`
    /// reached the sending node, which closed its own).
    Terminate {
        user: String,
    },
    /// The sending node's subscription counts (`sidecast_core::CountReport`); a whole report
    /// too long for one message is sent as several, the first of them `whole`.
    Counts {
        counts: Vec<(String, usize)>,
        #[serde(default)]
        whole: bool,
        #[serde(default)]
        ask_whole: bool,
    },
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Change {
    Joined { member: MemberWire },
    Left { user: String },
}

/// A presence member as it travels: what the app said of the user.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct MemberWire {
    user_id: Value,
    user_info: Box<RawValue>,
}

impl MemberWire {
    pub(crate) fn of(member: &Member) -> Self {
        MemberWire {
            user_id: member.user_id().clone(),
            user_info: member.user_info().to_owned(),
        }
    }

    pub(crate) fn into_member(self) -> Result<Member, String> {
        Member::new(self.user_id, self.user_info).map_err(|e| e.to_string())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Question {
    /// This node's occupied channels starting with `prefix`, with their subscriber counts.
    Channels { prefix: String },
    /// This node's subscribers of one channel.
    Channel { name: String },
    /// This node's connections, occupied channels and counters.
    Totals,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Answer {
    Channels {
        channels: Vec<(String, usize)>,
    },
    Channel {
        subscription_count: usize,
    },
    Totals {
        connections: usize,
        /// The node's occupied channels, to count each once across nodes; at most
        /// `MAX_LISTED_CHANNELS` of them, `channel_count` says how many there are.
        channels: Vec<String>,
        channel_count: usize,
        publications: u64,
        deliveries: u64,
        dropped: u64,
    },
}

/// Channel names one node lists in its totals: the answer stays far below the bus's message
/// limit. Past it, channels are counted once per node they are on.
pub(crate) const MAX_LISTED_CHANNELS: usize = 10_000;

impl Answer {
    pub(crate) fn totals(
        connections: usize,
        mut channels: Vec<String>,
        stats: StatsSnapshot,
    ) -> Self {
        let channel_count = channels.len();
        channels.truncate(MAX_LISTED_CHANNELS);
        Answer::Totals {
            connections,
            channels,
            channel_count,
            publications: stats.publications,
            deliveries: stats.deliveries,
            dropped: stats.dropped,
        }
    }
}

/// Checked names, for what came in over the bus.
pub(crate) fn channel(name: &str) -> Result<ChannelName, String> {
    ChannelName::new(name).map_err(|e| e.to_string())
}

pub(crate) fn event(name: &str) -> Result<EventName, String> {
    EventName::new(name).map_err(|e| e.to_string())
}

pub(crate) fn socket(id: &str) -> Result<SocketId, String> {
    SocketId::new(id).map_err(|e| e.to_string())
}

pub(crate) fn payload(data: Box<RawValue>) -> Payload {
    Payload::from_raw(data)
}

impl Envelope {
    pub(crate) fn encode(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("an envelope always serializes")
    }

    /// Reads a message from the bus; a foreign or malformed one is refused with the reason.
    pub(crate) fn decode(bytes: &[u8]) -> Result<Self, String> {
        let envelope: Envelope =
            serde_json::from_slice(bytes).map_err(|e| format!("not a cluster message: {e}"))?;
        if envelope.v != VERSION {
            return Err(format!(
                "a cluster message of version {} (this node speaks {VERSION})",
                envelope.v
            ));
        }
        Ok(envelope)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(json: &str) -> Box<RawValue> {
        RawValue::from_string(json.to_owned()).unwrap()
    }

    #[test]
    fn a_publication_round_trips_with_its_payload_untouched() {
        let sent = Envelope {
            v: VERSION,
            node: "n1".into(),
            seq: Some(7),
            ts: 1,
            body: Body::Publish {
                channels: vec!["orders".into()],
                event: "Shipped".into(),
                data: raw(r#"{"id": 1, "list":[1,2]}"#),
                except: Some("abc".into()),
            },
        };
        let bytes = sent.encode();
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert!(text.contains(r#""data":{"id": 1, "list":[1,2]}"#), "{text}");
        let Envelope {
            seq,
            body: Body::Publish { data, except, .. },
            ..
        } = Envelope::decode(&bytes).unwrap()
        else {
            panic!("a publication")
        };
        assert_eq!(
            (seq, data.get(), except.as_deref()),
            (Some(7), r#"{"id": 1, "list":[1,2]}"#, Some("abc"))
        );
    }

    #[test]
    fn a_presence_change_carries_the_member() {
        let member = Member::new(5.into(), raw(r#"{"name":"Ann"}"#)).unwrap();
        let bytes = Envelope {
            v: VERSION,
            node: "n1".into(),
            seq: Some(1),
            ts: 1,
            body: Body::Presence {
                channel: "presence-room".into(),
                epoch: 9,
                ver: 3,
                change: Change::Joined {
                    member: MemberWire::of(&member),
                },
            },
        }
        .encode();
        let Body::Presence {
            change: Change::Joined { member: wire },
            ver,
            ..
        } = Envelope::decode(&bytes).unwrap().body
        else {
            panic!("a presence change")
        };
        let back = wire.into_member().unwrap();
        assert_eq!(
            (ver, back.key(), back.user_info().get()),
            (3, "5", r#"{"name":"Ann"}"#)
        );
    }

    #[test]
    fn foreign_and_malformed_messages_are_refused_with_a_reason() {
        for (bytes, why) in [
            (&b"hello"[..], "not a cluster message"),
            (br#"{"event":"App\\Events\\X","data":{}}"#, "not a cluster message"),
            (br#"{"v":1,"node":"n","ts":1,"body":{"explode":{}}}"#, "not a cluster message"),
            (br#"{"v":2,"node":"n","ts":1,"body":{"bye":{}}}"#, "version 2"),
            (br#"{"v":1,"node":"n","ts":1,"body":{"presence":{"channel":"p","epoch":1,"ver":"x","change":{}}}}"#, "not a cluster message"),
        ] {
            let error = Envelope::decode(bytes).unwrap_err();
            assert!(error.contains(why), "{error}");
        }
        let bye = Envelope::decode(br#"{"v":1,"node":"n","ts":1,"body":{"bye":{}}}"#).unwrap();
        assert!(matches!(bye.body, Body::Bye {}));
        let terminate = br#"{"v":1,"node":"n","seq":2,"ts":1,"body":{"terminate":{"user":"7"}}}"#;
        let Body::Terminate { user } = Envelope::decode(terminate).unwrap().body else {
            panic!("a terminate")
        };
        assert_eq!(user, "7");
        let missing_user = br#"{"v":1,"node":"n","ts":1,"body":{"terminate":{}}}"#;
        assert!(Envelope::decode(missing_user).is_err());
    }

    #[test]
    fn subscription_counts_travel_as_pairs() {
        let counts = br#"{"v":1,"node":"n","seq":3,"ts":1,"body":{"counts":{"counts":[["orders",2],["news",0]],"whole":true}}}"#;
        let Body::Counts {
            counts,
            whole,
            ask_whole,
        } = Envelope::decode(counts).unwrap().body
        else {
            panic!("counts")
        };
        assert_eq!(counts, [("orders".to_owned(), 2), ("news".to_owned(), 0)]);
        assert!(whole && !ask_whole);
        let negative = br#"{"v":1,"node":"n","ts":1,"body":{"counts":{"counts":[["orders",-1]]}}}"#;
        assert!(Envelope::decode(negative).is_err());
    }
}
