// What an operator sees (docs/monitoring.md): /metrics, read with the Prometheus project's own
// parser, moves exactly as clients connect, subscribe and leave, as events come in through each
// way in (the Unix socket, the HTTP API, Redis, whispers), as the app refuses an authorization,
// as a malformed frame arrives and as a client that stops reading overflows its buffer; /up and
// /ready answer with and without a config file, /ready (and `sidecast health`, `status`) say
// when Redis is down or the socket file is gone; /metrics on the clients' port only with the
// admin key.

import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';

import WebSocket from 'ws';

import { startAuthApp } from './support/auth-app.mjs';
import { VARIANTS, connectEcho, eventually, openEcho, untilSubscribed } from './support/echo-clients.mjs';
import { moved, scrape } from './support/metrics.mjs';
import { freePort, redisCli, runSidecast, startRedis, startSidecar, stopAll, tempDir } from './support/processes.mjs';
import { publish, publishFrame, writeToSocket } from './support/wire.mjs';

after(stopAll);

const API = { appId: 'metrics-app', key: 'metrics-api-key-0123' };
const ADMIN_KEY = 'admin-key-0123456789abcdef';

/** A socket.io client (Engine.IO 4, WebSocket) subscribed to `channel` that can stop reading. */
async function rawClient(port, channel) {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/socket.io/?EIO=4&transport=websocket`);
    let subscribed;
    const connected = new Promise((ok) => { subscribed = ok; });
    ws.on('message', (data) => {
        const text = data.toString();
        if (text.startsWith('0{')) ws.send('40');
        else if (text.startsWith('40')) { ws.send(`42${JSON.stringify(['subscribe', { channel }])}`); subscribed(); }
        else if (text === '2') ws.send('3');
    });
    ws.on('error', () => {});
    await connected;
    return { pause: () => ws._socket.pause(), close: () => ws.terminate() };
}

test('the counters move exactly with connections, events from every way in, refusals and drops', async () => {
    const scratch = tempDir();
    const redis = await startRedis();
    const app = await startAuthApp();
    const adminPort = await freePort();
    writeFileSync(join(scratch.dir, 'laravel-echo-server.json'), JSON.stringify({
        authHost: app.url,
        clients: [API],
        databaseConfig: { redis: { host: '127.0.0.1', port: redis.port, keyPrefix: 'laravel_database_' } },
    }));
    const sidecar = await startSidecar({
        dir: scratch.dir,
        args: ['--dir', scratch.dir, '--admin-port', String(adminPort), '--client-buffer-bytes', '65536'],
    });
    const metrics = () => scrape(`http://127.0.0.1:${adminPort}/metrics`);
    try {
        const start = await metrics();
        assert.equal(start['sidecast_build_info{version=0.1.0}'], 1);
        assert.equal(start['sidecast_redis_up'], 1, 'subscribed to Redis before listening');
        assert.ok(start['process_resident_memory_bytes'] > 1024 * 1024);

        const clients = [];
        for (const variant of VARIANTS) {
            clients.push(await connectEcho(variant, { url: sidecar.url, transports: ['websocket'], channel: 'orders', listeners: ['.Shipped'] }));
        }
        await untilSubscribed(clients, sidecar.socket);
        const connected = await metrics();
        assert.deepEqual(moved(start, connected, [
            'sidecast_connections{front_end=socketio,protocol=eio3}',
            'sidecast_connections{front_end=socketio,protocol=eio4}',
            'sidecast_connections_opened_total{front_end=socketio,protocol=eio3}',
            'sidecast_connections_opened_total{front_end=socketio,protocol=eio4}',
            'sidecast_socketio_websockets',
            'sidecast_channels{kind=public}',
            'sidecast_subscriptions{kind=public}',
        ]), {
            'sidecast_connections{front_end=socketio,protocol=eio3}': 1,
            'sidecast_connections{front_end=socketio,protocol=eio4}': 1,
            'sidecast_connections_opened_total{front_end=socketio,protocol=eio3}': 1,
            'sidecast_connections_opened_total{front_end=socketio,protocol=eio4}': 1,
            'sidecast_socketio_websockets': 2,
            'sidecast_channels{kind=public}': 1,
            'sidecast_subscriptions{kind=public}': 2,
        });

        // 3 events over the Unix socket, 2 over the HTTP API, 1 through Redis: 6 × 2 clients.
        const before = await metrics();
        const frame = publishFrame({ channels: ['orders'], event: 'Shipped', payload: '{"id":1}' });
        await publish(sidecar.socket, frame, frame, frame);
        for (const id of [2, 3]) {
            const response = await fetch(`${sidecar.url}/apps/${API.appId}/events?auth_key=${API.key}`, {
                method: 'POST',
                headers: { 'content-type': 'application/json' },
                body: JSON.stringify({ channel: 'orders', name: 'Shipped', data: { id } }),
            });
            assert.equal(response.status, 200);
        }
        await redisCli(redis.port, ['PUBLISH', 'laravel_database_orders', '{"event":"Shipped","data":{"id":4},"socket":null}']);
        await eventually(() => clients.every((client) => client.received.length === 6), 'six events at each client');
        const published = await metrics();
        assert.deepEqual(moved(before, published, [
            'sidecast_events_received_total{source=unix_socket}',
            'sidecast_events_received_total{source=http_api}',
            'sidecast_events_received_total{source=redis}',
            'sidecast_events_received_total{source=client_event}',
            'sidecast_publications_total',
            'sidecast_deliveries_total',
            'sidecast_fanout_duration_seconds_count',
            'sidecast_unix_socket_publishers_accepted_total',
        ]), {
            'sidecast_events_received_total{source=unix_socket}': 3,
            'sidecast_events_received_total{source=http_api}': 2,
            'sidecast_events_received_total{source=redis}': 1,
            'sidecast_events_received_total{source=client_event}': 0,
            'sidecast_publications_total': 6,
            'sidecast_deliveries_total': 12,
            'sidecast_fanout_duration_seconds_count': 6,
            'sidecast_unix_socket_publishers_accepted_total': 1,
        });
        assert.equal(published['sidecast_fanout_duration_seconds_bucket{le=+Inf}'], published['sidecast_fanout_duration_seconds_count']);

        // One authorization allowed, one refused by the app, and a whisper on the allowed one.
        const beforeAuth = await metrics();
        const variant = VARIANTS[1];
        const denied = await openEcho(variant, { url: sidecar.url, setup: (echo) => { echo.private('denied'); } });
        const whisperer = await openEcho(variant, {
            url: sidecar.url,
            setup: (echo) => ({ room: echo.private('room') }),
        });
        const listener = await openEcho(variant, { url: sidecar.url, setup: (echo) => ({ room: echo.private('room') }) });
        const whispers = [];
        listener.room.listenForWhisper('typing', (data) => whispers.push(data));
        await eventually(async () => {
            const now = await metrics();
            return now['sidecast_authorizations_total{method=app_request,outcome=allowed}'] - beforeAuth['sidecast_authorizations_total{method=app_request,outcome=allowed}'] === 2
                && now['sidecast_authorizations_total{method=app_request,outcome=refused}'] - beforeAuth['sidecast_authorizations_total{method=app_request,outcome=refused}'] === 1;
        }, 'two allowed and one refused authorization');
        await eventually(() => {
            whisperer.room.whisper('typing', { by: 'whisperer' });
            return whispers.length > 0;
        }, 'a whisper to arrive');
        const afterAuth = await metrics();
        assert.equal(moved(beforeAuth, afterAuth, ['sidecast_authorization_duration_seconds_count'])['sidecast_authorization_duration_seconds_count'], 3);
        assert.equal(afterAuth['sidecast_channels{kind=private}'], 1, 'private-room is occupied, private-denied is not');
        assert.equal(afterAuth['sidecast_subscriptions{kind=private}'], 2);
        assert.ok(moved(beforeAuth, afterAuth, ['sidecast_events_received_total{source=client_event}'])['sidecast_events_received_total{source=client_event}'] >= 1);

        // A malformed frame closes its connection and is counted; the sidecar goes on.
        await writeToSocket(sidecar.socket, Buffer.from([0, 0, 0, 6, 99, 1, 0, 0, 0, 0])).catch(() => {});
        await eventually(async () => (await metrics())['sidecast_unix_socket_frames_refused_total{reason=malformed}'] === 1, 'the malformed frame counted');

        // A client that stops reading: every event is either delivered or dropped, and some
        // are dropped because its buffer is full.
        const slow = await rawClient(sidecar.port, 'slow');
        await eventually(async () => (await metrics())['sidecast_subscriptions{kind=public}'] === 3, 'the slow client subscribed');
        slow.pause();
        const beforeFlood = await metrics();
        const big = publishFrame({ channels: ['slow'], event: 'Big', payload: JSON.stringify({ fill: 'x'.repeat(256 * 1024) }) });
        for (let i = 0; i < 64; i += 1) await publish(sidecar.socket, big);
        const flooded = await metrics();
        const flood = moved(beforeFlood, flooded, [
            'sidecast_deliveries_total',
            'sidecast_deliveries_dropped_total{reason=queue_full}',
            'sidecast_deliveries_dropped_total{reason=socket_closed}',
            'sidecast_deliveries_dropped_total{reason=unencodable}',
        ]);
        assert.ok(flood['sidecast_deliveries_dropped_total{reason=queue_full}'] > 0, JSON.stringify(flood));
        assert.equal(Object.values(flood).reduce((a, b) => a + b, 0), 64, JSON.stringify(flood));
        slow.close();

        for (const client of [...clients, denied, whisperer, listener]) client.close();
        await eventually(async () => {
            const now = await metrics();
            return now['sidecast_connections{front_end=socketio,protocol=eio3}'] === 0
                && now['sidecast_connections{front_end=socketio,protocol=eio4}'] === 0
                && now['sidecast_channels{kind=public}'] === 0;
        }, 'every connection closed and every channel empty');
        const end = await metrics();
        for (const protocol of ['eio3', 'eio4']) {
            assert.equal(end[`sidecast_connections_closed_total{front_end=socketio,protocol=${protocol}}`], end[`sidecast_connections_opened_total{front_end=socketio,protocol=${protocol}}`]);
        }
        assert.equal(end['sidecast_socketio_websockets'], 0);
    } finally {
        assert.deepEqual(await sidecar.stop(), { code: 0, signal: null });
        app.close();
        await redis.stop();
        scratch.remove();
    }
});

test('/up and /ready with flags only; /ready follows Redis and the socket file; /metrics needs the key on the clients\' port', async () => {
    const scratch = tempDir();
    const plain = await startSidecar({ dir: scratch.dir });
    try {
        const up = await fetch(`${plain.url}/up`);
        assert.equal(up.status, 200);
        assert.deepEqual(await up.json(), { status: 'up' });
        const ready = await fetch(`${plain.url}/ready`);
        assert.equal(ready.status, 200);
        assert.deepEqual(await ready.json(), { ready: true, failing: [], checks: { accepting: true, unix_socket: true } });
        assert.equal((await fetch(`${plain.url}/metrics`)).status, 404, 'no key, no /metrics on the clients\' port');
        rmSync(plain.socket);
        const gone = await fetch(`${plain.url}/ready`);
        assert.equal(gone.status, 503);
        assert.deepEqual((await gone.json()).failing, ['unix_socket']);
    } finally {
        assert.deepEqual(await plain.stop(), { code: 0, signal: null });
    }

    const redis = await startRedis();
    const redisPort = redis.port;
    writeFileSync(join(scratch.dir, 'laravel-echo-server.json'), JSON.stringify({
        databaseConfig: { redis: { host: '127.0.0.1', port: redisPort, keyPrefix: 'laravel_database_' } },
    }));
    const sidecar = await startSidecar({ dir: scratch.dir, args: ['--dir', scratch.dir], env: { SIDECAST_ADMIN_KEY: ADMIN_KEY } });
    let restarted;
    try {
        const readiness = async () => {
            const response = await fetch(`${sidecar.url}/ready`);
            return { status: response.status, ...(await response.json()) };
        };
        await eventually(async () => (await readiness()).status === 200, 'ready with Redis up');
        await redis.stop();
        await eventually(async () => {
            const now = await readiness();
            return now.status === 503 && now.failing.includes('redis') && now.checks.redis === false;
        }, 'not ready while Redis is down');
        const unhealthy = await runSidecast(['health', '--socket', sidecar.socket], { cwd: scratch.dir });
        assert.deepEqual([unhealthy.code, unhealthy.stdout.trim()], [1, "unhealthy: not subscribed to Laravel's Redis"]);
        const alive = await runSidecast(['health', '--alive', '--socket', sidecar.socket], { cwd: scratch.dir });
        assert.equal(alive.code, 0, alive.stdout);
        const status = await runSidecast(['status', '--socket', sidecar.socket], { cwd: scratch.dir });
        assert.match(status.stdout, /\nRedis +NOT SUBSCRIBED \(1 connections lost, \d+ failed attempts since start\)\n/);
        restarted = await startRedis({ port: redisPort });
        await eventually(async () => (await readiness()).status === 200, 'ready again once Redis is back', 15000);
        const healthy = await runSidecast(['health', '--socket', sidecar.socket], { cwd: scratch.dir });
        assert.deepEqual([healthy.code, healthy.stdout.trim()], [0, `healthy (pid ${sidecar.pid}, socket ${sidecar.socket})`]);

        assert.equal((await fetch(`${sidecar.url}/metrics`)).status, 401);
        assert.equal((await fetch(`${sidecar.url}/metrics`, { headers: { Authorization: 'Bearer wrong-key-0123456789' } })).status, 401);
        const withKey = await scrape(`${sidecar.url}/metrics`, { Authorization: `Bearer ${ADMIN_KEY}` });
        assert.equal(withKey['sidecast_redis_up'], 1);
        assert.equal(withKey['sidecast_redis_connection_losses_total'], 1);
        const figures = await fetch(`${sidecar.url}/status?key=${ADMIN_KEY}`);
        assert.equal(figures.status, 200);
        assert.equal((await figures.json()).vitals.redis.connected, true);
    } finally {
        assert.deepEqual(await sidecar.stop(), { code: 0, signal: null });
        await restarted?.stop();
        scratch.remove();
    }
});
