//! Which metrics there are, by part of the sidecar, and what each figure of the census is
//! called. docs/monitoring.md lists them all with their meaning.

use prometheus_client::metrics::MetricType;
use sidecast_auth::metrics::OutcomeCounts;
use sidecast_core::ByKind;
use sidecast_core::metrics::ConnectionFigures;

use super::{Labels, Out};
use crate::vitals::Vitals;

type Written = std::fmt::Result;

/// Connections by front end, channels, subscriptions and members.
pub(super) fn clients(out: &mut Out, v: &Vitals) -> Written {
    out.gauge(
        "sidecast_build_info",
        "The sidecar's version, as a label; always 1.",
        &[(&[("version", v.version)], 1)],
    )?;
    let all: [(Labels, &ConnectionFigures); 3] = [
        (
            &[("front_end", "socketio"), ("protocol", "eio3")],
            &v.socketio.eio3,
        ),
        (
            &[("front_end", "socketio"), ("protocol", "eio4")],
            &v.socketio.eio4,
        ),
        (
            &[("front_end", "pusher"), ("protocol", "pusher7")],
            &v.pusher.connections,
        ),
    ];
    let of =
        |read: fn(&ConnectionFigures) -> u64| all.map(|(labels, figures)| (labels, read(figures)));
    out.gauge(
        "sidecast_connections",
        "Client connections open now, by front end and protocol version.",
        &of(|f| f.open),
    )?;
    out.counter(
        "sidecast_connections_opened",
        "Client connections opened, by front end and protocol version.",
        &of(|f| f.opened),
    )?;
    out.counter(
        "sidecast_connections_closed",
        "Client connections closed, by front end and protocol version.",
        &of(|f| f.closed),
    )?;
    out.gauge(
        "sidecast_socketio_websockets",
        "socket.io connections on a WebSocket now (the others poll).",
        &[(&[], v.socketio.websockets)],
    )?;
    let pusher = &v.pusher;
    out.counter(
        "sidecast_connections_refused",
        "Client connections refused as they opened, by front end and reason.",
        &[
            (
                &[("front_end", "socketio"), ("reason", "origin")],
                v.socketio.refused_origin,
            ),
            (
                &[("front_end", "pusher"), ("reason", "origin")],
                pusher.refused_origin,
            ),
            (
                &[("front_end", "pusher"), ("reason", "unknown_app")],
                pusher.refused_unknown_app,
            ),
            (
                &[("front_end", "pusher"), ("reason", "protocol")],
                pusher.refused_protocol,
            ),
            (
                &[("front_end", "pusher"), ("reason", "over_quota")],
                pusher.refused_over_quota,
            ),
        ],
    )?;
    let occupancy = &v.occupancy;
    let kinds = |of: &ByKind| -> [(Labels, u64); 3] {
        [
            (&[("kind", "public")], of.public as u64),
            (&[("kind", "private")], of.private as u64),
            (&[("kind", "presence")], of.presence as u64),
        ]
    };
    out.gauge(
        "sidecast_channels",
        "Occupied channels, by kind.",
        &kinds(&occupancy.channels),
    )?;
    out.gauge(
        "sidecast_subscriptions",
        "Subscriptions (a connection in a channel), by the channel's kind.",
        &kinds(&occupancy.subscriptions),
    )?;
    out.gauge(
        "sidecast_presence_members",
        "Users present, added up over the presence channels.",
        &[(&[], occupancy.presence_members as u64)],
    )
}

/// Events in by way, deliveries, drops by reason, and the fan-out's time.
pub(super) fn events(out: &mut Out, v: &Vitals) -> Written {
    let events = &v.events_in;
    out.counter(
        "sidecast_events_received",
        "Events that came in, by where they entered.",
        &[
            (&[("source", "unix_socket")], events.unix_socket),
            (&[("source", "http_api")], events.http_api),
            (&[("source", "redis")], events.redis),
            (&[("source", "client_event")], events.client_events),
        ],
    )?;
    let delivery = &v.delivery;
    out.counter(
        "sidecast_publications",
        "Events handed to the fan-out (client events included).",
        &[(&[], delivery.publications)],
    )?;
    out.counter(
        "sidecast_deliveries",
        "Messages handed to subscribers' queues.",
        &[(&[], delivery.deliveries)],
    )?;
    out.counter(
        "sidecast_deliveries_dropped",
        "Messages and notices a subscriber could not take, by reason.",
        &[
            (&[("reason", "queue_full")], delivery.dropped_by.queue_full),
            (&[("reason", "socket_closed")], delivery.dropped_by.closed),
            (&[("reason", "unencodable")], delivery.dropped_by.encoding),
        ],
    )?;
    out.histogram(
        "sidecast_fanout_duration_seconds",
        "From taking a publication to every subscriber's queue holding it.",
        &v.fan_out,
    )
}

/// Authorizations by method and outcome, and the app's answer times.
pub(super) fn authorization(out: &mut Out, v: &Vitals) -> Written {
    let outcomes = |method: &'static str, counts: &OutcomeCounts| {
        [
            ("allowed", counts.allowed),
            ("refused", counts.refused),
            ("failed", counts.failed),
            ("unusable", counts.unusable),
            ("bad_signature", counts.bad_signature),
        ]
        .map(|(outcome, count)| ([("method", method), ("outcome", outcome)], count))
    };
    let asked = outcomes("app_request", &v.auth.asked_app);
    let signed = outcomes("signature", &v.auth.signature);
    let samples: Vec<(Labels, u64)> = asked
        .iter()
        .chain(&signed)
        .map(|(labels, count)| (labels.as_slice(), *count))
        .collect();
    out.counter(
        "sidecast_authorizations",
        "Channel authorizations, by how they were decided and their outcome.",
        &samples,
    )?;
    out.histogram(
        "sidecast_authorization_duration_seconds",
        "How long the Laravel app took to answer an authorization request.",
        &v.auth.app_latency,
    )
}

/// PHP's publishers and what their frames did.
pub(super) fn unix_socket(out: &mut Out, v: &Vitals) -> Written {
    let unix = &v.unix_socket;
    out.gauge(
        "sidecast_unix_socket_publishers",
        "PHP connections to the Unix socket open now.",
        &[(&[], unix.publishers_open)],
    )?;
    out.counter(
        "sidecast_unix_socket_publishers_accepted",
        "PHP connections to the Unix socket accepted.",
        &[(&[], unix.publishers_accepted)],
    )?;
    out.counter(
        "sidecast_unix_socket_publishers_refused",
        "PHP connections refused because --max-publishers were open.",
        &[(&[], unix.publishers_refused)],
    )?;
    out.counter(
        "sidecast_unix_socket_events_refused",
        "Events from PHP refused for a bad field (the connection stays open).",
        &[(&[], unix.events_refused)],
    )?;
    out.counter(
        "sidecast_unix_socket_questions",
        "Questions PHP asked (channels, members, stats).",
        &[(&[], unix.questions)],
    )?;
    let refused = &unix.frames_refused;
    out.counter(
        "sidecast_unix_socket_frames_refused",
        "Frames that closed their PHP connection, by reason.",
        &[
            (&[("reason", "too_large")], refused.too_large),
            (&[("reason", "malformed")], refused.malformed),
            (&[("reason", "wrong_direction")], refused.wrong_direction),
            (&[("reason", "incomplete")], refused.incomplete),
        ],
    )
}

/// Laravel's `redis` broadcaster, when subscribed to.
pub(super) fn redis(out: &mut Out, v: &Vitals) -> Written {
    let Some(redis) = &v.redis else {
        return Ok(());
    };
    out.gauge(
        "sidecast_redis_up",
        "1 while subscribed to Laravel's Redis broadcaster.",
        &[(&[], u64::from(redis.connected))],
    )?;
    out.counter(
        "sidecast_redis_connection_losses",
        "Redis subscriptions lost after they had worked.",
        &[(&[], redis.connection_losses)],
    )?;
    out.counter(
        "sidecast_redis_failed_attempts",
        "Attempts to connect to Redis and subscribe that failed.",
        &[(&[], redis.failed_attempts)],
    )?;
    out.counter(
        "sidecast_redis_messages_skipped",
        "Redis messages skipped, by reason.",
        &[
            (&[("reason", "too_large")], redis.skipped_too_large),
            (&[("reason", "malformed")], redis.skipped_malformed),
        ],
    )
}

/// This node's part of the cluster, when scale-out is on.
pub(super) fn cluster(out: &mut Out, v: &Vitals) -> Written {
    let Some(cluster) = &v.cluster else {
        return Ok(());
    };
    out.gauge(
        "sidecast_cluster_store_up",
        "1 while the cluster's Redis answers.",
        &[(&[], u64::from(cluster.reachable))],
    )?;
    out.gauge(
        "sidecast_cluster_other_nodes",
        "Other nodes alive at the last heartbeat.",
        &[(&[], cluster.other_nodes as u64)],
    )?;
    out.counter(
        "sidecast_cluster_messages_sent",
        "Messages this node sent to every other node.",
        &[(&[], cluster.sent)],
    )?;
    out.counter(
        "sidecast_cluster_messages_applied",
        "Messages from other nodes applied.",
        &[(&[], cluster.applied)],
    )?;
    out.counter(
        "sidecast_cluster_messages_missed",
        "Messages from other nodes sent but never received (gaps in their numbers).",
        &[(&[], cluster.missed)],
    )?;
    out.counter(
        "sidecast_cluster_messages_skipped",
        "Messages from other nodes that could not be read or were over a limit.",
        &[(&[], cluster.skipped)],
    )?;
    out.counter(
        "sidecast_cluster_messages_dropped",
        "Messages for other nodes dropped while Redis was unreachable.",
        &[(&[], cluster.dropped)],
    )
}

/// Lifecycle events sent as webhooks, when they are on.
pub(super) fn webhooks(out: &mut Out, v: &Vitals) -> Written {
    let Some(webhooks) = &v.webhooks else {
        return Ok(());
    };
    out.counter(
        "sidecast_webhook_events_sent",
        "Lifecycle events an endpoint took (2xx), counted once per endpoint.",
        &[(&[], webhooks.events_sent)],
    )?;
    out.counter(
        "sidecast_webhook_events_absorbed",
        "Leaves and returns within the grace period, which cancel each other and are not sent.",
        &[(&[], webhooks.events_absorbed)],
    )?;
    out.counter(
        "sidecast_webhook_events_dropped",
        "Lifecycle events lost: a queue full, or an endpoint that kept failing.",
        &[(&[], webhooks.events_dropped)],
    )?;
    out.counter(
        "sidecast_webhook_failed_requests",
        "Webhook requests that failed, each retry counted.",
        &[(&[], webhooks.failed_requests)],
    )
}

/// Lifecycle events kept for `php artisan sidecast:listen`, when it is on.
pub(super) fn listener(out: &mut Out, v: &Vitals) -> Written {
    let Some(listener) = &v.listener else {
        return Ok(());
    };
    out.gauge(
        "sidecast_listener_connected",
        "Whether php artisan sidecast:listen is connected (1) or not (0).",
        &[(&[], u64::from(listener.connected))],
    )?;
    out.gauge(
        "sidecast_listener_events_buffered",
        "Lifecycle events waiting for the listener to confirm them.",
        &[(&[], listener.events_buffered)],
    )?;
    out.counter(
        "sidecast_listener_events_kept",
        "Lifecycle events kept for the listener.",
        &[(&[], listener.events_kept)],
    )?;
    out.counter(
        "sidecast_listener_events_confirmed",
        "Lifecycle events the listener confirmed it handled.",
        &[(&[], listener.events_confirmed)],
    )?;
    out.counter(
        "sidecast_listener_events_dropped",
        "Lifecycle events dropped before a listener confirmed them: too old or too many.",
        &[(&[], listener.events_dropped)],
    )
}

/// The process, under the names every Prometheus client library gives them.
pub(super) fn process(out: &mut Out, v: &Vitals) -> Written {
    let process = &v.process;
    out.gauge(
        "process_resident_memory_bytes",
        "Resident memory size in bytes.",
        &[(&[], process.resident_memory_bytes)],
    )?;
    out.fractional(
        "process_cpu_seconds",
        "Total user and system CPU time spent in seconds.",
        MetricType::Counter,
        process.cpu_seconds,
    )?;
    out.gauge(
        "process_open_fds",
        "Number of open file descriptors.",
        &[(&[], process.open_files)],
    )?;
    out.gauge(
        "process_max_fds",
        "Maximum number of open file descriptors.",
        &[(&[], process.max_open_files)],
    )?;
    out.fractional(
        "process_start_time_seconds",
        "Start time of the process since unix epoch in seconds.",
        MetricType::Gauge,
        process.start_time_seconds,
    )
}
