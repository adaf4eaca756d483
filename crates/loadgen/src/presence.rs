//! The presence scenario: how long a join takes to be announced across the nodes of a cluster,
//! and how long the others wait for the `leaving` of members whose node died. Its clients are
//! Echo clients of one presence channel, each a user of the app that authorizes the channel
//! (a bearer token per user).
//!
//! 1. One *observer* per node joins the channel as a user of its own (users `first_user`…)
//!    and waits for its `presence:subscribed`.
//! 2. *Joiners* follow, `join_rate` a second, joiner `j` on node `j mod nodes` as the next user:
//!    at its turn each connects, reads the clock and sends its `subscribe`. Every observer's
//!    `presence:joining` for that user is timed from that moment, on the joiner's own node and
//!    on the others alike, so the two can be set side by side.
//! 3. Once every observer read every joining (or `settle` passed), the scenario says
//!    `holding` on stderr and keeps everyone connected for at most `hold`. A bench kills a
//!    node then; the observers left read the `leaving` of the members whose connection broke,
//!    and the hold ends as soon as they all did.
//! 4. The clients disconnect; the report is worked out from what they read ([`log`]).

pub mod log;
pub mod report;

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use thiserror::Error;
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio::time::Instant;

use crate::client::{Client, ConnectError, Connector, Ended, Transport};
use crate::crowd::STOP_GRACE;
use crate::protocol::{self, Eio, Protocol};
use crate::stamp;
use log::{Break, Change, Join, Log, Member, Notice, Sighting, Subscribed};
use report::{PresenceReport, Setting};

/// How often a waiting phase looks at the log.
const POLL: Duration = Duration::from_millis(5);
/// How long after the last connection that broke the hold may end: the connections to a dead
/// node all break within this, and a node stopped gracefully may announce the first leavings
/// before the last of its connections is seen to break.
const BREAKS_SETTLE: Duration = Duration::from_millis(500);

/// What the presence scenario does.
#[derive(Debug, Clone)]
pub struct Presence {
    /// The nodes' HTTP bases; observer `k` and joiners `j ≡ k` connect to node `k`.
    pub urls: Vec<String>,
    pub eio: Eio,
    pub transport: Transport,
    /// The presence channel, `presence-chat.bench` for Echo's `join('chat.bench')`.
    pub channel: String,
    /// User `n`'s bearer token is this prefix and `n` (`token-n`, as the demo app has them).
    pub token_prefix: String,
    /// The observers are users `first_user` to `first_user + nodes - 1`, the joiners follow.
    pub first_user: u64,
    pub joins: usize,
    pub join_rate: f64,
    /// For one client to connect.
    pub connect_timeout: Duration,
    /// For a member's own `presence:subscribed` after its `subscribe`.
    pub subscribe_timeout: Duration,
    /// After the joins, for the joinings still on their way.
    pub settle: Duration,
    /// For the leavings of members whose connection broke; zero ends the run after the joins.
    pub hold: Duration,
}

impl Presence {
    /// The latest the scenario ends: every phase at its limit and the clients' grace to stop.
    pub fn hard_deadline(&self) -> Duration {
        let joining = Duration::from_secs_f64(self.joins as f64 / self.join_rate);
        2 * (self.connect_timeout + self.subscribe_timeout)
            + joining
            + self.settle
            + self.hold
            + 2 * STOP_GRACE
    }

    /// The observers, one per node.
    pub fn observers(&self) -> Vec<Member> {
        (0..self.urls.len())
            .map(|node| Member {
                user: self.first_user + node as u64,
                node,
            })
            .collect()
    }

    /// Joiner `j`: the user after the observers and the joiners before it.
    fn joiner(&self, j: usize) -> Member {
        let nodes = self.urls.len();
        Member {
            user: self.first_user + (nodes + j) as u64,
            node: j % nodes,
        }
    }

    fn subscribe(&self, user: u64) -> String {
        let token = format!("{}{user}", self.token_prefix);
        protocol::socketio::subscribe_with_token(&self.channel, &token)
    }
}

#[derive(Debug, Error)]
pub enum PresenceError {
    #[error("cannot prepare the clients: {0}")]
    Connector(#[from] ConnectError),
    #[error(
        "the observer on node {node} got no presence:subscribed for {channel} ({reason}); does the app authorize user {user} there?"
    )]
    Observer {
        node: usize,
        user: u64,
        channel: String,
        reason: String,
    },
}

type Shared = Arc<Mutex<Log>>;

pub async fn run(plan: &Presence) -> Result<PresenceReport, PresenceError> {
    let connectors = plan
        .urls
        .iter()
        .map(|url| Connector::new(url, Protocol::SocketIo(plan.eio), plan.transport))
        .collect::<Result<Vec<_>, _>>()?;
    let log: Shared = Arc::default();
    let (stop, stopped) = watch::channel(false);
    let mut members = JoinSet::new();
    let observers = plan.observers();

    for &observer in &observers {
        let failed = |reason: String| PresenceError::Observer {
            node: observer.node,
            user: observer.user,
            channel: plan.channel.clone(),
            reason,
        };
        let connecting = connectors[observer.node].open(&plan.channel);
        let mut client = match tokio::time::timeout(plan.connect_timeout, connecting).await {
            Ok(Ok(client)) => client,
            Ok(Err(error)) => return Err(failed(error.to_string())),
            Err(_) => return Err(failed("not connected within the connect timeout".into())),
        };
        client
            .subscribe(&plan.subscribe(observer.user))
            .await
            .map_err(|error| failed(error.to_string()))?;
        let (log, channel) = (log.clone(), plan.channel.clone());
        members.spawn(watch_member(
            client,
            observer,
            true,
            channel,
            log,
            stopped.clone(),
        ));
    }
    let subscribed_by = Instant::now() + plan.subscribe_timeout;
    if !until(subscribed_by, || all_subscribed(&log, &observers)).await {
        let observer = observers
            .iter()
            .find(|o| !all_subscribed(&log, std::slice::from_ref(o)))
            .expect("one observer is missing");
        return Err(PresenceError::Observer {
            node: observer.node,
            user: observer.user,
            channel: plan.channel.clone(),
            reason: format!("none within {:?}", plan.subscribe_timeout),
        });
    }

    let start = Instant::now();
    for j in 0..plan.joins {
        let due = start + Duration::from_secs_f64(j as f64 / plan.join_rate);
        let member = plan.joiner(j);
        let connector = connectors[member.node].clone();
        let (plan, log, stopped) = (plan.clone(), log.clone(), stopped.clone());
        members.spawn(async move {
            tokio::time::sleep_until(due).await;
            let connecting =
                tokio::time::timeout(plan.connect_timeout, connector.open(&plan.channel));
            let mut client = match connecting.await {
                Ok(Ok(client)) => client,
                Ok(Err(error)) => return fail(&log, error.to_string()),
                Err(_) => return fail(&log, "not connected within the connect timeout".into()),
            };
            let sent_ns = stamp::now_ns();
            if let Err(error) = client.subscribe(&plan.subscribe(member.user)).await {
                return fail(&log, error.to_string());
            }
            lock(&log).joins.push(Join { member, sent_ns });
            watch_member(client, member, false, plan.channel, log, stopped).await;
        });
    }
    let last_due = Duration::from_secs_f64(plan.joins.saturating_sub(1) as f64 / plan.join_rate);
    let answers_by = start + last_due + plan.connect_timeout + plan.subscribe_timeout;
    until(answers_by, || joins_answered(&log, plan)).await;
    let settled_by = Instant::now() + plan.settle;
    until(settled_by, || all_read(&log, &observers, Change::Joining)).await;

    if !plan.hold.is_zero() {
        eprintln!(
            "sidecast-loadgen: presence: {} joins done on {}; holding up to {:?} for the leavings of members whose connection breaks",
            plan.joins, plan.channel, plan.hold
        );
        let held_by = Instant::now() + plan.hold;
        until(held_by, || {
            breaks_settled(&log) && all_read(&log, &observers, Change::Leaving)
        })
        .await;
    }

    let _ = stop.send(true);
    let _ = tokio::time::timeout(STOP_GRACE, async {
        while members.join_next().await.is_some() {}
    })
    .await;
    let log = lock(&log);
    let setting = Setting {
        urls: &plan.urls,
        eio: plan.eio.version(),
        transport: plan.transport.name(),
        channel: &plan.channel,
        observers: &observers,
        planned: plan.joins,
        rate: plan.join_rate,
    };
    Ok(PresenceReport::new(setting, &log))
}

/// Keeps `member` connected until `stop`, writing what it reads to the log: its own
/// `presence:subscribed`, and, for an observer, every joining and leaving; then how its
/// connection ended, if it broke.
async fn watch_member(
    client: Client,
    member: Member,
    observer: bool,
    channel: String,
    log: Shared,
    stop: watch::Receiver<bool>,
) {
    let read = |event: &protocol::Event<'_>, at_ns: u64| match Notice::read(event, &channel) {
        Some(Notice::Subscribed(members)) => lock(&log).subscribed.push(Subscribed {
            user: member.user,
            at_ns,
            members,
        }),
        Some(Notice::Changed(change, user)) if observer => lock(&log).sightings.push(Sighting {
            observer: member.node,
            change,
            user,
            at_ns,
        }),
        _ => {}
    };
    if let Ended::Broken { at_ns, reason } = client.observe(read, stop).await {
        lock(&log).breaks.push(Break {
            member,
            at_ns,
            reason,
        });
    }
}

fn fail(log: &Shared, reason: String) {
    lock(log).failures.push(reason);
}

fn lock(log: &Shared) -> std::sync::MutexGuard<'_, Log> {
    log.lock().expect("no panic while the log is held")
}

/// Waits until `done` or `deadline`; whether it is done.
async fn until(deadline: Instant, done: impl Fn() -> bool) -> bool {
    loop {
        if done() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(POLL).await;
    }
}

/// Some connection broke, and none for [`BREAKS_SETTLE`].
fn breaks_settled(log: &Shared) -> bool {
    let last = lock(log).breaks.iter().map(|b| b.at_ns).max();
    last.is_some_and(|at_ns| {
        stamp::now_ns().saturating_sub(at_ns) >= BREAKS_SETTLE.as_nanos() as u64
    })
}

fn all_subscribed(log: &Shared, members: &[Member]) -> bool {
    let log = lock(log);
    let subscribed = log.subscribed_users();
    members.iter().all(|m| subscribed.contains(&m.user))
}

/// Every joiner subscribed or failed.
fn joins_answered(log: &Shared, plan: &Presence) -> bool {
    let log = lock(log);
    let subscribed = log.subscribed_users();
    let joiners = (0..plan.joins).filter(|&j| subscribed.contains(&plan.joiner(j).user));
    joiners.count() + log.failures.len() >= plan.joins
}

/// Whether every observer still connected read `change` for every member it concerns: the
/// joiners that subscribed (joining), or the members whose connection broke (leaving).
fn all_read(log: &Shared, observers: &[Member], change: Change) -> bool {
    let log = lock(log);
    let subscribed = log.subscribed_users();
    let broken: HashSet<u64> = log.breaks.iter().map(|b| b.member.user).collect();
    let concerned: Vec<u64> = match change {
        Change::Joining => log.joins.iter().map(|j| j.member.user).collect(),
        Change::Leaving => broken.iter().copied().collect(),
    };
    let read: HashSet<(usize, u64)> = log
        .sightings
        .iter()
        .filter(|s| s.change == change)
        .map(|s| (s.observer, s.user))
        .collect();
    observers
        .iter()
        .filter(|o| !broken.contains(&o.user))
        .all(|o| {
            concerned
                .iter()
                .filter(|user| subscribed.contains(user))
                .all(|&user| read.contains(&(o.node, user)))
        })
}
