#!/usr/bin/env bash
# The benchmark suite. Each part measures things side by side in one run and rewrites its own
# section of docs/benchmarks.md, leaving the rest of the file as it is:
#
# - php: publishing from PHP. The sidecast extension's broadcast() (asynchronous and
#   acknowledged), the plain-PHP transport, and Laravel's stock redis broadcaster with phpredis
#   and predis, both the driver call alone and a full broadcast(new ExampleEvent(...)). Starts its
#   own sidecar and redis-server on free loopback ports, runs each case of bench/php/run.php in
#   its own PHP process, and rewrites the "php-publish" section.
# - servers: serving Echo clients. sidecast's socket.io and Pusher front ends, laravel-echo-server
#   1.6.3 (fed through its own redis-server) and Sockudo (the Rust Pusher-protocol server, built
#   from crates.io into target/bench-peers/ the first time; left out, with the reason, when it
#   does not build), measured with sidecast-loadgen scenario by scenario (bench/servers/run.sh),
#   and the "servers" section with its charts in docs/benchmarks/ (bench/servers/report.mjs).
# - cluster: several nodes. Three sidecast nodes on one redis-server against three
#   laravel-echo-server instances on another: latency on the node that took the event and on the
#   others, the highest rate sustained, presence across nodes (the demo app authorizing it) and a
#   killed node's members leaving, Redis memory per member, Redis going away and coming back
#   (bench/cluster/run.sh), and the "cluster" section (bench/cluster/report.mjs).
# - soak: one sidecar kept busy for 30 minutes, 5,000 clients at a time with churn and a steady
#   event rate, its memory, open files, threads and latency over time (bench/soak/run.sh), and
#   the "soak" section (bench/soak/report.mjs).
# - metrics: what the census (the sidecar's counters, gauges and histograms) costs. sidecast built
#   twice into target/bench-census/, with its default feature `census` and without it
#   (--no-default-features: every count a no-op), the two builds taking turns for several rounds
#   of 1,000 socket.io clients at 100 events/s, each against a fresh sidecar; the server's CPU per
#   delivery of each round, the medians, their ratio and the spread of each build's own rounds
#   (bench/metrics/run.sh), and the "metrics-overhead" section (bench/metrics/report.mjs).
# - webhooks: whether a dead webhook endpoint slows delivery to clients. Rounds with the endpoint
#   up (answering 200 at once) and down (accepting connections and never answering) take turns,
#   each against a fresh sidecar sending channel_occupied and channel_vacated webhooks for the
#   clients a churner keeps bringing and taking away, while 1,000 socket.io clients receive 100
#   events/s; each round's latency p50/p99 and CPU per delivery, the sidecar's webhook figures
#   from /status, the medians of p99 up and down, their ratio and the spread of each state's own
#   rounds (bench/webhooks/run.sh), and the "webhooks-endpoint" section (bench/webhooks/report.mjs).
#
# Usage: scripts/bench.sh [--quick] [--only php|servers|cluster|soak|metrics|webhooks]
#   --quick  a short trial of every part (a few minutes in all)
#   --only   run one part
set -euo pipefail

usage() {
    echo "usage: $0 [--quick] [--only php|servers|cluster|soak|metrics|webhooks]" >&2
    exit 2
}

quick=false
parts=(php servers cluster soak metrics webhooks)
command_line='./scripts/bench.sh'
while [ $# -gt 0 ]; do
    case "$1" in
        --quick) quick=true; command_line+=' --quick'; shift ;;
        --only)
            case "${2:-}" in
                php | servers | cluster | soak | metrics | webhooks) parts=("$2"); command_line+=" --only $2"; shift 2 ;;
                *) usage ;;
            esac
            ;;
        *) usage ;;
    esac
done

source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
source "$ROOT/bench/lib.sh"
cd "$ROOT"

# The servers part holds 10,000 connections in the generator and as many in the server.
ulimit -n "$(ulimit -Hn)"

tmp="$(mktemp -d)"
sidecar_pid=''
redis_pid=''
servers_pid=''
cluster_pid=''
soak_pid=''
metrics_pid=''
webhooks_pid=''

cleanup() {
    stop "$webhooks_pid"
    stop "$metrics_pid"
    stop "$soak_pid"
    stop "$cluster_pid"
    stop "$servers_pid"
    stop "$sidecar_pid"
    stop "$redis_pid"
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

cpu="$(grep -m1 '^model name' /proc/cpuinfo)"
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
BENCH_REDIS="$(redis-server --version)"
export BENCH_COMMAND BENCH_DATE BENCH_COMMIT BENCH_CPU BENCH_CORES BENCH_KERNEL BENCH_REDIS

bench_php() {
    # Each case runs once per pass, so a burst of load on a shared machine hits every case
    # rather than one; its rounds from all passes are summarized together.
    local passes=3 rounds=5 calls_divisor=1
    if [ "$quick" = true ]; then
        rounds=1
        calls_divisor=10
    fi

    step "Starting a sidecar and a redis-server for the PHP benchmark"
    local sidecar_port redis_port
    sidecar_port="$(free_port)"
    # --dir: read no laravel-echo-server.json or .env from the repository.
    "$SIDECAST_BIN" start --dir "$tmp" --host 127.0.0.1 --port "$sidecar_port" --socket "$tmp/sidecast.sock" >"$tmp/sidecar.log" 2>&1 &
    sidecar_pid=$!
    wait_for_output "$sidecar_pid" "$tmp/sidecar.log" 'sidecast is listening'

    redis_port="$(free_port)"
    redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no >"$tmp/redis.log" 2>&1 &
    redis_pid=$!
    wait_for_output "$redis_pid" "$tmp/redis.log" 'Ready to accept connections'

    local php_version
    php_version="$(php -v)"
    BENCH_PHP="${php_version%%$'\n'*}"
    BENCH_LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"
    export BENCH_SOCKET="$tmp/sidecast.sock" BENCH_REDIS_PORT="$redis_port" BENCH_TMP="$tmp"
    export BENCH_ROUNDS="$rounds" BENCH_CALLS_DIVISOR="$calls_divisor" BENCH_PHP BENCH_LOAD_BEFORE

    local cases pass id setup php_args
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
    step "Writing the php-publish section of docs/benchmarks.md"
    php bench/php/report.php "$tmp/results.jsonl" docs/benchmarks.md

    stop "$sidecar_pid"
    sidecar_pid=''
    stop "$redis_pid"
    redis_pid=''
}

# Sockudo 5.2, built once with cargo install into target/bench-peers/ (its build needs protoc
# and protobuf's well-known types, from Debian). Sets SOCKUDO_BIN, or leaves it empty and
# BENCH_SOCKUDO_MISSING saying why when the build fails: the suite then runs without it.
build_sockudo() {
    local peers="$ROOT/target/bench-peers" version=5.2.0
    SOCKUDO_BIN="$peers/sockudo/bin/sockudo"
    BENCH_SOCKUDO_MISSING=''
    APT_PACKAGES=(protobuf-compiler libprotobuf-dev)
    install_debian_packages
    if [ ! -x "$SOCKUDO_BIN" ] || ! grep -qs "\"sockudo $version" "$peers/sockudo/.crates.toml"; then
        step "Building Sockudo $version from crates.io (once; about half an hour on two cores)"
        if ! CARGO_TARGET_DIR="$peers/build" cargo install --locked --quiet sockudo --version "$version" \
            --root "$peers/sockudo" >"$tmp/sockudo-build.log" 2>&1; then
            BENCH_SOCKUDO_MISSING="cargo install --locked sockudo failed: $(grep -m1 '^error' "$tmp/sockudo-build.log" || tail -n 1 "$tmp/sockudo-build.log")"
            echo "bench: $BENCH_SOCKUDO_MISSING; measuring without Sockudo" >&2
            SOCKUDO_BIN=''
        fi
    fi
    BENCH_SOCKUDO_VERSION=''
    if [ -n "$SOCKUDO_BIN" ]; then
        BENCH_SOCKUDO_VERSION="Sockudo $version"
        cp "$SOCKUDO_BIN" "$tmp/servers/sockudo"
        SOCKUDO_BIN="$tmp/servers/sockudo"
    fi
    export BENCH_SOCKUDO_MISSING BENCH_SOCKUDO_VERSION
}

bench_servers() {
    local preset=full started="$SECONDS"
    if [ "$quick" = true ]; then
        preset=quick
    fi
    # Copies, so that the whole run measures one build even if the workspace is rebuilt meanwhile.
    mkdir "$tmp/servers" "$tmp/servers/results"
    cp "$SIDECAST_BIN" "$tmp/servers/sidecast"
    cp "$ROOT/target/release/sidecast-loadgen" "$tmp/servers/sidecast-loadgen"
    build_sockudo
    BENCH_PRESET="$preset"
    BENCH_OPEN_FILES="$(ulimit -n)"
    BENCH_SIDECAST_VERSION="$("$tmp/servers/sidecast" --version)"
    BENCH_SIDECAST_BUILT="$(date -u -r "$SIDECAST_BIN" '+%Y-%m-%d %H:%M UTC')"
    BENCH_LOADGEN_VERSION="$("$tmp/servers/sidecast-loadgen" --version)"
    BENCH_LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"
    export BENCH_PRESET BENCH_OPEN_FILES BENCH_SIDECAST_VERSION BENCH_SIDECAST_BUILT BENCH_LOADGEN_VERSION BENCH_LOAD_BEFORE

    # In the background, so that an interrupt reaches it (and its servers) at once.
    SIDECAST_BIN="$tmp/servers/sidecast" LOADGEN_BIN="$tmp/servers/sidecast-loadgen" SOCKUDO_BIN="$SOCKUDO_BIN" \
        "$ROOT/bench/servers/run.sh" "$preset" "$tmp/servers/results" &
    servers_pid=$!
    wait "$servers_pid"
    servers_pid=''

    BENCH_LOAD_AFTER="$(cut -d' ' -f1-3 /proc/loadavg)"
    BENCH_SERVERS_MINUTES="$(awk -v s=$((SECONDS - started)) 'BEGIN { printf "%.1f", s / 60 }')"
    export BENCH_LOAD_AFTER BENCH_SERVERS_MINUTES
    step "Writing the servers section of docs/benchmarks.md and its charts"
    node bench/servers/report.mjs "$tmp/servers/results" docs/benchmarks.md
}

bench_cluster() {
    local preset=full started="$SECONDS" php_version
    if [ "$quick" = true ]; then
        preset=quick
    fi
    # Copies, so that the whole run measures one build even if the workspace is rebuilt meanwhile.
    mkdir "$tmp/cluster" "$tmp/cluster/results"
    cp "$SIDECAST_BIN" "$tmp/cluster/sidecast"
    cp "$ROOT/target/release/sidecast-loadgen" "$tmp/cluster/sidecast-loadgen"
    php_version="$(php -v)"
    BENCH_PHP="${php_version%%$'\n'*}"
    BENCH_SIDECAST_VERSION="$("$tmp/cluster/sidecast" --version)"
    BENCH_SIDECAST_BUILT="$(date -u -r "$SIDECAST_BIN" '+%Y-%m-%d %H:%M UTC')"
    BENCH_LOADGEN_VERSION="$("$tmp/cluster/sidecast-loadgen" --version)"
    BENCH_LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"
    export BENCH_PHP BENCH_SIDECAST_VERSION BENCH_SIDECAST_BUILT BENCH_LOADGEN_VERSION BENCH_LOAD_BEFORE

    # In the background, so that an interrupt reaches it (and its servers) at once.
    SIDECAST_BIN="$tmp/cluster/sidecast" LOADGEN_BIN="$tmp/cluster/sidecast-loadgen" \
        "$ROOT/bench/cluster/run.sh" "$preset" "$tmp/cluster/results" &
    cluster_pid=$!
    wait "$cluster_pid"
    cluster_pid=''

    BENCH_LOAD_AFTER="$(cut -d' ' -f1-3 /proc/loadavg)"
    BENCH_CLUSTER_MINUTES="$(awk -v s=$((SECONDS - started)) 'BEGIN { printf "%.1f", s / 60 }')"
    export BENCH_LOAD_AFTER BENCH_CLUSTER_MINUTES
    step "Writing the cluster section of docs/benchmarks.md"
    node bench/cluster/report.mjs "$tmp/cluster/results" docs/benchmarks.md
}

bench_soak() {
    local preset=full started="$SECONDS"
    if [ "$quick" = true ]; then
        preset=quick
    fi
    # Copies, so that the whole run measures one build even if the workspace is rebuilt meanwhile.
    mkdir "$tmp/soak" "$tmp/soak/results"
    cp "$SIDECAST_BIN" "$tmp/soak/sidecast"
    cp "$ROOT/target/release/sidecast-loadgen" "$tmp/soak/sidecast-loadgen"
    BENCH_PRESET="$preset"
    BENCH_SIDECAST_VERSION="$("$tmp/soak/sidecast" --version)"
    BENCH_SIDECAST_BUILT="$(date -u -r "$SIDECAST_BIN" '+%Y-%m-%d %H:%M UTC')"
    BENCH_LOADGEN_VERSION="$("$tmp/soak/sidecast-loadgen" --version)"
    BENCH_LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"
    export BENCH_PRESET BENCH_SIDECAST_VERSION BENCH_SIDECAST_BUILT BENCH_LOADGEN_VERSION BENCH_LOAD_BEFORE

    # In the background, so that an interrupt reaches it (and its server) at once.
    SIDECAST_BIN="$tmp/soak/sidecast" LOADGEN_BIN="$tmp/soak/sidecast-loadgen" \
        "$ROOT/bench/soak/run.sh" "$preset" "$tmp/soak/results" &
    soak_pid=$!
    wait "$soak_pid"
    soak_pid=''

    BENCH_LOAD_AFTER="$(cut -d' ' -f1-3 /proc/loadavg)"
    BENCH_SOAK_MINUTES="$(awk -v s=$((SECONDS - started)) 'BEGIN { printf "%.1f", s / 60 }')"
    export BENCH_LOAD_AFTER BENCH_SOAK_MINUTES
    step "Writing the soak section of docs/benchmarks.md"
    node bench/soak/report.mjs "$tmp/soak/results" docs/benchmarks.md
}

# The sidecar with the census on and off, each built alone (-p sidecast) with the same profile
# into target/bench-census/, so that the two binaries differ in the census feature only: the
# suite's target/release/sidecast comes from a workspace build, whose dependencies' features are
# unified with the other members' (the PHP extension, the load generator). The two builds share
# the dependencies' artifacts, so only the sidecast crates are compiled twice, and only the first
# time. Copies go to $tmp/metrics/, so that the run measures these builds whatever happens to
# the target directory meanwhile.
build_census_pair() {
    local target="$ROOT/target/bench-census"
    step "Building sidecast with the census on and off (cargo build --release -p sidecast [--no-default-features], into target/bench-census/)"
    CARGO_TARGET_DIR="$target" cargo build --release --locked --quiet -p sidecast
    cp "$target/release/sidecast" "$tmp/metrics/sidecast-census-on"
    CARGO_TARGET_DIR="$target" cargo build --release --locked --quiet -p sidecast --no-default-features
    cp "$target/release/sidecast" "$tmp/metrics/sidecast-census-off"
}

bench_metrics() {
    local preset=full started
    if [ "$quick" = true ]; then
        preset=quick
    fi
    mkdir "$tmp/metrics" "$tmp/metrics/results"
    build_census_pair
    # The minutes reported are the measuring's: the first build takes longer than all of it.
    started="$SECONDS"
    cp "$ROOT/target/release/sidecast-loadgen" "$tmp/metrics/sidecast-loadgen"
    BENCH_PRESET="$preset"
    BENCH_SIDECAST_VERSION="$("$tmp/metrics/sidecast-census-on" --version)"
    BENCH_LOADGEN_VERSION="$("$tmp/metrics/sidecast-loadgen" --version)"
    BENCH_LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"
    export BENCH_PRESET BENCH_SIDECAST_VERSION BENCH_LOADGEN_VERSION BENCH_LOAD_BEFORE

    # In the background, so that an interrupt reaches it (and its sidecar) at once.
    CENSUS_ON_BIN="$tmp/metrics/sidecast-census-on" CENSUS_OFF_BIN="$tmp/metrics/sidecast-census-off" \
        LOADGEN_BIN="$tmp/metrics/sidecast-loadgen" "$ROOT/bench/metrics/run.sh" "$preset" "$tmp/metrics/results" &
    metrics_pid=$!
    wait "$metrics_pid"
    metrics_pid=''

    BENCH_LOAD_AFTER="$(cut -d' ' -f1-3 /proc/loadavg)"
    BENCH_METRICS_MINUTES="$(awk -v s=$((SECONDS - started)) 'BEGIN { printf "%.1f", s / 60 }')"
    export BENCH_LOAD_AFTER BENCH_METRICS_MINUTES
    step "Writing the metrics-overhead section of docs/benchmarks.md"
    node bench/metrics/report.mjs "$tmp/metrics/results" docs/benchmarks.md
}

bench_webhooks() {
    local preset=full started="$SECONDS"
    if [ "$quick" = true ]; then
        preset=quick
    fi
    # Copies, so that the whole run measures one build even if the workspace is rebuilt meanwhile.
    mkdir "$tmp/webhooks" "$tmp/webhooks/results"
    cp "$SIDECAST_BIN" "$tmp/webhooks/sidecast"
    cp "$ROOT/target/release/sidecast-loadgen" "$tmp/webhooks/sidecast-loadgen"
    BENCH_PRESET="$preset"
    BENCH_SIDECAST_VERSION="$("$tmp/webhooks/sidecast" --version)"
    BENCH_LOADGEN_VERSION="$("$tmp/webhooks/sidecast-loadgen" --version)"
    BENCH_LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"
    export BENCH_PRESET BENCH_SIDECAST_VERSION BENCH_LOADGEN_VERSION BENCH_LOAD_BEFORE

    # In the background, so that an interrupt reaches it (and its processes) at once.
    SIDECAST_BIN="$tmp/webhooks/sidecast" LOADGEN_BIN="$tmp/webhooks/sidecast-loadgen" \
        "$ROOT/bench/webhooks/run.sh" "$preset" "$tmp/webhooks/results" &
    webhooks_pid=$!
    wait "$webhooks_pid"
    webhooks_pid=''

    BENCH_LOAD_AFTER="$(cut -d' ' -f1-3 /proc/loadavg)"
    BENCH_WEBHOOKS_MINUTES="$(awk -v s=$((SECONDS - started)) 'BEGIN { printf "%.1f", s / 60 }')"
    export BENCH_LOAD_AFTER BENCH_WEBHOOKS_MINUTES
    step "Writing the webhooks-endpoint section of docs/benchmarks.md"
    node bench/webhooks/report.mjs "$tmp/webhooks/results" docs/benchmarks.md
}

for part in "${parts[@]}"; do
    "bench_$part"
done
