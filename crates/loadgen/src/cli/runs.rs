//! `sidecast-loadgen run` and the scenario presets built on it: each turned into the
//! [`Plan`]s of its runs, or refused as an invalid command line.

use std::time::Duration;

use clap::Args;

use super::{Load, ServerArgs, non_negative, positive, rate_above_zero};
use crate::churn::Churn;
use crate::run::Plan;

#[derive(Debug, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub server: ServerArgs,

    /// WebSocket clients, each subscribed to one channel.
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub clients: u32,

    /// Public channels `loadgen.0` … ; client i listens on channel i mod CHANNELS.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub channels: u32,

    /// Events per second, over all channels (round-robin); 0 holds the clients idle.
    #[arg(long, default_value_t = 10.0, value_parser = non_negative)]
    pub rate: f64,

    /// Seconds of publishing (or of idling at rate 0).
    #[arg(long, default_value_t = 5.0, value_parser = positive)]
    pub duration: f64,

    /// Bytes of filler in each event's data.
    #[arg(long, default_value_t = 0)]
    pub padding: usize,
}

impl RunArgs {
    pub fn plan(&self) -> Result<Plan, String> {
        self.server.plan(Load {
            clients: self.clients,
            channels: self.channels,
            rate: self.rate,
            duration: self.duration,
            padding: self.padding,
        })
    }
}

#[derive(Debug, Args)]
pub struct FanoutArgs {
    #[command(flatten)]
    pub server: ServerArgs,

    /// Subscribers of the one channel.
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub clients: u32,

    /// Publish rates to try, in events per second, in this order.
    #[arg(long, value_delimiter = ',', default_value = "10,20,50,100,200,500", value_parser = rate_above_zero)]
    pub rates: Vec<f64>,

    /// Seconds of publishing per step.
    #[arg(long, default_value_t = 5.0, value_parser = positive)]
    pub step_duration: f64,

    /// A step is sustained when its p99 latency is at most this many milliseconds and
    /// every delivery arrived exactly once.
    #[arg(long, default_value_t = 50.0, value_parser = rate_above_zero)]
    pub p99_ms: f64,

    /// Bytes of filler in each event's data.
    #[arg(long, default_value_t = 0)]
    pub padding: usize,
}

impl FanoutArgs {
    /// One plan per rate, in order.
    pub fn plans(&self) -> Result<Vec<Plan>, String> {
        self.rates
            .iter()
            .map(|&rate| {
                self.server.plan(Load {
                    clients: self.clients,
                    channels: 1,
                    rate,
                    duration: self.step_duration,
                    padding: self.padding,
                })
            })
            .collect()
    }
}

#[derive(Debug, Args)]
pub struct ChannelsArgs {
    #[command(flatten)]
    pub server: ServerArgs,

    /// Channels, each with one subscriber.
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub channels: u32,

    /// Events per second over all channels (round-robin).
    #[arg(long, default_value_t = 2000.0, value_parser = rate_above_zero)]
    pub rate: f64,

    /// Seconds of publishing.
    #[arg(long, default_value_t = 10.0, value_parser = positive)]
    pub duration: f64,

    /// Bytes of filler in each event's data.
    #[arg(long, default_value_t = 0)]
    pub padding: usize,
}

impl ChannelsArgs {
    pub fn plan(&self) -> Result<Plan, String> {
        self.server.plan(Load {
            clients: self.channels,
            channels: self.channels,
            rate: self.rate,
            duration: self.duration,
            padding: self.padding,
        })
    }
}

#[derive(Debug, Args)]
pub struct IdleArgs {
    #[command(flatten)]
    pub server: ServerArgs,

    /// Connections to hold.
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub clients: u32,

    /// Seconds to hold them idle once all are subscribed.
    #[arg(long, default_value_t = 10.0, value_parser = positive)]
    pub duration: f64,
}

impl IdleArgs {
    pub fn plan(&self) -> Result<Plan, String> {
        self.server.plan(Load {
            clients: self.clients,
            channels: 1,
            rate: 0.0,
            duration: self.duration,
            padding: 0,
        })
    }
}

#[derive(Debug, Args)]
pub struct ChurnArgs {
    #[command(flatten)]
    pub server: ServerArgs,

    /// Stable clients, connected for the whole run; client i on channel i mod CHANNELS.
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub clients: u32,

    /// Public channels shared by the stable clients and the visitors.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub channels: u32,

    /// Events per second over all channels.
    #[arg(long, default_value_t = 20.0, value_parser = non_negative)]
    pub rate: f64,

    /// Seconds of publishing, and of starting visits.
    #[arg(long, default_value_t = 10.0, value_parser = positive)]
    pub duration: f64,

    /// Visits started per second; visit n goes to channel n mod CHANNELS.
    #[arg(long, default_value_t = 20.0, value_parser = rate_above_zero)]
    pub churn_rate: f64,

    /// Shortest stay of a visitor once subscribed, in seconds.
    #[arg(long, default_value_t = 0.1, value_parser = non_negative)]
    pub stay_min: f64,

    /// Longest stay of a visitor once subscribed, in seconds.
    #[arg(long, default_value_t = 1.0, value_parser = non_negative)]
    pub stay_max: f64,

    /// Seconds for a visitor to receive its first event after connecting.
    #[arg(long, default_value_t = 5.0, value_parser = positive)]
    pub subscribe_timeout: f64,

    /// Bytes of filler in each event's data.
    #[arg(long, default_value_t = 0)]
    pub padding: usize,
}

impl ChurnArgs {
    /// The run, or why the stays make no sense.
    pub fn plan(&self) -> Result<Plan, String> {
        if self.stay_min > self.stay_max {
            return Err(format!(
                "--stay-min {} is above --stay-max {}",
                self.stay_min, self.stay_max
            ));
        }
        let mut plan = self.server.plan(Load {
            clients: self.clients,
            channels: self.channels,
            rate: self.rate,
            duration: self.duration,
            padding: self.padding,
        })?;
        plan.churn = Some(Churn {
            rate: self.churn_rate,
            stay_min: Duration::from_secs_f64(self.stay_min),
            stay_max: Duration::from_secs_f64(self.stay_max),
            subscribe_timeout: Duration::from_secs_f64(self.subscribe_timeout),
        });
        Ok(plan)
    }
}
