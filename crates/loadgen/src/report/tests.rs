use super::*;

/// A clean run: 10 clients, 100 events, all delivered, both processes far from busy.
pub(crate) fn clean() -> Report {
    Report {
        server_url: "http://127.0.0.1:6001".into(),
        protocol: "EIO=4".into(),
        transport: "websocket",
        clients: 10,
        channels: 1,
        ingest: "unix:/tmp/s.sock".into(),
        rate: 100.0,
        duration_s: 1.0,
        padding_bytes: 0,
        connect: Connect {
            connected: 10,
            failed: 0,
            first_error: None,
            seconds: 0.01,
            per_second: 1000.0,
            unconfirmed_subscriptions: 0,
        },
        publish: Publish {
            planned: 100,
            published: 100,
            seconds: 1.0,
            per_second: 100.0,
            max_lag_ms: 0.5,
            error: None,
        },
        deliveries: Deliveries {
            tally: Tally {
                expected: 1000,
                delivered: 1000,
                ..Tally::default()
            },
            per_second: 1000.0,
            complete: true,
        },
        latency_ms: Latency {
            p50: 0.3,
            p90: 0.4,
            p99: 0.6,
            max: 1.0,
            samples: 1000,
        },
        nodes: None,
        silences: None,
        connections: Connections {
            broken: 0,
            first_broken_reason: None,
            malformed_frames: 0,
        },
        server: Some(Server {
            pid: 42,
            pids: vec![42],
            rss_start_bytes: 8 << 20,
            rss_ready_bytes: 9 << 20,
            rss_end_bytes: 9 << 20,
            rss_per_connection_bytes: 104857.6,
            cpu_connect_s: 0.01,
            cpu_publish_s: 0.02,
            cpu_per_delivery_us: 20.0,
            cores_publish: 0.02,
        }),
        generator: Generator {
            processes: 1,
            cpu_connect_s: 0.01,
            cpu_publish_s: 0.03,
            cores_publish: 0.03,
            available_cores: 2,
        },
        churn: None,
        warnings: Vec::new(),
    }
}

#[test]
fn a_clean_run_has_no_warnings() {
    let mut report = clean();
    report.warn();
    assert_eq!(report.warnings, Vec::<String>::new());
}

#[test]
fn a_generator_using_the_machine_is_called_the_possible_bottleneck() {
    let mut alone = clean();
    alone.generator.cores_publish = 1.85;
    alone.warn();
    assert_eq!(alone.warnings.len(), 1, "{:?}", alone.warnings);
    assert!(alone.warnings[0].contains("the generator, not the server, may be the bottleneck"));

    let mut together = clean();
    together.generator.cores_publish = 1.1;
    together.server.as_mut().unwrap().cores_publish = 0.8;
    together.warn();
    assert_eq!(together.warnings.len(), 1, "{:?}", together.warnings);

    let mut server_bound = clean();
    server_bound.generator.cores_publish = 0.5;
    server_bound.server.as_mut().unwrap().cores_publish = 1.4;
    server_bound.warn();
    assert!(
        server_bound.warnings.is_empty(),
        "{:?}",
        server_bound.warnings
    );
}

#[test]
fn losses_failures_and_a_slow_publisher_are_warned_about() {
    let mut report = clean();
    report.connect.failed = 2;
    report.connect.first_error = Some("WebSocket: connection refused".into());
    report.connect.unconfirmed_subscriptions = 1;
    report.publish.published = 90;
    report.publish.per_second = 90.0;
    report.deliveries.tally.lost = 3;
    report.deliveries.tally.duplicates = 1;
    report.connections.broken = 1;
    report.connections.first_broken_reason = Some("closed by the server".into());
    report.warn();
    let all = report.warnings.join("\n");
    for expected in [
        "2 of 10 clients could not connect (first: WebSocket: connection refused)",
        "1 connected clients never showed they were subscribed",
        "the publisher fell behind: 90 of 100 events",
        "3 lost, 1 duplicated, 0 foreign",
        "1 connections ended early (first: closed by the server)",
    ] {
        assert!(all.contains(expected), "{expected:?} missing from:\n{all}");
    }
}

#[test]
fn the_summary_shows_every_figure_group() {
    let text = clean().to_string();
    for line in [
        "connect ",
        "publish ",
        "deliveries 1000/1000",
        "latency    p50 0.300 ms",
        "server     pid 42",
        "generator ",
    ] {
        assert!(text.contains(line), "{line:?} missing from:\n{text}");
    }
}

#[test]
fn the_json_report_flattens_the_tally_and_rounds_figures() {
    let mut report = clean();
    report.latency_ms.p50 = 0.34406299999999995;
    let json: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
    assert_eq!(json["latency_ms"]["p50"], 0.344);
    assert_eq!(json["connect"]["connected"], 10);
    assert_eq!(json["deliveries"]["lost"], 0);
    assert_eq!(json["deliveries"]["expected"], 1000);
    assert_eq!(json["server"]["pid"], 42);
}

#[test]
fn a_run_on_one_server_reports_neither_pids_nor_a_split() {
    let json: serde_json::Value = serde_json::from_str(&clean().to_json()).unwrap();
    for absent in ["nodes", "silences"] {
        assert!(json.get(absent).is_none(), "{absent}: {json}");
    }
    assert!(json["server"].get("pids").is_none(), "{json}");
    assert!(clean().to_string().contains("server     pid 42: RSS"));
}

#[test]
fn a_cluster_run_names_every_server_process() {
    let mut report = clean();
    report.server.as_mut().unwrap().pids = vec![42, 43, 44];
    let json: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
    assert_eq!(json["server"]["pids"], serde_json::json!([42, 43, 44]));
    assert!(report.to_string().contains("server     pids 42,43,44: RSS"));
}
