#!/usr/bin/env bash
# The soak part of the benchmark suite: one sidecar kept busy for a long time, to show that
# nothing grows. Minute after minute (a window), sidecast-loadgen connects 5,000 socket.io
# clients on 50 channels, publishes a steady 100 events/s to them while visitors come and go
# (20 a second, staying 1-10 s), checks every delivery, and disconnects; between windows and
# every few seconds within them, the server's resident memory, open files and threads are
# sampled from /proc. The same server serves every window.
#
# Usage: bench/soak/run.sh PRESET RESULTS_DIR (PRESET: full = 30 windows of 60 s; quick = 3 of
# 20 s), with SIDECAST_BIN and LOADGEN_BIN set by scripts/bench.sh. Writes window-N.json (the
# generator's report), samples.jsonl and settings.json for bench/soak/report.mjs.
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

preset="$1" results="$2"
windows=30 window_seconds=60
if [ "$preset" = quick ]; then
    windows=3 window_seconds=20
fi
clients=5000 channels=50 rate=100 churn_rate=20

work="$(mktemp -d)"
server_pid='' sampler_pid=''
cleanup() {
    stop "$sampler_pid"
    stop "$server_pid"
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port="$(free_port)"
"$SIDECAST_BIN" start --dir "$work" --host 127.0.0.1 --port "$port" --socket "$work/sidecast.sock" >"$work/server.log" 2>&1 &
server_pid=$!
wait_for_output "$server_pid" "$work/server.log" 'sidecast is listening'

# One line per sample: seconds since the start, window, resident bytes, open files, threads.
sample() {
    local window="$1"
    printf '{"t":%d,"window":%d,"rss_bytes":%d,"open_files":%d,"threads":%d}\n' \
        "$SECONDS" "$window" \
        "$(awk '/^VmRSS:/ { print $2 * 1024 }' "/proc/$server_pid/status")" \
        "$(open_files)" \
        "$(awk '/^Threads:/ { print $2 }' "/proc/$server_pid/status")" >>"$results/samples.jsonl"
}

open_files() {
    find "/proc/$server_pid/fd" -mindepth 1 -maxdepth 1 | wc -l
}

SECONDS=0
sample 0
baseline_files="$(open_files)"
for window in $(seq "$windows"); do
    (while true; do sample "$window"; sleep 5; done) &
    sampler_pid=$!
    "$LOADGEN_BIN" scenario churn --url "http://127.0.0.1:$port" --eio 4 --transport websocket \
        --ingest "unix:$work/sidecast.sock" --server-pid "$server_pid" \
        --clients "$clients" --channels "$channels" --rate "$rate" --duration "$window_seconds" \
        --churn-rate "$churn_rate" --stay-min 1 --stay-max 10 --connect-timeout 60 --ready-timeout 30 \
        --json >"$results/window-$window.json" 2>"$results/window-$window.stderr" || true
    stop "$sampler_pid"
    sampler_pid=''
    # The clients have just hung up: give the server up to 15 s to see every connection close.
    for _ in $(seq 15); do
        [ "$(open_files)" -le "$baseline_files" ] && break
        sleep 1
    done
    sample "$window"
    echo "soak: window $window of $windows done" >&2
done

printf '{"windows":%d,"window_seconds":%d,"clients":%d,"channels":%d,"rate":%d,"churn_rate":%d}\n' \
    "$windows" "$window_seconds" "$clients" "$channels" "$rate" "$churn_rate" >"$results/settings.json"
