//! The presence scenario's figures, worked out from its [`Log`]: how long a join took to be
//! announced to observers on the joiner's node and on the others, whether every member saw the
//! whole roster, and, once members' connections broke, how long the others waited for their
//! `leaving`. Wall-clock times are given for the moments a bench sets against its own actions.

use std::collections::HashMap;
use std::fmt;

use serde::Serialize;

use super::log::{Change, Log, Member};
use crate::histogram::Histogram;
use crate::report::Latency;
use crate::stamp;

#[derive(Debug, Clone, Serialize)]
pub struct PresenceReport {
    pub scenario: &'static str,
    pub urls: Vec<String>,
    pub eio: u8,
    pub transport: &'static str,
    pub channel: String,
    /// One per node, subscribed before the first join.
    pub observers: usize,
    pub joins: Joins,
    pub joining: Joinings,
    /// Present once some member's connection broke.
    pub leaving: Option<Leavings>,
    /// Leavings read of members whose connection did not break: none should be.
    pub unexpected_leavings: Vec<Reading>,
    pub warnings: Vec<String>,
}

/// An observer (the one on `node`) read a change of `user` at `unix_ms`.
#[derive(Debug, Clone, Serialize)]
pub struct Reading {
    pub node: usize,
    pub user: u64,
    pub unix_ms: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Joins {
    pub planned: usize,
    pub rate: f64,
    /// Joiners that received their own `presence:subscribed`.
    pub subscribed: usize,
    pub failed: usize,
    pub first_error: Option<String>,
    /// From a joiner's `subscribe` to its own `presence:subscribed`.
    pub subscribed_ms: Latency,
    /// Members in the `presence:subscribed` of the last joiner, and members (observers and
    /// joiners) subscribed in all: equal when the roster is one across the nodes.
    pub members_listed_last: Option<usize>,
    pub members_present: usize,
}

/// From a joiner's `subscribe` to an observer reading its `presence:joining`.
#[derive(Debug, Clone, Serialize)]
pub struct Joinings {
    /// Subscribed joiners × observers.
    pub expected: u64,
    pub seen: u64,
    pub duplicates: u64,
    /// Read by the observer on the joiner's node.
    pub same_node_ms: Latency,
    /// Read by the observers on the other nodes.
    pub other_node_ms: Latency,
}

/// The `leaving` of members whose connection broke, as the observers still connected read it.
#[derive(Debug, Clone, Serialize)]
pub struct Leavings {
    pub members_broken: usize,
    /// When the first of their connections was seen to end.
    pub first_break_unix_ms: f64,
    /// Broken members × observers still connected.
    pub expected: u64,
    pub seen: u64,
    /// When the last expected leaving was read.
    pub last_unix_ms: Option<f64>,
    pub last_after_first_break_ms: Option<f64>,
    pub observers: Vec<ObserverLeavings>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ObserverLeavings {
    pub node: usize,
    pub expected: u64,
    pub seen: u64,
    pub last_unix_ms: Option<f64>,
}

/// What the scenario was asked to do.
#[derive(Debug, Clone, Copy)]
pub struct Setting<'a> {
    pub urls: &'a [String],
    pub eio: u8,
    pub transport: &'static str,
    pub channel: &'a str,
    /// Observer `k` is on node `k`.
    pub observers: &'a [Member],
    pub planned: usize,
    pub rate: f64,
}

impl PresenceReport {
    pub fn new(setting: Setting<'_>, log: &Log) -> Self {
        // The first time each observer read each change of each user, and how often.
        let mut first: HashMap<(usize, Change, u64), u64> = HashMap::new();
        let mut readings: HashMap<(usize, Change, u64), u64> = HashMap::new();
        for s in &log.sightings {
            let key = (s.observer, s.change, s.user);
            first
                .entry(key)
                .and_modify(|at| *at = (*at).min(s.at_ns))
                .or_insert(s.at_ns);
            *readings.entry(key).or_default() += 1;
        }
        let subscribed: HashMap<u64, (u64, usize)> = log
            .subscribed
            .iter()
            .map(|s| (s.user, (s.at_ns, s.members)))
            .collect();
        let joined: Vec<_> = log
            .joins
            .iter()
            .filter_map(|join| Some((join, *subscribed.get(&join.member.user)?)))
            .collect();

        let mut own = Histogram::default();
        let (mut same, mut other) = (Histogram::default(), Histogram::default());
        let (mut seen, mut duplicates) = (0, 0);
        for (join, (at_ns, _)) in &joined {
            own.record(at_ns.saturating_sub(join.sent_ns));
            for observer in setting.observers {
                let key = (observer.node, Change::Joining, join.member.user);
                let Some(&read_ns) = first.get(&key) else {
                    continue;
                };
                seen += 1;
                duplicates += readings[&key] - 1;
                let latency = read_ns.saturating_sub(join.sent_ns);
                if observer.node == join.member.node {
                    same.record(latency);
                } else {
                    other.record(latency);
                }
            }
        }
        let last_join = joined.iter().max_by_key(|(join, _)| join.sent_ns);
        let observers_subscribed = setting
            .observers
            .iter()
            .filter(|o| subscribed.contains_key(&o.user))
            .count();
        let mut report = PresenceReport {
            scenario: "presence",
            urls: setting.urls.to_vec(),
            eio: setting.eio,
            transport: setting.transport,
            channel: setting.channel.to_owned(),
            observers: setting.observers.len(),
            joins: Joins {
                planned: setting.planned,
                rate: setting.rate,
                subscribed: joined.len(),
                failed: setting.planned - joined.len(),
                first_error: log.failures.first().cloned(),
                subscribed_ms: Latency::of(&own),
                members_listed_last: last_join.map(|(_, (_, members))| *members),
                members_present: observers_subscribed + joined.len(),
            },
            joining: Joinings {
                expected: (joined.len() * setting.observers.len()) as u64,
                seen,
                duplicates,
                same_node_ms: Latency::of(&same),
                other_node_ms: Latency::of(&other),
            },
            leaving: leavings(setting.observers, log, &first, &subscribed),
            unexpected_leavings: unexpected_leavings(log, &subscribed),
            warnings: Vec::new(),
        };
        report.warn();
        report
    }

    fn warn(&mut self) {
        let (joins, joining) = (&self.joins, &self.joining);
        let mut warnings = Vec::new();
        if joins.failed > 0 {
            warnings.push(format!(
                "{} of {} joins got no presence:subscribed (first: {})",
                joins.failed,
                joins.planned,
                joins.first_error.as_deref().unwrap_or("no answer in time")
            ));
        }
        if joining.seen < joining.expected {
            warnings.push(format!(
                "{} of {} joinings were never read by an observer",
                joining.expected - joining.seen,
                joining.expected
            ));
        }
        if let Some(listed) = joins.members_listed_last
            && listed != joins.members_present
        {
            warnings.push(format!(
                "the last joiner was listed {listed} members, of {} subscribed: the roster is not one across the nodes",
                joins.members_present
            ));
        }
        if let Some(leaving) = &self.leaving
            && leaving.seen < leaving.expected
        {
            warnings.push(format!(
                "{} of {} leavings of members whose connection broke were never read",
                leaving.expected - leaving.seen,
                leaving.expected
            ));
        }
        if let Some(first) = self.unexpected_leavings.first() {
            warnings.push(format!(
                "{} leavings read of members whose connection did not break (first: user {} on node {})",
                self.unexpected_leavings.len(),
                first.user,
                first.node
            ));
        }
        self.warnings = warnings;
    }

    pub fn to_json(&self) -> String {
        crate::report::rounded_json(self)
    }
}

/// The leavings of the members whose connection broke, read by the observers that did not.
fn leavings(
    observers: &[Member],
    log: &Log,
    first: &HashMap<(usize, Change, u64), u64>,
    subscribed: &HashMap<u64, (u64, usize)>,
) -> Option<Leavings> {
    let broken: Vec<_> = log
        .breaks
        .iter()
        .filter(|b| subscribed.contains_key(&b.member.user))
        .collect();
    let first_break_ns = broken.iter().map(|b| b.at_ns).min()?;
    let intact = observers
        .iter()
        .filter(|o| !broken.iter().any(|b| b.member.user == o.user));
    let (mut expected, mut seen) = (0, 0);
    let mut last_ns: Option<u64> = None;
    let mut per_observer = Vec::new();
    for observer in intact {
        let read: Vec<u64> = broken
            .iter()
            .filter_map(|b| first.get(&(observer.node, Change::Leaving, b.member.user)))
            .copied()
            .collect();
        let last = read.iter().max().copied();
        last_ns = last_ns.max(last);
        expected += broken.len() as u64;
        seen += read.len() as u64;
        per_observer.push(ObserverLeavings {
            node: observer.node,
            expected: broken.len() as u64,
            seen: read.len() as u64,
            last_unix_ms: last.map(stamp::unix_ms),
        });
    }
    Some(Leavings {
        members_broken: broken.len(),
        first_break_unix_ms: stamp::unix_ms(first_break_ns),
        expected,
        seen,
        last_unix_ms: last_ns.map(stamp::unix_ms),
        last_after_first_break_ms: last_ns.map(|ns| ns.saturating_sub(first_break_ns) as f64 / 1e6),
        observers: per_observer,
    })
}

/// Every leaving read of a member (subscribed) whose connection did not break, in the order read.
fn unexpected_leavings(log: &Log, subscribed: &HashMap<u64, (u64, usize)>) -> Vec<Reading> {
    let broke = |user: u64| log.breaks.iter().any(|b| b.member.user == user);
    let mut readings: Vec<_> = log
        .sightings
        .iter()
        .filter(|s| {
            s.change == Change::Leaving && subscribed.contains_key(&s.user) && !broke(s.user)
        })
        .collect();
    readings.sort_by_key(|s| s.at_ns);
    readings
        .into_iter()
        .map(|s| Reading {
            node: s.observer,
            user: s.user,
            unix_ms: stamp::unix_ms(s.at_ns),
        })
        .collect()
}

impl fmt::Display for PresenceReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (joins, joining) = (&self.joins, &self.joining);
        let latency = |l: &Latency| {
            format!(
                "p50 {:.3} ms, p90 {:.3} ms, p99 {:.3} ms, max {:.3} ms ({} samples)",
                l.p50, l.p90, l.p99, l.max, l.samples
            )
        };
        writeln!(
            f,
            "presence   {} (EIO={}, {}) · {} · {} observers, one per node · {} joins at {}/s",
            self.urls.join(","),
            self.eio,
            self.transport,
            self.channel,
            self.observers,
            joins.planned,
            joins.rate
        )?;
        writeln!(
            f,
            "joins      {}/{} subscribed; own presence:subscribed {}; the last listed {} of {} members",
            joins.subscribed,
            joins.planned,
            latency(&joins.subscribed_ms),
            joins
                .members_listed_last
                .map_or_else(|| "—".into(), |n| n.to_string()),
            joins.members_present
        )?;
        writeln!(
            f,
            "joining    {}/{} read, {} duplicates; same node {}; other node {}",
            joining.seen,
            joining.expected,
            joining.duplicates,
            latency(&joining.same_node_ms),
            latency(&joining.other_node_ms)
        )?;
        if let Some(leaving) = &self.leaving {
            let last = leaving.last_after_first_break_ms.map_or_else(
                || "none read".into(),
                |ms| format!("the last {ms:.1} ms after the first break"),
            );
            writeln!(
                f,
                "leaving    {} members' connections broke; {}/{} leavings read by the observers left, {last}",
                leaving.members_broken, leaving.seen, leaving.expected
            )?;
        }
        for warning in &self.warnings {
            writeln!(f, "warning: {warning}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
