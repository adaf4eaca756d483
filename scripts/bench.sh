#!/usr/bin/env bash
# Benchmarks publishing from PHP, side by side in one run: the sidecast extension's broadcast()
# (asynchronous and acknowledged), the plain-PHP transport, and Laravel's stock redis
# broadcaster with phpredis and predis, both the driver call alone and a full
# broadcast(new ExampleEvent(...)). Starts its own sidecar and redis-server on free loopback
# ports, runs each case of bench/php/run.php in its own PHP process, and rewrites the
# "php-publish" section of docs/benchmarks.md with the results.
#
# Usage: scripts/bench.sh [--quick]    (--quick: fewer rounds and calls, for trying it out)
set -euo pipefail

# Each case runs once per pass, so a burst of load on a shared machine hits every case rather
# than one; its rounds from all passes are summarized together.
passes=3
rounds=5
calls_divisor=1
case "${1:-}" in
    '') ;;
    --quick) passes=3; rounds=1; calls_divisor=10 ;;
    *) echo "usage: $0 [--quick]" >&2; exit 2 ;;
esac
command_line="./scripts/bench.sh${1:+ $1}"

source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
cd "$ROOT"

tmp="$(mktemp -d)"
sidecar_pid=''
redis_pid=''

stop() {
    local pid="$1"
    if [ -n "$pid" ]; then
        kill -TERM "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    fi
}

cleanup() {
    stop "$sidecar_pid"
    stop "$redis_pid"
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A loopback port nothing listens on right now. Another process may take it before the server
# binds it: the server then fails to start, and so does this script.
free_port() {
    php -r '$server = stream_socket_server("tcp://127.0.0.1:0"); echo substr(strrchr(stream_socket_get_name($server, false), ":"), 1);'
}

# Waits until process $1's output, in file $2, has a line containing $3; fails with that output
# if the process ends first or 15 seconds pass.
wait_for_output() {
    local pid="$1" log="$2" expected="$3" deadline=$((SECONDS + 15))
    until grep -q -- "$expected" "$log"; do
        if ! kill -0 "$pid" 2>/dev/null || [ "$SECONDS" -ge "$deadline" ]; then
            echo "bench: gave up waiting for \"$expected\" from process $pid; its output:" >&2
            cat "$log" >&2
            exit 1
        fi
        sleep 0.05
    done
}

step "Starting a sidecar and a redis-server for the benchmark"
sidecar_port="$(free_port)"
# --dir: read no laravel-echo-server.json or .env from the repository.
"$SIDECAST_BIN" start --dir "$tmp" --host 127.0.0.1 --port "$sidecar_port" --socket "$tmp/sidecast.sock" >"$tmp/sidecar.log" 2>&1 &
sidecar_pid=$!
wait_for_output "$sidecar_pid" "$tmp/sidecar.log" 'sidecast is listening'

redis_port="$(free_port)"
redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no >"$tmp/redis.log" 2>&1 &
redis_pid=$!
wait_for_output "$redis_pid" "$tmp/redis.log" 'Ready to accept connections'

export BENCH_SOCKET="$tmp/sidecast.sock" BENCH_REDIS_PORT="$redis_port" BENCH_TMP="$tmp"
export BENCH_ROUNDS="$rounds" BENCH_CALLS_DIVISOR="$calls_divisor"

cpu="$(grep -m1 '^model name' /proc/cpuinfo)"
php_version="$(php -v)"
commit="$(git rev-parse --short HEAD)"
if ! git diff --quiet HEAD --; then
    commit="$commit with uncommitted changes"
fi
BENCH_COMMAND="$command_line"
BENCH_DATE="$(date -u '+%Y-%m-%d %H:%M UTC')"
BENCH_COMMIT="$commit"
BENCH_CPU="${cpu#*: }"
BENCH_CORES="$(nproc)"
BENCH_KERNEL="$(uname -sr)"
BENCH_PHP="${php_version%%$'\n'*}"
BENCH_REDIS="$(redis-server --version)"
BENCH_LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"
export BENCH_COMMAND BENCH_DATE BENCH_COMMIT BENCH_CPU BENCH_CORES BENCH_KERNEL BENCH_PHP BENCH_REDIS BENCH_LOAD_BEFORE

cases="$(php bench/php/run.php list)"
for pass in $(seq "$passes"); do
    while read -r id setup; do
        php_args=()
        if [ "$setup" = extension ]; then
            php_args=(-d "extension=$SIDECAST_EXTENSION")
        fi
        step "Pass $pass of $passes: $id"
        php "${php_args[@]}" bench/php/run.php "$id" >>"$tmp/results.jsonl"
    done <<<"$cases"
done

BENCH_LOAD_AFTER="$(cut -d' ' -f1-3 /proc/loadavg)"
export BENCH_LOAD_AFTER
step "Writing docs/benchmarks.md"
php bench/php/report.php "$tmp/results.jsonl" docs/benchmarks.md
