// Lifecycle traffic for the webhooks part of the benchmark suite: socket.io clients
// (socket.io-client 4, over WebSocket, as Echo 2 with `transports: ['websocket']`) opened at a
// steady rate, each subscribing to a public channel of its own, churn.<n>, as Echo's `subscribe`
// does, and disconnecting a moment later. With --lifecycle-grace 0, each makes the sidecar tell
// channel_occupied and channel_vacated, so that it sends webhooks for as long as this runs.
//
// Echo's socket.io protocol has no acknowledgement of `subscribe`, so a client holds its
// subscription for HOLD_MS milliseconds before disconnecting, long enough for the sidecar to
// have applied it (a subscription that arrives after the disconnect is not applied, and tells
// nothing); the sidecar's own count of webhook events sent, which run.sh records, shows whether
// it was. At most MAX_IN_FLIGHT clients are open at a time: a tick that finds that many is
// skipped and counted, so that a slow server lowers the rate rather than piling up clients.
//
// Prints "churning" once the first client has come and gone (run.sh waits for it), and on
// SIGTERM, or after MAX_SECONDS, one JSON line: churns completed, clients that failed to
// connect, ticks skipped and the seconds it ran.
//
// Usage: node bench/webhooks/churn.mjs URL RATE HOLD_MS MAX_SECONDS

import { io } from 'socket.io-client';

const MAX_IN_FLIGHT = 10;

const [url, rateText, holdText, maxText] = process.argv.slice(2);
const rate = Number(rateText);
const holdMs = Number(holdText);
const maxSeconds = Number(maxText);
if (!url || !(rate > 0) || !(holdMs >= 0) || !(maxSeconds > 0)) {
    console.error('usage: node bench/webhooks/churn.mjs URL RATE HOLD_MS MAX_SECONDS');
    process.exit(2);
}

const started = performance.now();
const counts = { churns: 0, failed: 0, skipped: 0 };
let next = 0;
let inFlight = 0;

function churn(n) {
    inFlight += 1;
    const socket = io(url, { transports: ['websocket'], reconnection: false, forceNew: true, timeout: 10000 });
    let done = false;
    const finish = (outcome) => {
        if (done) return;
        done = true;
        inFlight -= 1;
        counts[outcome] += 1;
        if (outcome === 'churns' && counts.churns === 1) {
            console.log('churning');
        }
    };
    socket.on('connect', () => {
        socket.emit('subscribe', { channel: `churn.${n}`, auth: { headers: {} } });
        setTimeout(() => {
            socket.disconnect();
            finish('churns');
        }, holdMs);
    });
    socket.on('connect_error', () => {
        socket.close();
        finish('failed');
    });
}

const ticker = setInterval(() => {
    if (inFlight >= MAX_IN_FLIGHT) {
        counts.skipped += 1;
        return;
    }
    churn(next);
    next += 1;
}, 1000 / rate);

function report() {
    clearInterval(ticker);
    const seconds = Number(((performance.now() - started) / 1000).toFixed(2));
    console.log(JSON.stringify({ ...counts, seconds }));
    process.exit(0);
}

process.on('SIGTERM', report);
setTimeout(report, maxSeconds * 1000);
