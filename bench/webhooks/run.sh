#!/usr/bin/env bash
# The webhooks part of the benchmark suite: whether a dead webhook endpoint slows delivery to
# clients. The sidecar sends webhooks from a queue and a task of its own per endpoint
# (crates/lifecycle/src/webhook.rs), so an endpoint that is down should hold up only its own
# requests; this measures that it does. Rounds with the endpoint up and with it down take turns,
# each against a fresh sidecar that sends channel_occupied and channel_vacated webhooks to
# bench/webhooks/endpoint.mjs:
#
# - up: an HTTP server that answers 200 at once;
# - down: a TCP server that accepts connections and never answers, the worst case for the
#   sender: each request waits its 5 s timeout, then is retried 0.5, 1, 2 and 4 s later, while
#   the requests behind it wait in the endpoint's queue (1,000 requests at most, then dropped).
#
# During each round bench/webhooks/churn.mjs keeps opening socket.io clients that subscribe to a
# channel of their own and leave, so that the sidecar has webhooks to send throughout, while
# sidecast-loadgen connects 1,000 socket.io clients (EIO=4, WebSocket) to one channel, publishes
# 100 events/s to it through the sidecar's Unix socket for the window, checks every delivery, and
# measures their latency and the sidecar's CPU time, as the metrics part does. After each round
# the sidecar's own GET /status (admin listener, vitals.webhooks) says what became of the
# webhooks: with the endpoint up, events sent and no request failed; with it down, none sent and
# requests failed; otherwise this run fails, since it would not be comparing what it claims to.
#
# Usage: bench/webhooks/run.sh full|quick RESULTS_DIR (full: 3 rounds of each endpoint state,
# 20 s windows; quick: 1 round of each, 5 s windows). Called by scripts/bench.sh, with ROOT set,
# SIDECAST_BIN naming the sidecar's build and LOADGEN_BIN the generator. Writes round-N.json (the
# generator's report of round N, and round-N.stderr), manifest.jsonl (one line a round: the
# endpoint's state, the generator's exit status, the churner's counts, the sidecar's webhook
# figures, what the endpoint saw) and settings.json, for bench/webhooks/report.mjs.
set -euo pipefail
source "$ROOT/bench/lib.sh"

preset="${1:-}"
results="${2:-}"
if [ ! -d "$results" ]; then
    echo "usage: $0 full|quick RESULTS_DIR" >&2
    exit 2
fi
case "$preset" in
    quick) rounds=1 window_seconds=5 ;;
    full) rounds=3 window_seconds=20 ;;
    *) echo "usage: $0 full|quick RESULTS_DIR" >&2; exit 2 ;;
esac
# The suite's reference point (the servers part's floor): 1,000 subscribers, 100 events/s, so
# 100,000 deliveries a second, which leaves the generator and the sidecar room on two cores.
clients=1000 rate=100 eio=4
# A client every 50 ms, each telling two lifecycle events: as often as the sidecar batches them
# (50 ms), so that it sends about 20 requests a second, each with a few events.
churn_rate=20 churn_hold_ms=100

step() { printf '\n==> %s\n' "$*" >&2; }

tmp="$(mktemp -d)"
endpoint_pid=''
server_pid=''
churn_pid=''
loadgen_pid=''

cleanup() {
    stop "$loadgen_pid"
    stop "$churn_pid"
    stop "$server_pid"
    stop "$endpoint_pid"
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Starts the webhook endpoint in state $1 ("up" or "down") on a free loopback port, logging to
# directory $2; sets endpoint_pid and endpoint_url.
start_endpoint() {
    local state="$1" dir="$2" port
    port="$(free_port)"
    endpoint_url="http://127.0.0.1:$port/hooks"
    node "$ROOT/bench/webhooks/endpoint.mjs" "$state" "$port" >"$dir/endpoint.log" 2>&1 &
    endpoint_pid=$!
    wait_for_output "$endpoint_pid" "$dir/endpoint.log" "endpoint $state on"
}

# Starts a fresh sidecar in directory $1, on free loopback ports, with its admin listener on (for
# /status) and webhooks for channels occupied and vacated going to endpoint_url, each told at once
# (--lifecycle-grace 0: no channel_vacated held back in case the channel comes back); sets
# server_pid, server_url, server_socket, admin_url.
start_server() {
    local dir="$1" port admin_port
    port="$(free_port)"
    admin_port="$(free_port)"
    server_url="http://127.0.0.1:$port"
    server_socket="$dir/sidecast.sock"
    admin_url="http://127.0.0.1:$admin_port"
    # --dir: read no laravel-echo-server.json or .env from the repository. The app's secret signs
    # the webhooks.
    "$SIDECAST_BIN" start --dir "$dir" --host 127.0.0.1 --port "$port" --socket "$server_socket" \
        --admin-host 127.0.0.1 --admin-port "$admin_port" \
        --app-id bench --app-key bench-key --app-secret bench-secret \
        --webhook-url "$endpoint_url" --lifecycle-events channel_occupied,channel_vacated --lifecycle-grace 0 \
        >"$dir/server.log" 2>&1 &
    server_pid=$!
    wait_for_output "$server_pid" "$dir/server.log" 'sidecast is listening'
}

# The running sidecar's webhook figures from its GET /status (vitals.webhooks), as JSON.
webhook_figures() {
    curl -fsS --max-time 10 "$admin_url/status" |
        node -e 'let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => console.log(JSON.stringify(JSON.parse(s).vitals.webhooks)));'
}

# Field $2 of JSON object $1, printed as it is (-1 when there is no such object or field).
field() {
    node -p 'const o = JSON.parse(process.argv[1] || "null"); o?.[process.argv[2]] ?? -1' "$1" "$2"
}

# The last line of file $1, which a process left as its JSON summary when stopped; null if there
# is none.
summary() {
    local line
    line="$(tail -n 1 "$1")"
    if node -e 'JSON.parse(process.argv[1])' "$line" 2>/dev/null; then
        echo "$line"
    else
        echo null
    fi
}

# One round: the endpoint in state $2 ("up" or "down"), measured as round $1. The generator's
# report goes to round-$1.json; a run it could not complete is recorded with its exit status and
# the part goes on without that round.
measure() {
    local round="$1" state="$2" dir status=0 churning_since figures churned seen sent failed
    step "Round $round: endpoint $state, $clients clients, $rate events/s for $window_seconds s, $churn_rate channels occupied and vacated a second"
    dir="$(mktemp -d "$tmp/round-$round.XXXX")"
    start_endpoint "$state" "$dir"
    start_server "$dir"
    # Churning before the window opens, so that the sidecar is sending webhooks throughout it.
    node "$ROOT/bench/webhooks/churn.mjs" "$server_url" "$churn_rate" "$churn_hold_ms" $((window_seconds + 300)) \
        >"$dir/churn.log" 2>&1 &
    churn_pid=$!
    wait_for_output "$churn_pid" "$dir/churn.log" 'churning'
    churning_since="$EPOCHREALTIME"
    # In the background, so that an interrupt stops the run at once rather than after it.
    "$LOADGEN_BIN" run --url "$server_url" --eio "$eio" --transport websocket \
        --clients "$clients" --channels 1 --rate "$rate" --duration "$window_seconds" \
        --ingest "unix:$server_socket" --server-pid "$server_pid" \
        --connect-timeout 60 --ready-timeout 30 --json \
        >"$results/round-$round.json" 2>"$results/round-$round.stderr" &
    loadgen_pid=$!
    wait "$loadgen_pid" || status=$?
    loadgen_pid=''
    # The first request to a dead endpoint fails only after its 5 s timeout, which a quick window
    # may not outlast: the churn goes on for 6 s at least, so that the figures below cover it.
    sleep "$(awk -v since="$churning_since" -v now="$EPOCHREALTIME" 'BEGIN { left = 6 - (now - since); print (left > 0 ? left : 0) }')"
    stop "$churn_pid"
    churn_pid=''
    churned="$(summary "$dir/churn.log")"
    # null: the sidecar did not answer (it may have died with the round).
    figures="$(webhook_figures)" || figures=null
    stop "$server_pid"
    server_pid=''
    stop "$endpoint_pid"
    endpoint_pid=''
    seen="$(summary "$dir/endpoint.log")"
    printf '{"round":%d,"endpoint":"%s","status":%d,"churn":%s,"webhooks":%s,"endpoint_saw":%s}\n' \
        "$round" "$state" "$status" "$churned" "$figures" "$seen" >>"$results/manifest.jsonl"
    if [ "$status" -ne 0 ]; then
        echo "bench: the generator exited with status $status:" >&2
        tail -n 5 "$results/round-$round.stderr" >&2
        return
    fi
    sent="$(field "$figures" events_sent)"
    failed="$(field "$figures" failed_requests)"
    echo "endpoint $state: $(node -p 'const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); `${r.deliveries.delivered} deliveries, p50 ${r.latency_ms.p50} ms, p99 ${r.latency_ms.p99} ms`' "$results/round-$round.json"); churns $(field "$churned" churns); webhook events sent $sent, dropped $(field "$figures" events_dropped), failed requests $failed" >&2
    # -1: /status did not answer; both checks fail then.
    if { [ "$state" = up ] && { [ "$sent" -le 0 ] || [ "$failed" -ne 0 ]; }; } ||
        { [ "$state" = down ] && { [ "$sent" -ne 0 ] || [ "$failed" -le 0 ]; }; }; then
        echo "bench: with the endpoint $state, the sidecar sent $sent webhook events and $failed requests failed (-1: /status did not answer): the endpoint is not in the state it is said to be" >&2
        exit 1
    fi
}

printf '{"rounds":%d,"window_seconds":%d,"clients":%d,"channels":1,"rate":%d,"eio":%d,"churn_rate":%d,"churn_hold_ms":%d}\n' \
    "$rounds" "$window_seconds" "$clients" "$rate" "$eio" "$churn_rate" "$churn_hold_ms" >"$results/settings.json"

# The states alternate, and which goes first alternates from pair to pair (up down, down up, …),
# so that neither always runs first and a drift of the shared machine's load over the run weighs
# on both alike.
round=0
for pair in $(seq "$rounds"); do
    order=(up down)
    if [ $((pair % 2)) -eq 0 ]; then
        order=(down up)
    fi
    for state in "${order[@]}"; do
        round=$((round + 1))
        measure "$round" "$state"
    done
done
