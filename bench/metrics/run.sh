#!/usr/bin/env bash
# The metrics part of the benchmark suite: what the census costs per delivery. Every counter,
# gauge and histogram of the sidecar is a relaxed atomic (crates/core/src/metrics.rs), counted
# when the sidecast crate's default feature `census` is on; built without it, every count is a
# no-op. Two builds of the same source, census on and census off, take turns round after round,
# each round against a fresh sidecar: sidecast-loadgen connects 1,000 socket.io clients (EIO=4,
# WebSocket) to one channel, publishes 100 events/s to it through the sidecar's Unix socket for
# the window, checks every delivery, and reads the sidecar's CPU time (utime + stime from
# /proc/<pid>/stat) at the first publish and after the last delivery. After each round the
# sidecar's own GET /status (admin listener) says how many deliveries it counted: all of them
# with the census on, none with it off, or this run fails, since it would not be comparing what
# it claims to.
#
# Usage: bench/metrics/run.sh full|quick RESULTS_DIR (full: 5 rounds of each build, 30 s windows;
# quick: 2 rounds of each, 5 s windows). Called by scripts/bench.sh, with ROOT set, CENSUS_ON_BIN
# and CENSUS_OFF_BIN naming the two builds, LOADGEN_BIN the generator. Writes round-N.json (the
# generator's report of round N, and round-N.stderr), manifest.jsonl (one line a round: its
# build, the generator's exit status, the deliveries the sidecar counted) and settings.json, for
# bench/metrics/report.mjs.
set -euo pipefail
source "$ROOT/bench/lib.sh"

preset="${1:-}"
results="${2:-}"
if [ ! -d "$results" ]; then
    echo "usage: $0 full|quick RESULTS_DIR" >&2
    exit 2
fi
case "$preset" in
    quick) rounds=2 window_seconds=5 ;;
    full) rounds=5 window_seconds=30 ;;
    *) echo "usage: $0 full|quick RESULTS_DIR" >&2; exit 2 ;;
esac
# The suite's reference point (the servers part's floor): 1,000 subscribers, 100 events/s, so
# 100,000 deliveries a second, which leaves the generator and the sidecar room on two cores.
clients=1000 rate=100 eio=4

step() { printf '\n==> %s\n' "$*" >&2; }

tmp="$(mktemp -d)"
server_pid=''
loadgen_pid=''

cleanup() {
    stop "$loadgen_pid"
    stop "$server_pid"
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Starts a fresh sidecar from binary $1 in a directory of its own, on free loopback ports, with
# its admin listener on (for /status); sets server_pid, server_url, server_socket, admin_url.
start_server() {
    local binary="$1" dir port admin_port
    dir="$(mktemp -d "$tmp/sidecar.XXXX")"
    port="$(free_port)"
    admin_port="$(free_port)"
    server_url="http://127.0.0.1:$port"
    server_socket="$dir/sidecast.sock"
    admin_url="http://127.0.0.1:$admin_port"
    # --dir: read no laravel-echo-server.json or .env from the repository.
    "$binary" start --dir "$dir" --host 127.0.0.1 --port "$port" --socket "$server_socket" \
        --admin-host 127.0.0.1 --admin-port "$admin_port" >"$dir/server.log" 2>&1 &
    server_pid=$!
    wait_for_output "$server_pid" "$dir/server.log" 'sidecast is listening'
}

# The deliveries the running sidecar counted, from its GET /status (vitals.delivery.deliveries).
counted_deliveries() {
    curl -fsS --max-time 10 "$admin_url/status" |
        node -e 'let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => console.log(JSON.parse(s).vitals.delivery.deliveries));'
}

# One round: build $2 ("on" or "off", binary $3) measured as round $1. The generator's report
# goes to round-$1.json; a run it could not complete is recorded with its exit status and the
# part goes on without that round.
measure() {
    local round="$1" build="$2" binary="$3" status=0 counted delivered
    step "Round $round: census $build, $clients clients, $rate events/s for $window_seconds s"
    start_server "$binary"
    # In the background, so that an interrupt stops the run at once rather than after it.
    "$LOADGEN_BIN" run --url "$server_url" --eio "$eio" --transport websocket \
        --clients "$clients" --channels 1 --rate "$rate" --duration "$window_seconds" \
        --ingest "unix:$server_socket" --server-pid "$server_pid" \
        --connect-timeout 60 --ready-timeout 30 --json \
        >"$results/round-$round.json" 2>"$results/round-$round.stderr" &
    loadgen_pid=$!
    wait "$loadgen_pid" || status=$?
    loadgen_pid=''
    # -1: the sidecar did not answer (it may have died with the round).
    counted="$(counted_deliveries)" || counted=-1
    stop "$server_pid"
    server_pid=''
    if [ "$status" -ne 0 ]; then
        echo "bench: the generator exited with status $status:" >&2
        tail -n 5 "$results/round-$round.stderr" >&2
    else
        # The sidecar counts the subscription probes too, so "on" counts at least the
        # deliveries the generator received; "off" must count none.
        delivered="$(node -p 'JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).deliveries.delivered' "$results/round-$round.json")"
        if { [ "$build" = on ] && [ "$counted" -lt "$delivered" ]; } || { [ "$build" = off ] && [ "$counted" -ne 0 ]; }; then
            echo "bench: the census-$build sidecar counted $counted deliveries (-1: /status did not answer) of the $delivered received: it is not the build it is said to be" >&2
            exit 1
        fi
        echo "census $build: $(node -p 'const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); `${r.deliveries.delivered} deliveries, ${r.server.cpu_publish_s} s of server CPU, ${(r.server.cpu_publish_s * 1e6 / r.deliveries.delivered).toFixed(2)} µs per delivery`' "$results/round-$round.json"); the sidecar counted $counted" >&2
    fi
    printf '{"round":%d,"build":"%s","status":%d,"counted":%d}\n' "$round" "$build" "$status" "$counted" >>"$results/manifest.jsonl"
}

printf '{"rounds":%d,"window_seconds":%d,"clients":%d,"channels":1,"rate":%d,"eio":%d}\n' \
    "$rounds" "$window_seconds" "$clients" "$rate" "$eio" >"$results/settings.json"

# The builds alternate, and which goes first alternates from pair to pair (on off, off on, …),
# so that neither always runs first and a drift of the shared machine's load over the run
# weighs on both alike.
round=0
for pair in $(seq "$rounds"); do
    order=(on off)
    if [ $((pair % 2)) -eq 0 ]; then
        order=(off on)
    fi
    for build in "${order[@]}"; do
        round=$((round + 1))
        if [ "$build" = on ]; then
            measure "$round" on "$CENSUS_ON_BIN"
        else
            measure "$round" off "$CENSUS_OFF_BIN"
        fi
    done
done
