# Process and config helpers shared by scripts/bench.sh, bench/servers/run.sh and bench/cluster/run.sh
# (sourced, not run).

# Stops process $1 (if set) with SIGTERM, then SIGKILL after 10 seconds, and reaps it.
stop() {
    local pid="$1" deadline=$((SECONDS + 10))
    [ -n "$pid" ] || return 0
    kill -TERM "$pid" 2>/dev/null || return 0
    while kill -0 "$pid" 2>/dev/null && [ "$SECONDS" -lt "$deadline" ]; do
        sleep 0.05
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

# Stops the process group led by process $1 (if set; started with setsid, so that what it forked
# goes too): SIGTERM to the group, SIGKILL to what is left of it once the leader ended or after
# 10 seconds; reaps the leader.
stop_group() {
    local pid="$1" deadline=$((SECONDS + 10))
    [ -n "$pid" ] || return 0
    kill -TERM -- "-$pid" 2>/dev/null || return 0
    while kill -0 "$pid" 2>/dev/null && [ "$SECONDS" -lt "$deadline" ]; do
        sleep 0.05
    done
    kill -KILL -- "-$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

# A loopback port nothing listens on right now. Another process may take it before the server
# binds it: the server then fails to start, and so does the benchmark.
free_port() {
    php -r '$server = stream_socket_server("tcp://127.0.0.1:0"); echo substr(strrchr(stream_socket_get_name($server, false), ":"), 1);'
}

# Waits until process $1's output, in file $2, has a line containing $3; fails with that output
# if the process ends first or $4 seconds (20 by default) pass.
wait_for_output() {
    local pid="$1" log="$2" expected="$3" deadline=$((SECONDS + ${4:-20}))
    until grep -qs -- "$expected" "$log"; do
        if ! kill -0 "$pid" 2>/dev/null || [ "$SECONDS" -ge "$deadline" ]; then
            echo "bench: gave up waiting for \"$expected\" from process $pid; its output:" >&2
            cat "$log" >&2
            exit 1
        fi
        sleep 0.05
    done
}

# Waits until process $1 accepts TCP connections on 127.0.0.1 port $3, for a server that prints
# nothing to wait for; fails with its output (file $2) if it ends first or $4 seconds (20 by
# default) pass.
wait_for_port() {
    local pid="$1" log="$2" port="$3" deadline=$((SECONDS + ${4:-20}))
    until (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
        if ! kill -0 "$pid" 2>/dev/null || [ "$SECONDS" -ge "$deadline" ]; then
            echo "bench: gave up waiting for process $pid to accept connections on port $port; its output:" >&2
            cat "$log" >&2
            exit 1
        fi
        sleep 0.05
    done
}

# Writes laravel-echo-server's config file into directory $1, as `laravel-echo-server init` writes
# it for a Laravel app that broadcasts through Redis: serving on 127.0.0.1 port $2, subscribed to
# the Redis on 127.0.0.1 port $3 with key prefix $4, authorizing channels at $5. Sidecast nodes
# read the same file (their Redis subscriber, their auth host).
write_echo_server_config() {
    local dir="$1" port="$2" redis_port="$3" key_prefix="$4" auth_host="$5"
    cat >"$dir/laravel-echo-server.json" <<EOF
{
    "authHost": "$auth_host",
    "authEndpoint": "/broadcasting/auth",
    "clients": [],
    "database": "redis",
    "databaseConfig": {
        "redis": {"host": "127.0.0.1", "port": "$redis_port", "keyPrefix": "$key_prefix"}
    },
    "devMode": false,
    "host": "127.0.0.1",
    "port": "$port",
    "protocol": "http",
    "socketio": {},
    "subscribers": {"http": false, "redis": true},
    "apiOriginAllow": {"allowCors": false}
}
EOF
}
