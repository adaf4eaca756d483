#!/usr/bin/env bash
# The server half of the benchmark suite: sidecast (its socket.io and its Pusher front end),
# laravel-echo-server 1.6.3 and, when it could be built, Sockudo (the Rust Pusher-protocol
# server) measured with sidecast-loadgen in one run, scenario by scenario, alternating the
# servers, each measurement against a fresh server process. laravel-echo-server is fed through a
# real redis-server in Laravel's format (what its users do); Sockudo through its Pusher HTTP API,
# signed as Laravel's pusher driver signs (what its users do); sidecast through its Unix socket,
# and once more through the same Redis (socket.io clients) and through its own Pusher HTTP API
# (Pusher clients) for the fan-out at 1,000 subscribers. Scenarios: (A) fan-out, the publish rate
# raised step by step; (B) many channels; (C) idle memory, with WebSocket and with
# polling-then-upgrade clients; (D) churn; and the machine's floor, one loopback write per
# delivery with no server. Every measurement leaves one JSON report in the results directory and
# one line in its manifest (the floor: floor.json); bench/servers/report.mjs turns them into the
# "servers" section of docs/benchmarks.md and its charts.
#
# Usage: bench/servers/run.sh full|quick RESULTS_DIR
# Called by scripts/bench.sh once setup.sh has built everything, with ROOT set, SIDECAST_BIN and
# LOADGEN_BIN naming the binaries to measure with, SOCKUDO_BIN Sockudo's (empty when it could not
# be built: its variants are left out), and the open-files limit raised.
set -euo pipefail
source "$ROOT/bench/lib.sh"

preset="${1:-}"
results="${2:-}"
loadgen="$LOADGEN_BIN"
echo_server="$ROOT/node_modules/.bin/laravel-echo-server"
key_prefix='bench_'
# The Pusher app both Pusher-protocol servers serve.
app_id=bench
app_key=bench-key
app_secret=bench-secret
p99_limit_ms=50

if [ ! -d "$results" ]; then
    echo "usage: $0 full|quick RESULTS_DIR" >&2
    exit 2
fi
case "$preset" in
    quick)
        fanout_subscribers=(1000)
        step_seconds=3
        many_channels=1000; many_channels_rate=1000; many_channels_seconds=4
        idle_connections=(1000); idle_seconds=3
        churn_seconds=5; churn_rate=50
        floor_seconds=3
        ;;
    full)
        fanout_subscribers=(1000 5000 10000)
        step_seconds=4
        many_channels=10000; many_channels_rate=2000; many_channels_seconds=10
        idle_connections=(1000 5000 10000); idle_seconds=5
        churn_seconds=10; churn_rate=100
        floor_seconds=10
        ;;
    *) echo "usage: $0 full|quick RESULTS_DIR" >&2; exit 2 ;;
esac

# Publish rates (events/s) tried at each fan-out size, in order (see measure_fanout for when the
# climb ends). One event to N subscribers is N deliveries, so the steps shrink as N
# grows: 100/s to 10,000 subscribers is already a million deliveries a second.
# The quick preset takes coarser steps.
fanout_rates() {
    case "$preset:$1" in
        quick:1000) echo 10,20,50,100,200,400,800,1600 ;;
        full:1000) echo 10,20,30,40,50,70,100,150,200,300,400,600,800,1200,1600 ;;
        full:5000) echo 2,5,10,20,40,80,160 ;;
        full:10000) echo 1,2,5,10,20,40,80 ;;
    esac
}

step() { printf '\n==> %s\n' "$*" >&2; }

tmp="$(mktemp -d)"
redis_pid=''
server_pid=''
loadgen_pid=''

cleanup() {
    stop "$loadgen_pid"
    stop "$server_pid"
    stop "$redis_pid"
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

step "Starting a redis-server for laravel-echo-server"
redis_port="$(free_port)"
redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no >"$tmp/redis.log" 2>&1 &
redis_pid=$!
wait_for_output "$redis_pid" "$tmp/redis.log" 'Ready to accept connections'

# Starts a fresh server of kind $1 (laravel-echo-server, sidecast, or sockudo) in a directory of
# its own and waits until it is ready; sets server_pid, server_url and server_socket. sidecast
# serves the Pusher app too when the variant's clients speak the Pusher protocol.
start_server() {
    local kind="$1" dir port
    dir="$(mktemp -d "$tmp/$kind.XXXX")"
    port="$(free_port)"
    write_echo_server_config "$dir" "$port" "$redis_port" "$key_prefix" http://localhost
    server_url="http://127.0.0.1:$port"
    server_socket="$dir/sidecast.sock"
    case "$kind" in
        laravel-echo-server)
            # exec: the pid is the node process itself, whose CPU and memory the generator reads.
            (cd "$dir" && exec "$echo_server" start) >"$dir/server.log" 2>&1 &
            server_pid=$!
            wait_for_output "$server_pid" "$dir/server.log" 'Server ready!'
            ;;
        sidecast)
            local app=()
            if [ "$protocol" = pusher ]; then
                app=(--app-id "$app_id" --app-key "$app_key" --app-secret "$app_secret")
            fi
            "$SIDECAST_BIN" start --dir "$dir" --host 127.0.0.1 --port "$port" --socket "$server_socket" "${app[@]}" >"$dir/server.log" 2>&1 &
            server_pid=$!
            wait_for_output "$server_pid" "$dir/server.log" 'subscribed to Redis'
            ;;
        sockudo)
            # The default app from the environment, without the limits that would stop the
            # benchmark itself: its rate limits per client address (20 WebSocket connections and
            # 100 API requests a minute, and every client here comes from 127.0.0.1), its 100
            # connections per app and its backend events per second. No metrics listener (it
            # would need a port of its own). exec: the pid is Sockudo's own.
            (cd "$dir" && HOST=127.0.0.1 PORT="$port" METRICS_ENABLED=false RATE_LIMITER_ENABLED=false \
                NO_COLOR=1 RUST_LOG=warn \
                SOCKUDO_DEFAULT_APP_ID="$app_id" SOCKUDO_DEFAULT_APP_KEY="$app_key" SOCKUDO_DEFAULT_APP_SECRET="$app_secret" \
                SOCKUDO_DEFAULT_APP_MAX_CONNECTIONS=1000000 SOCKUDO_DEFAULT_APP_MAX_BACKEND_EVENTS_PER_SECOND=1000000 \
                exec "$SOCKUDO_BIN") >"$dir/server.log" 2>&1 &
            server_pid=$!
            wait_for_port "$server_pid" "$dir/server.log" "$port"
            ;;
    esac
}

measurement=0
generator_status=0

# Sets kind, protocol, ingest and transport for server variant $1: which server, which protocol
# its clients speak (EIO=3, EIO=4 or pusher), which way events reach it, and how its clients
# reach their WebSocket (the -polling variants start on HTTP long polling and upgrade, as
# socket.io-client does by default).
variant_settings() {
    case "$1" in
        laravel-echo-server) kind=laravel-echo-server; protocol=3; ingest=redis; transport=websocket ;;
        laravel-echo-server-polling) kind=laravel-echo-server; protocol=3; ingest=redis; transport=polling-upgrade ;;
        sidecast-eio3) kind=sidecast; protocol=3; ingest=unix; transport=websocket ;;
        sidecast-eio3-polling) kind=sidecast; protocol=3; ingest=unix; transport=polling-upgrade ;;
        sidecast-eio4) kind=sidecast; protocol=4; ingest=unix; transport=websocket ;;
        sidecast-eio3-redis) kind=sidecast; protocol=3; ingest=redis; transport=websocket ;;
        sidecast-pusher) kind=sidecast; protocol=pusher; ingest=unix; transport=websocket ;;
        sidecast-pusher-http) kind=sidecast; protocol=pusher; ingest=pusher-http; transport=websocket ;;
        sockudo) kind=sockudo; protocol=pusher; ingest=pusher-http; transport=websocket ;;
    esac
}

# Where the generator sends events for the running server: its Unix socket, the Redis it
# subscribes to, or its Pusher HTTP API (signed with the app's secret).
ingest_target() {
    case "$ingest" in
        redis) echo "redis://127.0.0.1:$redis_port/$key_prefix" ;;
        pusher-http) echo "$server_url/apps/$app_id?key=$app_key&secret=$app_secret" ;;
        *) echo "unix:$server_socket" ;;
    esac
}

# The generator's options for the clients of the current variant.
protocol_args() {
    if [ "$protocol" = pusher ]; then
        echo "--pusher-key $app_key"
    else
        echo "--eio $protocol"
    fi
}

# Runs the generator once against the running server of variant $2, for scenario $1, with the
# rest of the arguments after `--url … --eio N (or --pusher-key KEY) --ingest … --server-pid …
# --json`. Its JSON report goes to results/N.json and a line describing it to
# results/manifest.jsonl, with the JSON fields in $3 (",\"rate\":10" or empty) added. Sets generator_status; a run the generator could not
# complete is recorded with its status and error output, and the suite goes on.
run_generator() {
    local scenario="$1" variant="$2" fields="$3" target
    target="$(ingest_target)"
    shift 3
    measurement=$((measurement + 1))
    generator_status=0
    # In the background, so that an interrupt stops the run at once rather than after it.
    # shellcheck disable=SC2046 # protocol_args is two words
    "$loadgen" "$@" --url "$server_url" $(protocol_args) --transport "$transport" --ingest "$target" --server-pid "$server_pid" --json \
        >"$results/$measurement.json" 2>"$results/$measurement.stderr" &
    loadgen_pid=$!
    wait "$loadgen_pid" || generator_status=$?
    loadgen_pid=''
    if [ "$generator_status" -ne 0 ]; then
        echo "bench: the generator exited with status $generator_status:" >&2
        tail -n 5 "$results/$measurement.stderr" >&2
    fi
    printf '{"id":%d,"scenario":"%s","variant":"%s","server":"%s","protocol":"%s","ingest":"%s","status":%d%s}\n' \
        "$measurement" "$scenario" "$variant" "$kind" "$protocol" "$ingest" "$generator_status" "$fields" >>"$results/manifest.jsonl"
}

# One measurement of scenario $1 against a fresh server of variant $2: the generator called with
# the rest of the arguments.
measure() {
    local scenario="$1" variant="$2"
    shift 2
    variant_settings "$variant"
    step "Scenario $scenario: $variant ($*)"
    start_server "$kind"
    run_generator "$scenario" "$variant" '' "$@"
    stop "$server_pid"
    server_pid=''
}

# Scenario A against a fresh server of variant $2: $1 subscribers of one channel, the publish
# rate raised step by step (fresh connections each step), judged by the rule of the generator's
# fan-out preset (bench/servers/fanout.mjs). Unlike the preset, a step that is not sustained is
# run once more (both runs are reported), so that one burst of someone else's load on the shared
# machine does not decide the result; and the climb ends at the first rate not sustained only
# once a lower rate was, or else once the server fell behind: with thousands of subscribers a low
# rate can miss the limit where a higher one, whose writes are batched, does not.
measure_fanout() {
    local subscribers="$1" variant="$2" rate attempt verdict judgement sustained any_sustained=false fell_behind
    variant_settings "$variant"
    step "Scenario fanout-$subscribers: $variant, rates $(fanout_rates "$subscribers") events/s, ${step_seconds} s each"
    start_server "$kind"
    for rate in $(fanout_rates "$subscribers" | tr ',' ' '); do
        sustained=false
        for attempt in 1 2; do
            fell_behind=false
            run_generator "fanout-$subscribers" "$variant" ",\"rate\":$rate,\"attempt\":$attempt" \
                run --clients "$subscribers" --channels 1 --rate "$rate" --duration "$step_seconds" \
                --connect-timeout 60 --ready-timeout 30
            if [ "$generator_status" -ne 0 ]; then
                break 2
            fi
            judgement=0
            verdict="$(node "$ROOT/bench/servers/fanout.mjs" "$results/$measurement.json" "$p99_limit_ms")" || judgement=$?
            echo "$rate events/s: $verdict" >&2
            case "$judgement" in
                0) sustained=true; break ;;
                2) fell_behind=true ;;
            esac
        done
        if [ "$sustained" = true ]; then
            any_sustained=true
        elif [ "$any_sustained" = true ] || [ "$fell_behind" = true ]; then
            break
        fi
    done
    stop "$server_pid"
    server_pid=''
}

variants=(laravel-echo-server sidecast-eio3 sidecast-eio4)
if [ -n "$SOCKUDO_BIN" ]; then
    variants+=(sockudo)
fi
variants+=(sidecast-pusher)

# The machine's floor at the issue's reference point: one write per delivery to 1,000 loopback
# connections at 100 events/s, with no server at all (sidecast-loadgen floor).
step "Floor: one write of a tick's frame to each of 1,000 loopback connections, 100 events/s for $floor_seconds s"
"$loadgen" floor --connections 1000 --rate 100 --duration "$floor_seconds" --json >"$results/floor.json" \
    2>"$results/floor.stderr" || echo "bench: the floor could not be measured: $(tail -n 1 "$results/floor.stderr")" >&2

for subscribers in "${fanout_subscribers[@]}"; do
    scenario_variants=("${variants[@]}")
    if [ "$subscribers" = 1000 ]; then
        scenario_variants+=(sidecast-eio3-redis sidecast-pusher-http)
    fi
    for variant in "${scenario_variants[@]}"; do
        measure_fanout "$subscribers" "$variant"
    done
done

for variant in "${variants[@]}"; do
    # Every subscription is proven with a probe event per channel, so the ready phase publishes
    # one event to each of the many channels per round.
    measure "channels-$many_channels" "$variant" scenario channels --channels "$many_channels" \
        --rate "$many_channels_rate" --duration "$many_channels_seconds" --connect-timeout 60 --ready-timeout 60
done

for connections in "${idle_connections[@]}"; do
    for variant in "${variants[@]}" laravel-echo-server-polling sidecast-eio3-polling; do
        measure "idle-$connections" "$variant" scenario idle --clients "$connections" --duration "$idle_seconds" \
            --connect-timeout 60 --ready-timeout 30
    done
done

# Scenario D: 1,000 clients stay subscribed to one channel and receive 20 events/s (a rate
# laravel-echo-server sustains) while visitors connect to the same channel at a fixed rate,
# prove their subscription, stay 0.1-1 s and leave (the generator's churn preset).
for variant in "${variants[@]}"; do
    measure churn-1000 "$variant" scenario churn --clients 1000 --channels 1 --rate 20 --duration "$churn_seconds" \
        --churn-rate "$churn_rate" --stay-min 0.1 --stay-max 1 --connect-timeout 60 --ready-timeout 30
done
