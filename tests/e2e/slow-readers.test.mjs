// What socket.io clients can make the sidecar hold is bounded in bytes, not in events:
// - a client that stops reading is held to its byte budget (--client-buffer-bytes) while the
//   others keep receiving everything, and is disconnected once its queue has stayed full for
//   the ping timeout (an Engine.IO 3 client that still pings), or once it misses its pong
//   (an Engine.IO 4 client) — whatever its queue holds; a Pusher client the same way (4100);
// - a large event to many subscribers is held once, not once per subscriber: the sidecar's
//   peak memory does not grow with subscribers × payload.
// Memory is read from /proc/<pid>/status: VmRSS (now) and VmHWM (the peak since start).

import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';

import WebSocket from 'ws';

import { VARIANTS, connectEcho, eventually } from './support/echo-clients.mjs';
import { sleep, startSidecar, stopAll, tempDir } from './support/processes.mjs';
import { APP_ARGS, openRaw } from './support/pusher-clients.mjs';
import { publish, publishFrame } from './support/wire.mjs';

after(stopAll);

const MIB = 1024 * 1024;

/** The sidecar's resident and peak memory, in bytes. */
function memory(pid) {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = (field) => Number(status.match(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm'))[1]) * 1024;
    return { rss: kib('VmRSS'), peak: kib('VmHWM') };
}

/**
 * A socket.io client speaking the protocol itself over a WebSocket, subscribed to `channel`:
 * it answers the server's pings (Engine.IO 4) or pings on its own (Engine.IO 3), and keeps
 * the events it receives. `pause()` stops it reading; an Engine.IO 3 client goes on pinging.
 */
async function rawClient(port, { eio, channel }) {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/socket.io/?EIO=${eio}&transport=websocket`);
    const client = { ws, events: [], closed: false, answering: true };
    const subscribe = () => ws.send(`42${JSON.stringify(['subscribe', { channel }])}`);
    ws.on('message', (data) => {
        const text = data.toString();
        if (text.startsWith('0') && eio === 4) ws.send('40');
        else if (text.startsWith('40')) subscribe();
        else if (text === '2' && client.answering) ws.send('3');
        else if (text.startsWith('42')) client.events.push(JSON.parse(text.slice(2)));
    });
    ws.on('error', () => {});
    const closed = new Promise((ok) => ws.on('close', () => { client.closed = true; ok(); }));
    const pinging = eio === 3 ? setInterval(() => ws.readyState === WebSocket.OPEN && ws.send('2'), 500) : null;
    client.pause = () => ws._socket.pause();
    // Stops reading and will answer no ping any more, even once resumed.
    client.mute = () => { client.answering = false; ws._socket.pause(); };
    client.resume = () => ws._socket.resume();
    client.close = async () => {
        clearInterval(pinging);
        ws.terminate();
        await closed;
    };
    client.closed_ = closed;
    await new Promise((ok, fail) => { ws.once('open', ok); ws.once('error', fail); });
    return client;
}

/** Publishes probes on `channel` until every client has one. */
async function untilAllSubscribed(socket, channel, clients) {
    await eventually(async () => {
        await publish(socket, publishFrame({ channels: [channel], event: 'probe', payload: '{}' }));
        await sleep(50);
        return clients.every((client) => client.events.some(([event]) => event === 'probe'));
    }, `all ${clients.length} clients subscribed to ${channel}`);
}

test('a client that stops reading is held to its byte budget, then disconnected; the others get every event', async (t) => {
    const scratch = tempDir();
    const config = join(scratch.dir, 'laravel-echo-server.json');
    writeFileSync(config, JSON.stringify({ socketio: { pingInterval: 1000, pingTimeout: 2000 } }));
    const sidecar = await startSidecar({
        dir: scratch.dir,
        args: ['--config', config, '--client-buffer-bytes', String(MIB)],
        env: { SIDECAST_LOG: 'info,sidecast_socketio=debug' },
    });
    const reader = await connectEcho(VARIANTS[1], { url: sidecar.url, transports: ['websocket'], channel: 'busy', listeners: ['.Big'] });
    const stillPinging = await rawClient(sidecar.port, { eio: 3, channel: 'busy' });
    const mute = await rawClient(sidecar.port, { eio: 4, channel: 'busy' });
    try {
        await untilAllSubscribed(sidecar.socket, 'busy', [stillPinging, mute]);
        stillPinging.pause();
        mute.mute();
        const before = memory(sidecar.pid);

        // 64 events of 500 kB: 32 MB for each client that does not read, were it all kept.
        const data = JSON.stringify({ fill: 'x'.repeat(500_000) });
        for (let i = 0; i < 64; i += 1) {
            await publish(sidecar.socket, publishFrame({ channels: ['busy'], event: 'Big', payload: data }));
        }
        await eventually(() => reader.received.length === 64, 'the reading client gets all 64 events', 30000);
        const grown = memory(sidecar.pid);
        t.diagnostic(`resident memory: +${((grown.rss - before.rss) / MIB).toFixed(1)} MiB; peak: +${((grown.peak - before.peak) / MIB).toFixed(1)} MiB`);
        assert.ok(grown.rss - before.rss < 16 * MIB,
            `resident memory grew by ${((grown.rss - before.rss) / MIB).toFixed(1)} MiB for two clients that do not read`);

        // The Engine.IO 3 client still pings, so only its full queue tells it does not read;
        // the Engine.IO 4 client's queue is full too, and it misses its pongs: it goes for
        // whichever comes first. Both queues filled together: a ping timeout (2 s) after the
        // first is closed, so is the other. Resumed, the pinging client would read again and
        // stay, had it not been closed; the mute one answers no ping any more.
        await eventually(() => sidecar.output.includes('it does not read'), 'a client closed for not reading', 15000);
        await sleep(2000);
        stillPinging.resume();
        mute.resume();
        await eventually(() => stillPinging.closed && mute.closed, 'both clients disconnected', 10000);
        const lines = sidecar.output.split('\n').filter((line) => line.includes('it does not read'));
        assert.equal(lines.length, 1, lines.join('\n'));
        assert.match(lines[0], /limit_bytes=1048576/);
    } finally {
        await stillPinging.close();
        await mute.close();
        reader.close();
        assert.deepEqual(await sidecar.stop(), { code: 0, signal: null });
        scratch.remove();
    }
});

test('a Pusher client that stops reading but still pings is closed with 4100 once its buffer stays full', async () => {
    const scratch = tempDir();
    const sidecar = await startSidecar({ dir: scratch.dir, args: [...APP_ARGS, '--ping-interval', '1'] });
    const client = await openRaw(sidecar.port);
    try {
        client.send({ event: 'pusher:subscribe', data: { channel: 'busy' } });
        await client.next((m) => m.event === 'pusher_internal:subscription_succeeded');
        const pinging = setInterval(() => client.send({ event: 'pusher:ping', data: {} }), 200);
        client.ws._socket.pause();
        // 32 MB of events: far past the 4 MiB it may hold.
        const data = JSON.stringify({ fill: 'x'.repeat(500_000) });
        for (let i = 0; i < 64; i += 1) {
            await publish(sidecar.socket, publishFrame({ channels: ['busy'], event: 'Big', payload: data }));
        }
        await eventually(() => sidecar.output.includes('Pusher client closed: its buffer stayed full'), 'the client closed', 15000);
        clearInterval(pinging);
        client.ws._socket.resume();
        assert.deepEqual(await client.closed, { code: 4100, reason: 'Over capacity: the client is not reading' });
    } finally {
        client.ws.terminate();
        assert.deepEqual(await sidecar.stop(), { code: 0, signal: null });
        scratch.remove();
    }
});

test('a 1 MB event to 200 subscribers is held once: peak memory does not grow with subscribers × payload', async (t) => {
    const scratch = tempDir();
    const sidecar = await startSidecar({ dir: scratch.dir });
    const clients = [];
    try {
        for (let i = 0; i < 200; i += 1) clients.push(await rawClient(sidecar.port, { eio: i % 2 ? 4 : 3, channel: 'wide' }));
        await untilAllSubscribed(sidecar.socket, 'wide', clients);
        const before = memory(sidecar.pid);

        // Three events of 1,000,000 bytes: 600 MB if each subscriber had a copy of each.
        const data = JSON.stringify({ fill: 'y'.repeat(999_980) });
        for (let i = 0; i < 3; i += 1) {
            await publish(sidecar.socket, publishFrame({ channels: ['wide'], event: 'Large', payload: data }));
        }
        await eventually(() => clients.every((client) => client.events.filter(([event]) => event === 'Large').length === 3),
            'every subscriber gets the three events', 60000);
        const peak = memory(sidecar.pid).peak - before.peak;
        t.diagnostic(`peak memory: +${(peak / MIB).toFixed(1)} MiB`);
        assert.ok(peak < 64 * MIB, `peak memory grew by ${(peak / MIB).toFixed(1)} MiB for 3 MB of events to 200 subscribers`);
    } finally {
        await Promise.all(clients.map((client) => client.close()));
        assert.deepEqual(await sidecar.stop(), { code: 0, signal: null });
        scratch.remove();
    }
});
