use super::*;

fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
    Cli::try_parse_from(["sidecast-loadgen", "run"].iter().chain(args))
}

#[test]
fn a_full_command_line_becomes_a_plan() {
    let cli = parse(&[
        "--url",
        "http://127.0.0.1:6001",
        "--eio",
        "3",
        "--clients",
        "1000",
        "--channels",
        "4",
        "--ingest",
        "unix:/tmp/s.sock",
        "--rate",
        "100",
        "--duration",
        "10",
        "--server-pid",
        "42",
        "--json",
    ])
    .unwrap();
    let Command::Run(args) = cli.command else {
        panic!("not a run: {:?}", cli.command)
    };
    assert!(args.server.json);
    let plan = args.plan().unwrap();
    assert_eq!(plan.protocol, Protocol::SocketIo(Eio::V3));
    assert_eq!(plan.transport, Transport::WebSocket);
    assert_eq!(
        (plan.clients, plan.channels, plan.server_pids.clone()),
        (1000, 4, vec![42])
    );
    assert_eq!(plan.target, Target::Unix("/tmp/s.sock".into()));
    assert_eq!(plan.events(), 1000);
    assert_eq!(plan.duration, Duration::from_secs(10));
}

#[test]
fn a_pusher_key_makes_pusher_clients_over_websocket_only() {
    let base = ["--url", "http://127.0.0.1:1", "--ingest", "unix:/s"];
    let plan_of = |extra: &[&str]| {
        let args: Vec<&str> = base.iter().chain(extra).copied().collect();
        let Command::Run(run) = parse(&args).unwrap().command else {
            panic!("not a run")
        };
        run.plan()
    };
    let plan = plan_of(&["--pusher-key", "app-key"]).unwrap();
    assert_eq!(
        plan.protocol,
        Protocol::Pusher {
            app_key: "app-key".into()
        }
    );
    let refused = plan_of(&["--pusher-key", "k", "--transport", "polling-upgrade"]).unwrap_err();
    assert!(refused.contains("WebSocket only"), "{refused}");
    let both: Vec<&str> = base
        .iter()
        .chain(&["--pusher-key", "k", "--eio", "3"])
        .copied()
        .collect();
    assert!(
        parse(&both).is_err(),
        "--eio with --pusher-key was accepted"
    );
}

#[test]
fn nonsense_is_refused() {
    let base = ["--url", "http://127.0.0.1:1", "--ingest", "unix:/s"];
    for extra in [
        &["--eio", "5"][..],
        &["--clients", "0"],
        &["--rate", "-1"],
        &["--duration", "0"],
        &["--duration", "NaN"],
        &["--ingest", "ftp://x"],
        &["--transport", "polling"],
    ] {
        let args: Vec<&str> = base.iter().chain(extra).copied().collect();
        assert!(parse(&args).is_err(), "{extra:?} was accepted");
    }
}

#[test]
fn the_fanout_preset_steps_through_its_rates_on_one_channel() {
    let cli = Cli::try_parse_from([
        "sidecast-loadgen",
        "scenario",
        "fanout",
        "--url",
        "http://127.0.0.1:1",
        "--ingest",
        "unix:/s",
        "--clients",
        "5000",
        "--rates",
        "20,40",
        "--step-duration",
        "3",
    ])
    .unwrap();
    let Command::Scenario(Scenario::Fanout(args)) = cli.command else {
        panic!("not fanout: {:?}", cli.command)
    };
    assert_eq!(args.p99_ms, 50.0);
    let plans = args.plans().unwrap();
    assert_eq!(plans.len(), 2);
    assert_eq!(
        plans
            .iter()
            .map(|p| (p.clients, p.channels, p.rate, p.events()))
            .collect::<Vec<_>>(),
        [(5000, 1, 20.0, 60), (5000, 1, 40.0, 120)]
    );
    let default = Cli::try_parse_from([
        "sidecast-loadgen",
        "scenario",
        "fanout",
        "--url",
        "u",
        "--ingest",
        "unix:/s",
    ])
    .unwrap();
    let Command::Scenario(Scenario::Fanout(args)) = default.command else {
        panic!("not fanout")
    };
    assert_eq!(args.rates, [10.0, 20.0, 50.0, 100.0, 200.0, 500.0]);
    assert!(
        Cli::try_parse_from([
            "sidecast-loadgen",
            "scenario",
            "fanout",
            "--url",
            "u",
            "--ingest",
            "unix:/s",
            "--rates",
            "10,0",
        ])
        .is_err()
    );
}

#[test]
fn the_churn_preset_adds_visitors_to_a_run() {
    let churn = |extra: &[&str]| {
        let base = [
            "sidecast-loadgen",
            "scenario",
            "churn",
            "--url",
            "u",
            "--ingest",
            "unix:/s",
        ];
        Cli::try_parse_from(base.iter().chain(extra)).map(|cli| match cli.command {
            Command::Scenario(Scenario::Churn(args)) => args.plan(),
            other => panic!("not churn: {other:?}"),
        })
    };
    let plan = churn(&[
        "--clients",
        "50",
        "--channels",
        "5",
        "--duration",
        "2",
        "--churn-rate",
        "30",
        "--stay-min",
        "0.2",
        "--stay-max",
        "0.5",
    ])
    .unwrap()
    .unwrap();
    assert_eq!((plan.clients, plan.channels, plan.rate), (50, 5, 20.0));
    let visitors = plan.churn.unwrap();
    assert_eq!(visitors.visits(plan.duration), 60);
    assert_eq!(
        (
            visitors.stay_min,
            visitors.stay_max,
            visitors.subscribe_timeout
        ),
        (
            Duration::from_millis(200),
            Duration::from_millis(500),
            Duration::from_secs(5)
        )
    );
    assert!(plan.peak_connections() > 50);
    let backwards = churn(&["--stay-min", "2", "--stay-max", "1"]).unwrap();
    assert_eq!(backwards.unwrap_err(), "--stay-min 2 is above --stay-max 1");
    assert!(churn(&["--churn-rate", "0"]).is_err());
}

#[test]
fn the_channels_preset_gives_each_channel_one_subscriber() {
    let cli = Cli::try_parse_from([
        "sidecast-loadgen",
        "scenario",
        "channels",
        "--url",
        "u",
        "--ingest",
        "unix:/s",
        "--channels",
        "500",
        "--processes",
        "2",
    ])
    .unwrap();
    let Command::Scenario(Scenario::Channels(args)) = cli.command else {
        panic!("not channels: {:?}", cli.command)
    };
    let plan = args.plan().unwrap();
    assert_eq!(
        (plan.clients, plan.channels, plan.rate, plan.events()),
        (500, 500, 2000.0, 20_000)
    );
    assert_eq!((plan.processes, plan.peak_connections()), (2, 250));
}

#[test]
fn the_idle_preset_publishes_nothing() {
    let cli = Cli::try_parse_from([
        "sidecast-loadgen",
        "scenario",
        "idle",
        "--url",
        "u",
        "--ingest",
        "unix:/s",
        "--clients",
        "10000",
        "--duration",
        "30",
        "--transport",
        "polling-upgrade",
    ])
    .unwrap();
    let Command::Scenario(Scenario::Idle(args)) = cli.command else {
        panic!("not idle: {:?}", cli.command)
    };
    let plan = args.plan().unwrap();
    assert_eq!(
        (plan.clients, plan.channels, plan.rate, plan.events()),
        (10000, 1, 0.0, 0)
    );
    assert_eq!(plan.duration, Duration::from_secs(30));
    assert_eq!(plan.transport, Transport::PollingUpgrade);
}

#[test]
fn several_urls_spread_a_run_over_the_nodes_of_a_cluster() {
    let cli = parse(&[
        "--url",
        "http://127.0.0.1:1,http://127.0.0.1:2",
        "--url",
        "http://127.0.0.1:3",
        "--ingest",
        "unix:/tmp/node1.sock",
        "--ingest-node",
        "1",
        "--silence-ms",
        "250",
    ])
    .unwrap();
    let Command::Run(args) = cli.command else {
        panic!("not a run: {:?}", cli.command)
    };
    let plan = args.plan().unwrap();
    assert_eq!(
        plan.nodes.urls(),
        [
            "http://127.0.0.1:1",
            "http://127.0.0.1:2",
            "http://127.0.0.1:3"
        ]
    );
    assert_eq!(plan.nodes.ingest(), 1);
    assert_eq!(plan.silence_threshold, Some(Duration::from_millis(250)));

    let one = parse(&["--url", "http://127.0.0.1:1", "--ingest", "unix:/s"]).unwrap();
    let Command::Run(args) = one.command else {
        panic!("not a run")
    };
    let plan = args.plan().unwrap();
    assert_eq!((plan.nodes.count(), plan.nodes.ingest()), (1, 0));
    assert_eq!(plan.silence_threshold, None);
}

#[test]
fn an_ingest_node_beyond_the_urls_is_refused() {
    let cli = parse(&[
        "--url",
        "http://127.0.0.1:1,http://127.0.0.1:2",
        "--ingest",
        "unix:/s",
        "--ingest-node",
        "2",
    ])
    .unwrap();
    let Command::Run(args) = cli.command else {
        panic!("not a run")
    };
    assert!(
        args.plan()
            .unwrap_err()
            .contains("--ingest-node 2 names no node")
    );
    assert!(
        parse(&["--ingest", "unix:/s"]).is_err(),
        "a URL is required"
    );
    assert!(
        parse(&["--url", "u", "--ingest", "unix:/s", "--silence-ms", "0"]).is_err(),
        "a silence of no time"
    );
}

#[test]
fn the_presence_scenario_puts_an_observer_on_every_node() {
    let cli = Cli::try_parse_from([
        "sidecast-loadgen",
        "presence",
        "--url",
        "http://127.0.0.1:1,http://127.0.0.1:2,http://127.0.0.1:3",
        "--eio",
        "3",
        "--channel",
        "presence-chat.bench",
        "--joins",
        "150",
        "--join-rate",
        "20",
        "--hold",
        "30",
    ])
    .unwrap();
    let Command::Presence(args) = cli.command else {
        panic!("not presence: {:?}", cli.command)
    };
    let presence = args.presence().unwrap();
    assert_eq!((presence.joins, presence.join_rate), (150, 20.0));
    assert_eq!((presence.eio, presence.first_user), (Eio::V3, 1));
    assert_eq!(presence.hold, Duration::from_secs(30));
    let observers: Vec<(u64, usize)> = presence
        .observers()
        .iter()
        .map(|m| (m.user, m.node))
        .collect();
    assert_eq!(observers, [(1, 0), (2, 1), (3, 2)]);
    assert!(presence.hard_deadline() > Duration::from_secs(30 + 150 / 20));
    assert!(
        Cli::try_parse_from([
            "sidecast-loadgen",
            "presence",
            "--url",
            "u",
            "--join-rate",
            "0"
        ])
        .is_err()
    );
}
