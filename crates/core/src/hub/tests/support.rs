//! What the hub tests share: a subscriber that records what it is told, and short ways to
//! name things.

use std::future::Future;
use std::sync::Mutex;
use std::task::{Context, Poll, Waker};

use serde_json::value::RawValue;

use std::sync::Arc;

use crate::hub::Hub;
use crate::{
    Access, ChannelName, EventName, Member, Message, Notice, Origin, Payload, Publication,
    SocketId, Subscriber, Undelivered, Whisper,
};

/// Records what it receives; refuses everything once `capacity` messages are queued.
/// Subscription notices of channels without members are kept apart, so that the events of
/// those channels can be compared alone.
pub(super) struct Recorder {
    received: Mutex<Vec<String>>,
    subscribed: Mutex<Vec<String>>,
    capacity: usize,
}

impl Recorder {
    pub(super) fn new() -> Arc<Self> {
        Self::with_capacity(usize::MAX)
    }

    pub(super) fn with_capacity(capacity: usize) -> Arc<Self> {
        Arc::new(Recorder {
            received: Mutex::new(Vec::new()),
            subscribed: Mutex::new(Vec::new()),
            capacity,
        })
    }

    pub(super) fn received(&self) -> Vec<String> {
        self.received.lock().unwrap().clone()
    }

    pub(super) fn subscribed(&self) -> Vec<String> {
        self.subscribed.lock().unwrap().clone()
    }
}

impl Subscriber for Recorder {
    fn deliver(&self, message: Message<'_>) -> Result<(), Undelivered> {
        let mut received = self.received.lock().unwrap();
        if received.len() >= self.capacity {
            return Err(Undelivered::QueueFull);
        }
        let from = message
            .sender
            .map(|sender| format!(" from {}", sender.user_id()))
            .unwrap_or_default();
        received.push(format!(
            "{} {} {}{from}",
            message.event,
            message.channel,
            message.payload.as_str()
        ));
        Ok(())
    }

    fn notify(&self, notice: Notice<'_>) -> Result<(), Undelivered> {
        let line = match notice {
            Notice::Subscribed {
                channel,
                members: None,
            } => {
                self.subscribed.lock().unwrap().push(channel.to_string());
                return Ok(());
            }
            Notice::Subscribed {
                channel,
                members: Some(members),
            } => {
                let ids: Vec<String> = members.iter().map(|m| m.user_id().to_string()).collect();
                format!("here {channel} [{}]", ids.join(","))
            }
            Notice::Joining { channel, member } => {
                format!("joining {channel} {}", member.user_id())
            }
            Notice::Leaving { channel, member } => {
                format!("leaving {channel} {}", member.user_id())
            }
            Notice::CacheMiss { channel } => format!("cache miss {channel}"),
            Notice::SubscriptionCount { channel, count, .. } => format!("count {channel} {count}"),
        };
        self.received.lock().unwrap().push(line);
        Ok(())
    }
}

/// The outcome of a future that must not wait: subscriptions complete at once unless a
/// cluster is asked.
pub(super) fn now<F: Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    match future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(output) => output,
        Poll::Pending => panic!("the future waited"),
    }
}

pub(super) fn member(user_id: u64) -> Member {
    let info = RawValue::from_string(format!("{{\"name\":\"user {user_id}\"}}")).unwrap();
    Member::new(user_id.into(), info).unwrap()
}

pub(super) fn whisper(channel_name: &str, event: &str) -> Whisper {
    Whisper {
        channel: channel(channel_name),
        event: EventName::new(event).unwrap(),
        payload: Payload::from_json(br#"{"typing":true}"#).unwrap(),
    }
}

pub(super) fn id(value: &str) -> SocketId {
    SocketId::new(value).unwrap()
}

pub(super) fn channel(value: &str) -> ChannelName {
    ChannelName::new(value).unwrap()
}

pub(super) fn publication(channels: &[&str], except: Option<&str>) -> Publication {
    Publication {
        channels: channels.iter().map(|c| channel(c)).collect(),
        event: EventName::new("Sent").unwrap(),
        payload: Payload::from_json(br#"{"n":1}"#).unwrap(),
        except: except.map(id),
        origin: Origin::ThisNode,
    }
}

pub(super) fn connected(hub: &Hub, name: &str, channels: &[&str]) -> Arc<Recorder> {
    let recorder = Recorder::new();
    hub.connect(id(name), recorder.clone());
    for c in channels {
        now(hub.subscribe(&id(name), channel(c), Access::Public)).unwrap();
    }
    recorder
}

/// A connection in presence channel `name` as `user`.
pub(super) fn present(hub: &Hub, socket: &str, presence_channel: &str, user: u64) -> Arc<Recorder> {
    let recorder = Recorder::new();
    hub.connect(id(socket), recorder.clone());
    now(hub.subscribe(
        &id(socket),
        channel(presence_channel),
        Access::Presence(member(user)),
    ))
    .unwrap();
    recorder
}
