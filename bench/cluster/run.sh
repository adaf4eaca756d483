#!/usr/bin/env bash
# The cluster half of the benchmark suite: three sidecast nodes sharing one redis-server, and
# three laravel-echo-server 1.6.3 instances sharing another (each instance subscribed to
# Laravel's Redis channels, so an event published there reaches all three), measured with
# sidecast-loadgen in one run, the two clusters taking turns:
#
# - latency at 10, 100 and 1,000 events/s: 1,000 clients spread over the nodes, on 100 channels
#   (so every channel has subscribers on every node); sidecast fed through node 0's Unix socket,
#   its clients on node 0 (same node) against those on nodes 1 and 2 (other node);
#   laravel-echo-server fed through its Redis; sidecast once more through its own Redis as
#   Laravel's redis broadcaster would (every node subscribed, as laravel-echo-server);
# - the highest event rate each cluster sustains with p99 ≤ 50 ms and nothing lost, the rate
#   raised step by step as bench/servers/run.sh does for fan-out;
# - sidecast's Redis stopped for 3 s under a steady run, and the time from its return to the
#   first delivery across nodes;
# - presence (the demo Laravel app authorizes the channel): Redis memory per member at 100 and
#   200 members, join-to-joining latency on the joiner's node and on the others, and the time
#   from SIGKILL of a node to the last leaving of its members elsewhere; laravel-echo-server's
#   instances put through the same joins and kill.
#
# Every measurement leaves the generator's JSON report in the results directory and one line in
# its manifest; settings.json and floor.json describe the run. bench/cluster/report.mjs turns
# them into the "cluster" section of docs/benchmarks.md.
#
# Usage: bench/cluster/run.sh full|quick RESULTS_DIR
# Called by scripts/bench.sh once setup.sh has built everything, with ROOT set and SIDECAST_BIN
# and LOADGEN_BIN naming the binaries to measure with.
set -euo pipefail
source "$ROOT/bench/lib.sh"

preset="${1:-}"
results="${2:-}"
loadgen="$LOADGEN_BIN"
echo_server="$ROOT/node_modules/.bin/laravel-echo-server"
key_prefix='bench_'
p99_limit_ms=50
nodes=3
# 100 is prime to the 3 nodes: client i is on node i mod 3 and channel i mod 100, so every
# channel has subscribers on every node.
clients=1000
channels=100
# The demo app has users 1 to 200: 3 observers and 197 joiners.
joins=197
outage_down_seconds=3

if [ ! -d "$results" ]; then
    echo "usage: $0 full|quick RESULTS_DIR" >&2
    exit 2
fi
# latency_steps: rate:seconds. The liveness settings of the nodes: the full preset keeps
# sidecast's defaults, the quick one shortens them (a dead node is noticed in seconds).
case "$preset" in
    quick)
        latency_steps=(10:5 100:3 1000:3)
        climb_rates=500,1000,2000,4000,8000,16000,24000,32000; climb_seconds=3
        outage_seconds=12
        join_rate=40; les_joins=30
        heartbeat=1; dead_after=3; sweep_every=1
        ;;
    full)
        latency_steps=(10:20 100:10 1000:10)
        climb_rates=250,500,750,1000,1500,2000,3000,4000,6000,8000,12000,16000,24000,32000,48000; climb_seconds=5
        outage_seconds=15
        join_rate=10; les_joins=60
        heartbeat=3; dead_after=15; sweep_every=5
        ;;
    *) echo "usage: $0 full|quick RESULTS_DIR" >&2; exit 2 ;;
esac
# A dead node's members are gone by dead-after + sweep-every, as docs/scaling.md has it;
# sidecast's observers wait longer. laravel-echo-server's wait that bound and 5 s more: it has
# no such bound.
leave_bound=$((dead_after + sweep_every))
hold=$((leave_bound + 15))
les_hold=$((leave_bound + 5))

step() { printf '\n==> %s\n' "$*" >&2; }

tmp="$(mktemp -d)"
php_pid=''
redis_pids=('' '')
node_pids=()
les_pids=()
loadgen_pid=''

cleanup() {
    stop "$loadgen_pid"
    for pid in "${node_pids[@]}" "${les_pids[@]}"; do
        stop "$pid"
    done
    stop "${redis_pids[0]}"
    stop "${redis_pids[1]}"
    stop_group "$php_pid"
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Starts redis-server number $1 (0: sidecast's, 1: laravel-echo-server's) on port $2, without
# persistence, in a directory of its own, logging to $3 there; sets redis_pids[$1]. A restart
# uses the same port and directory.
start_redis() {
    local which="$1" port="$2" dir="$tmp/redis-$1"
    mkdir -p "$dir"
    redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "$dir" >"$dir/$3" 2>&1 &
    redis_pids[which]=$!
    wait_for_output "${redis_pids[which]}" "$dir/$3" 'Ready to accept connections'
}

step "Starting the demo Laravel app, which authorizes the presence channel"
php_port="$(free_port)"
(cd "$ROOT/examples/demo-app" && PHP_CLI_SERVER_WORKERS=4 BROADCAST_DRIVER=sidecast exec setsid php -S "127.0.0.1:$php_port" -t public server.php) \
    >"$tmp/php.log" 2>&1 &
php_pid=$!
wait_for_output "$php_pid" "$tmp/php.log" 'started'

step "Starting sidecast: a redis-server and $nodes nodes"
redis_ports=("$(free_port)" "$(free_port)")
start_redis 0 "${redis_ports[0]}" first.log
# Up to this many fields a hash is a compact listpack: it shapes the memory per member.
listpack_entries="$(redis-cli -p "${redis_ports[0]}" CONFIG GET hash-max-listpack-entries | tail -n 1)"
node_urls=()
node_sockets=()
for node in $(seq 0 $((nodes - 1))); do
    dir="$tmp/node-$node"
    mkdir "$dir"
    port="$(free_port)"
    write_echo_server_config "$dir" "$port" "${redis_ports[0]}" "$key_prefix" "http://127.0.0.1:$php_port"
    "$SIDECAST_BIN" start --dir "$dir" --host 127.0.0.1 --port "$port" --socket "$dir/sidecast.sock" \
        --cluster-redis "redis://127.0.0.1:${redis_ports[0]}" --cluster-heartbeat "$heartbeat" \
        --cluster-dead-after "$dead_after" --cluster-sweep-every "$sweep_every" >"$dir/server.log" 2>&1 &
    node_pids+=($!)
    wait_for_output "$!" "$dir/server.log" 'listening to the other nodes'
    wait_for_output "$!" "$dir/server.log" 'subscribed to Redis'
    node_urls+=("http://127.0.0.1:$port")
    node_sockets+=("$dir/sidecast.sock")
done

step "Starting laravel-echo-server: a redis-server and $nodes instances"
start_redis 1 "${redis_ports[1]}" first.log
les_urls=()
for instance in $(seq 0 $((nodes - 1))); do
    dir="$tmp/laravel-echo-server-$instance"
    mkdir "$dir"
    port="$(free_port)"
    write_echo_server_config "$dir" "$port" "${redis_ports[1]}" "$key_prefix" "http://127.0.0.1:$php_port"
    # exec: the pid is the instance's Node.js process itself, whose CPU the generator reads.
    (cd "$dir" && exec "$echo_server" start) >"$dir/server.log" 2>&1 &
    les_pids+=($!)
    wait_for_output "$!" "$dir/server.log" 'Server ready!'
    les_urls+=("http://127.0.0.1:$port")
done

joined() { local IFS=,; echo "$*"; }

cat >"$results/settings.json" <<EOF
{"preset":"$preset","nodes":$nodes,"clients":$clients,"channels":$channels,"p99_limit_ms":$p99_limit_ms,
 "climb_rates":[$climb_rates],"heartbeat_s":$heartbeat,"dead_after_s":$dead_after,"sweep_every_s":$sweep_every,"leave_bound_s":$leave_bound,"hold_s":$hold,"les_hold_s":$les_hold,
 "joins":$joins,"join_rate":$join_rate,"les_joins":$les_joins,"outage_down_s":$outage_down_seconds,
 "hash_max_listpack_entries":$listpack_entries}
EOF

# The floor of a hop between nodes: a round trip to Redis on loopback (redis-cli --latency
# samples PING for a second: min, max, average in ms, samples).
read -r rtt_min rtt_max rtt_avg rtt_samples < <(redis-cli -p "${redis_ports[0]}" --latency --raw)
echo "{\"redis_rtt_ms\":{\"min\":$rtt_min,\"max\":$rtt_max,\"avg\":$rtt_avg,\"samples\":$rtt_samples}}" >"$results/floor.json"

# Sets variant_args for cluster variant $1: where its clients connect, how events reach it, and
# its processes (the nodes and their redis-server: what the cluster costs).
variant_settings() {
    local sidecast_pids les_pids_list
    sidecast_pids="$(joined "${node_pids[@]}" "${redis_pids[0]}")"
    les_pids_list="$(joined "${les_pids[@]}" "${redis_pids[1]}")"
    case "$1" in
        sidecast) variant_args=(--url "$(joined "${node_urls[@]}")" --ingest "unix:${node_sockets[0]}" --ingest-node 0 --server-pid "$sidecast_pids") ;;
        sidecast-redis) variant_args=(--url "$(joined "${node_urls[@]}")" --ingest "redis://127.0.0.1:${redis_ports[0]}/$key_prefix" --server-pid "$sidecast_pids") ;;
        laravel-echo-server) variant_args=(--url "$(joined "${les_urls[@]}")" --ingest "redis://127.0.0.1:${redis_ports[1]}/$key_prefix" --server-pid "$les_pids_list") ;;
    esac
}

measurement=0
generator_status=0

# Starts the generator with the given arguments (and --json) in the background, its report to
# results/N.json; sets measurement and loadgen_pid.
start_generator() {
    measurement=$((measurement + 1))
    "$loadgen" "$@" --json >"$results/$measurement.json" 2>"$results/$measurement.stderr" &
    loadgen_pid=$!
}

# Waits for the generator started last and adds its line to the manifest, with the JSON fields
# $1 (",\"rate\":10" and the like) after its id; sets generator_status.
finish_generator() {
    generator_status=0
    wait "$loadgen_pid" || generator_status=$?
    loadgen_pid=''
    if [ "$generator_status" -ne 0 ]; then
        echo "bench: the generator exited with status $generator_status:" >&2
        tail -n 5 "$results/$measurement.stderr" >&2
    fi
    printf '{"id":%d%s,"status":%d}\n' "$measurement" "$1" "$generator_status" >>"$results/manifest.jsonl"
}

# One run of the generator against variant $2 at $3 events/s for $4 s, recorded as measurement
# kind $1 with the JSON fields $5.
measure() {
    local kind="$1" variant="$2" rate="$3" seconds="$4" fields="$5"
    variant_settings "$variant"
    start_generator run "${variant_args[@]}" --eio 3 --clients "$clients" --channels "$channels" \
        --rate "$rate" --duration "$seconds" --connect-timeout 60 --ready-timeout 30
    finish_generator ",\"measurement\":\"$kind\",\"variant\":\"$variant\",\"rate\":$rate$fields"
}

for latency_step in "${latency_steps[@]}"; do
    rate="${latency_step%%:*}"
    seconds="${latency_step##*:}"
    for variant in sidecast laravel-echo-server sidecast-redis; do
        step "Latency at $rate events/s: $variant, $clients clients on $channels channels for $seconds s"
        measure latency "$variant" "$rate" "$seconds" ''
    done
done

# The highest rate variant $1 sustains, judged by bench/cluster/step.mjs (the fan-out rule, and
# the events taken at the rate asked for) and climbed as bench/servers/run.sh does: a rate not
# sustained is run once more, and the climb ends at the first rate not sustained once a lower one
# was, or once the cluster fell behind.
climb() {
    local variant="$1" rate attempt judgement verdict sustained any_sustained=false fell_behind
    for rate in ${climb_rates//,/ }; do
        sustained=false
        for attempt in 1 2; do
            fell_behind=false
            step "Climb: $variant at $rate events/s for $climb_seconds s"
            measure climb "$variant" "$rate" "$climb_seconds" ",\"attempt\":$attempt"
            if [ "$generator_status" -ne 0 ]; then
                return
            fi
            judgement=0
            verdict="$(node "$ROOT/bench/cluster/step.mjs" "$results/$measurement.json" "$p99_limit_ms")" || judgement=$?
            echo "$rate events/s: $verdict" >&2
            case "$judgement" in
                0) sustained=true; break ;;
                2) fell_behind=true ;;
            esac
        done
        if [ "$sustained" = true ]; then
            any_sustained=true
        elif [ "$any_sustained" = true ] || [ "$fell_behind" = true ]; then
            return
        fi
    done
}

climb sidecast
climb laravel-echo-server

# Redis goes away under a steady run and comes back on the same port, empty. The generator
# reports, per side, the clients' silences of 250 ms or more by the wall clock; the return is
# when redis-server says it accepts connections (its log's own millisecond timestamp).
step "Redis outage: sidecast's redis-server stopped for $outage_down_seconds s under 100 events/s to 30 clients"
start_generator run --url "$(joined "${node_urls[@]}")" --ingest "unix:${node_sockets[0]}" --ingest-node 0 --eio 3 \
    --clients 30 --channels 1 --rate 100 --duration "$outage_seconds" --silence-ms 250 \
    --connect-timeout 30 --ready-timeout 30 --drain-timeout 15
# Connected and subscribed well within this: 30 clients take milliseconds.
sleep 3
stopped_ms="$(date +%s%3N)"
stop "${redis_pids[0]}"
sleep "$outage_down_seconds"
start_redis 0 "${redis_ports[0]}" again.log
ready_line="$(grep 'Ready to accept connections' "$tmp/redis-0/again.log")"
returned_ms="$(date -d "$(awk '{ print $2, $3, $4, $5 }' <<<"$ready_line")" +%s%3N)"
finish_generator ",\"measurement\":\"outage\",\"variant\":\"sidecast\",\"stopped_unix_ms\":$stopped_ms,\"returned_unix_ms\":$returned_ms"
# The presence measurements need every node back on the bus: a second "listening" (or, as
# later versions say it, "subscribed … again") in each log.
for node in $(seq 0 $((nodes - 1))); do
    deadline=$((SECONDS + 30))
    until [ "$(grep -c "listening to the other nodes\|subscribed to the cluster's bus again" "$tmp/node-$node/server.log")" -ge 2 ]; do
        if [ "$SECONDS" -ge "$deadline" ]; then
            echo "bench: node $node did not listen to the bus again within 30 s:" >&2
            tail -n 20 "$tmp/node-$node/server.log" >&2
            exit 1
        fi
        sleep 0.1
    done
done

# The four keys of a presence channel's roster in sidecast's Redis, as JSON: members, and each
# key's bytes (MEMORY USAGE, every element counted) and encoding.
roster_memory() {
    local channel="$1" key keys='' bytes encoding members
    members="$(redis-cli -p "${redis_ports[0]}" HLEN "sidecast:{$channel}:members")"
    for key in members refs sockets meta; do
        bytes="$(redis-cli -p "${redis_ports[0]}" MEMORY USAGE "sidecast:{$channel}:$key" SAMPLES 0)"
        encoding="$(redis-cli -p "${redis_ports[0]}" OBJECT ENCODING "sidecast:{$channel}:$key")"
        keys+="\"$key\":{\"bytes\":${bytes:-null},\"encoding\":\"$encoding\"},"
    done
    echo "{\"channel\":\"$channel\",\"members\":$members,\"keys\":{${keys%,}}}"
}

# Presence with 100 members: 3 observers and 97 joiners, held while Redis is read, then gone.
step "Presence: Redis memory with 100 members"
start_generator presence --url "$(joined "${node_urls[@]}")" --eio 3 --channel presence-chat.hundred \
    --joins 97 --join-rate 50 --hold 600
wait_for_output "$loadgen_pid" "$results/$measurement.stderr" 'holding' 120
memory="$(roster_memory presence-chat.hundred)"
stop "$loadgen_pid"
loadgen_pid=''
printf '{"id":%d,"measurement":"presence-memory","variant":"sidecast","memory":%s,"status":0}\n' "$measurement" "$memory" >>"$results/manifest.jsonl"

# Presence with 200 members joining one at a time; then the last node is killed, and the
# observers on the other two time the leavings of its members.
presence_and_kill() {
    local variant="$1" victim="$2" count="$3" urls="$4" hold="$5" killed_ms memory='null'
    start_generator presence --url "$urls" --eio 3 --channel presence-chat.bench --joins "$count" \
        --join-rate "$join_rate" --settle 5 --hold "$hold"
    wait_for_output "$loadgen_pid" "$results/$measurement.stderr" 'holding' $((count / join_rate + 120))
    if [ "$variant" = sidecast ]; then
        memory="$(roster_memory presence-chat.bench)"
    fi
    killed_ms="$(date +%s%3N)"
    kill -KILL "$victim"
    wait "$victim" 2>/dev/null || true
    finish_generator ",\"measurement\":\"presence\",\"variant\":\"$variant\",\"killed_node\":$((nodes - 1)),\"killed_unix_ms\":$killed_ms,\"memory\":$memory"
}

step "Presence: $joins joins at $join_rate/s across the sidecast nodes, then node $((nodes - 1)) killed (members gone within $leave_bound s)"
presence_and_kill sidecast "${node_pids[nodes - 1]}" "$joins" "$(joined "${node_urls[@]}")" "$hold"
step "Presence: $les_joins joins at $join_rate/s across the laravel-echo-server instances, then instance $((nodes - 1)) killed"
presence_and_kill laravel-echo-server "${les_pids[nodes - 1]}" "$les_joins" "$(joined "${les_urls[@]}")" "$les_hold"
