//! `sidecast-loadgen presence`: the presence scenario's command line.

use std::time::Duration;

use clap::Args;

use super::{EioArg, TransportArg, positive, rate_above_zero};
use crate::nodes::Nodes;
use crate::presence::Presence;

#[derive(Debug, Args)]
pub struct PresenceArgs {
    /// The nodes' HTTP base URLs, repeated or comma-separated: node k gets the observer and
    /// every joiner j with j mod N = k.
    #[arg(long = "url", required = true, value_delimiter = ',')]
    pub urls: Vec<String>,

    /// Engine.IO protocol revision the clients speak.
    #[arg(long, value_enum, default_value = "4")]
    pub eio: EioArg,

    /// How clients reach their WebSocket.
    #[arg(long, value_enum, default_value = "websocket")]
    pub transport: TransportArg,

    /// The presence channel to join (Echo's join('chat.1') is presence-chat.1).
    #[arg(long, default_value = "presence-chat.loadgen")]
    pub channel: String,

    /// User N authenticates with `Authorization: Bearer <PREFIX>N`.
    #[arg(long, default_value = "token-")]
    pub token_prefix: String,

    /// The first user: the observers are this one and the next N - 1, the joiners follow.
    #[arg(long, default_value_t = 1)]
    pub first_user: u64,

    /// Members that join after the observers, one at a time.
    #[arg(long, default_value_t = 150, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub joins: u32,

    /// Joins per second.
    #[arg(long, default_value_t = 10.0, value_parser = rate_above_zero)]
    pub join_rate: f64,

    /// Seconds for one client to connect.
    #[arg(long, default_value_t = 10.0, value_parser = positive)]
    pub connect_timeout: f64,

    /// Seconds for a member's own presence:subscribed after it subscribed.
    #[arg(long, default_value_t = 10.0, value_parser = positive)]
    pub subscribe_timeout: f64,

    /// Seconds after the joins for the last joinings to be read.
    #[arg(long, default_value_t = 5.0, value_parser = positive)]
    pub settle: f64,

    /// Seconds to stay connected after the joins (saying "holding" on stderr), for the
    /// leavings of members whose connection breaks; the hold ends once all are read.
    #[arg(long, default_value_t = 0.0, value_parser = super::non_negative)]
    pub hold: f64,

    /// Print one JSON object instead of the summary.
    #[arg(long)]
    pub json: bool,
}

impl PresenceArgs {
    /// The scenario, or why the nodes make no sense.
    pub fn presence(&self) -> Result<Presence, String> {
        let nodes = Nodes::new(self.urls.clone(), 0)?;
        Ok(Presence {
            urls: nodes.urls().to_vec(),
            eio: self.eio.into(),
            transport: self.transport.into(),
            channel: self.channel.clone(),
            token_prefix: self.token_prefix.clone(),
            first_user: self.first_user,
            joins: self.joins as usize,
            join_rate: self.join_rate,
            connect_timeout: Duration::from_secs_f64(self.connect_timeout),
            subscribe_timeout: Duration::from_secs_f64(self.subscribe_timeout),
            settle: Duration::from_secs_f64(self.settle),
            hold: Duration::from_secs_f64(self.hold),
        })
    }
}
