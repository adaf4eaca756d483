// Idle memory per connection of one sidecast process: COUNT clients of one protocol connect,
// each subscribes to one of 100 public channels, and the server's resident memory is read from
// /proc before and after (once the connections have settled). Prints one JSON line.
//
// Usage: node bench/pusher/idle.mjs pusher|socketio PORT SERVER_PID COUNT APP_KEY
//   pusher    raw WebSocket clients speaking the Pusher protocol (/app/APP_KEY?protocol=7)
//   socketio  socket.io-client 4 over WebSocket, subscribing as Echo does

import { readFileSync } from 'node:fs';

import { io } from 'socket.io-client';
import WebSocket from 'ws';

const [kind, port, pid, countText, key] = process.argv.slice(2);
const count = Number(countText);
if (!['pusher', 'socketio'].includes(kind) || !port || !pid || !(count > 0) || !key) {
    console.error('usage: node bench/pusher/idle.mjs pusher|socketio PORT SERVER_PID COUNT APP_KEY');
    process.exit(2);
}

const rssKib = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);
const sleep = (ms) => new Promise((ok) => setTimeout(ok, ms));
const SETTLE_MS = 3000;

async function pusherClient(i) {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/app/${key}?protocol=7`, { perMessageDeflate: false });
    await new Promise((ok, fail) => ws.once('message', ok).once('error', fail));
    ws.send(JSON.stringify({ event: 'pusher:subscribe', data: { channel: `room-${i % 100}`, auth: '' } }));
    // Answers the server's pings, as pusher-js does.
    ws.on('message', (bytes) => {
        if (bytes.toString().includes('"pusher:ping"')) ws.send('{"event":"pusher:pong","data":{}}');
    });
    return ws;
}

async function socketIoClient(i) {
    const socket = io(`http://127.0.0.1:${port}`, { transports: ['websocket'], forceNew: true, reconnection: false });
    await new Promise((ok, fail) => socket.once('connect', ok).once('connect_error', fail));
    socket.emit('subscribe', { channel: `room-${i % 100}`, auth: { headers: {} } });
    return socket;
}

await sleep(500);
const before = rssKib();
const clients = [];
for (let i = 0; i < count; i += 1) {
    clients.push(await (kind === 'pusher' ? pusherClient(i) : socketIoClient(i)));
}
await sleep(SETTLE_MS);
const after = rssKib();
console.log(JSON.stringify({
    kind,
    connections: count,
    rss_before_kib: before,
    rss_after_kib: after,
    bytes_per_connection: Math.round(((after - before) * 1024) / count),
}));
process.exit(0);
