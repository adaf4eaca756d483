//! A client that only watches: every socket.io event is handed to the caller with the moment
//! it was read, and the heartbeat is kept going, until the run stops the client or the server
//! ends the connection. The presence scenario's members are such clients.

use futures_util::{SinkExt, StreamExt};
use tokio::sync::watch;
use tokio_tungstenite::tungstenite::Message;

use super::{Client, stopped};
use crate::protocol::{Event, Packet};
use crate::stamp;

/// How a watching client's connection ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ended {
    /// The run stopped it.
    Stopped,
    /// The connection ended before, noticed at `at_ns` (`CLOCK_MONOTONIC`).
    Broken { at_ns: u64, reason: String },
}

impl Client {
    /// Calls `on_event` with every event and the time it was read, until `stop` turns true
    /// or the connection ends.
    pub async fn observe(
        mut self,
        mut on_event: impl FnMut(&Event<'_>, u64),
        mut stop: watch::Receiver<bool>,
    ) -> Ended {
        let mut heartbeat = self.heartbeat();
        let stop = stopped(&mut stop);
        tokio::pin!(stop);
        let reason = loop {
            let message = tokio::select! {
                message = self.socket.next() => message,
                _ = heartbeat.tick(), if self.protocol.client_pings() => {
                    match self.socket.send(Message::text(self.protocol.ping())).await {
                        Ok(()) => continue,
                        Err(error) => break format!("sending a ping: {error}"),
                    }
                }
                () = &mut stop => return Ended::Stopped,
            };
            let received_ns = stamp::now_ns();
            let text = match message {
                Some(Ok(Message::Text(text))) => text,
                Some(Ok(Message::Close(_))) | None => break "closed by the server".into(),
                Some(Ok(_)) => continue,
                Some(Err(error)) => break error.to_string(),
            };
            match self.protocol.decode(text.as_str()) {
                Ok(Packet::Event(event)) => on_event(&event, received_ns),
                Ok(Packet::Ping) => {
                    if let Err(error) = self.socket.send(Message::text(self.protocol.pong())).await
                    {
                        break format!("sending a pong: {error}");
                    }
                }
                Ok(Packet::Close | Packet::Disconnect) => {
                    break "disconnected by the server".into();
                }
                _ => {}
            }
        };
        Ended::Broken {
            at_ns: stamp::now_ns(),
            reason,
        }
    }
}
