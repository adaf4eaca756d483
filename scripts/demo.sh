#!/usr/bin/env bash
# The demo: builds everything, starts the sidecar and the demo Laravel app, and fires
# ExampleEvent every few seconds while a Node Echo client prints what it receives. Open the
# printed URL to watch the events arrive in a browser. Stop with Ctrl+C.
#
# Settings: SIDECAST_PORT (Echo, default 6001), DEMO_APP_PORT (the app, default 8000). When
# not run from a terminal (or with CI=true) it fires three events and stops by itself.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
cd "$ROOT"

SIDECAST_PORT="${SIDECAST_PORT:-6001}"
DEMO_APP_PORT="${DEMO_APP_PORT:-8000}"
RUN_DIR="$ROOT/.tmp/demo"
export SIDECAST_SOCKET="$RUN_DIR/sidecast.sock" SIDECAST_PORT BROADCAST_DRIVER=sidecast
# A Pusher app, so that the page also works with Echo's reverb broadcaster (?broadcaster=reverb).
export SIDECAST_APP_ID=demo SIDECAST_APP_KEY=demo-key SIDECAST_APP_SECRET=demo-secret
mkdir -p "$RUN_DIR"

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for port in "$SIDECAST_PORT" "$DEMO_APP_PORT"; do
    if port_in_use "$port"; then
        echo "Port $port on 127.0.0.1 is in use. Choose others: SIDECAST_PORT=6101 DEMO_APP_PORT=8100 $0" >&2
        exit 1
    fi
done

pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 0' INT TERM

step "Starting sidecast on 127.0.0.1:$SIDECAST_PORT (events from PHP on $SIDECAST_SOCKET, channel authorization by the app)"
"$SIDECAST_BIN" start --host 127.0.0.1 --port "$SIDECAST_PORT" --socket "$SIDECAST_SOCKET" \
    --auth-host "http://127.0.0.1:$DEMO_APP_PORT" 2>"$RUN_DIR/sidecast.log" &
pids+=($!)

step "Starting the demo Laravel app on 127.0.0.1:$DEMO_APP_PORT (php -S, extension loaded)"
(cd examples/demo-app && exec php -d extension="$SIDECAST_EXTENSION" -S "127.0.0.1:$DEMO_APP_PORT" -t public server.php) 2>"$RUN_DIR/laravel.log" &
pids+=($!)

for _ in $(seq 100); do
    [ -S "$SIDECAST_SOCKET" ] && port_in_use "$DEMO_APP_PORT" && break
    sleep 0.1
done
[ -S "$SIDECAST_SOCKET" ] || { cat "$RUN_DIR/sidecast.log" >&2; exit 1; }

step "An Echo client in Node, printing what it receives"
node scripts/demo-listener.mjs "http://127.0.0.1:$SIDECAST_PORT" &
pids+=($!)
sleep 1

cat <<MSG

  Open http://127.0.0.1:$DEMO_APP_PORT/ in a browser: it connects with Laravel Echo over
  socket.io and lists every ExampleEvent as it arrives; ?broadcaster=reverb connects with Echo's
  reverb broadcaster, over the Pusher protocol. Fire one yourself with its button, or from a shell:
      cd examples/demo-app && SIDECAST_SOCKET=$SIDECAST_SOCKET php artisan demo:fire "Hi"
  Logs: $RUN_DIR/. Ctrl+C stops everything.

MSG

fire() {
    (cd examples/demo-app && php -d extension="$SIDECAST_EXTENSION" artisan demo:fire "$1")
}

if [ -t 0 ] && [ "${CI:-}" != "true" ]; then
    n=1
    while true; do
        fire "Hello World! #$n"
        n=$((n + 1))
        sleep 5
    done
else
    for n in 1 2 3; do
        fire "Hello World! #$n"
        sleep 1
    done
fi
