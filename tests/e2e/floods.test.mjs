// What one client can take of the sidecar is bounded, and its floods are answered and counted
// rather than logged line by line:
// - a socket.io client that sends 1,000 subscriptions while the first waits for the app gets a
//   `subscription_error` (429) for each one past its backlog of 256, and the log says so in a
//   line or two, never at ERROR level;
// - HTTP connections that send nothing, or stop in the middle of their headers, are closed
//   after --header-timeout; WebSocket connections are not;
// - past --max-http-connections new connections are closed as they come, and PHP still
//   publishes to the clients already connected;
// - with --auth-max-per-address, twenty connections of one address subscribing to channels the
//   app answers slowly do not make another address's subscription wait behind them.

import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { after, test } from 'node:test';

import { VARIANTS, eventually } from './support/echo-clients.mjs';
import { sleep, startSidecar, stopAll, tempDir } from './support/processes.mjs';
import { openRaw } from './support/pusher-clients.mjs';
import { publish, publishFrame } from './support/wire.mjs';

after(stopAll);

test('subscriptions past a client\'s backlog are refused with 429 and logged once', async () => {
    // An app that never answers: the first (private) subscription holds the socket's turn.
    const silentApp = http.createServer(() => {});
    await new Promise((ok) => silentApp.listen(0, '127.0.0.1', ok));
    const scratch = tempDir();
    const sidecar = await startSidecar({
        dir: scratch.dir,
        args: ['--auth-host', `http://127.0.0.1:${silentApp.address().port}`, '--auth-timeout', '3'],
    });
    const socket = VARIANTS[1].io(sidecar.url, { transports: ['websocket'], forceNew: true, reconnection: false });
    try {
        await new Promise((ok) => socket.once('connect', ok));
        const refused = [];
        socket.on('subscription_error', (channel, status) => refused.push({ channel, status }));
        socket.emit('subscribe', { channel: 'private-waits' });
        for (let i = 0; i < 1000; i += 1) socket.emit('subscribe', { channel: `news-${i}` });
        // About 256 wait their turn behind the first; the rest, the last among them, are
        // refused at once.
        await eventually(() => refused.some(({ channel }) => channel === 'news-999'), 'the last one refused');
        assert.ok(refused.length >= 700, `${refused.length} refused`);
        assert.ok(refused.every(({ status }) => status === 429), JSON.stringify(refused.slice(0, 3)));
    } finally {
        socket.close();
        assert.deepEqual(await sidecar.stop(), { code: 0, signal: null });
        silentApp.close();
        scratch.remove();
    }
    const lines = sidecar.output.split('\n');
    assert.deepEqual(lines.filter((line) => line.includes('ERROR')), []);
    const refusals = lines.filter((line) => line.includes("a client's event was refused"));
    assert.ok(refusals.length >= 1 && refusals.length <= 2, refusals.join('\n'));
    assert.match(refusals[0], /refused_since_start=1 /);
});

/** A raw TCP connection to `port` that sends `text`, with `closed` resolving when the server closes it. */
async function rawConnection(port, text = '') {
    const socket = net.connect(port, '127.0.0.1');
    const closed = new Promise((ok) => socket.once('close', ok));
    socket.on('error', () => {});
    socket.on('data', () => {});
    await new Promise((ok) => socket.once('connect', ok));
    if (text) socket.write(text);
    return { socket, closed };
}

/** `promise`, or a failure naming `what` after `ms`. */
function within(promise, ms, what) {
    let timer;
    const late = new Promise((_, fail) => { timer = setTimeout(() => fail(new Error(`${what} not within ${ms} ms`)), ms); });
    return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/**
 * A connection that made one request and stays open: once its answer has come, the server has
 * admitted it (connections are admitted in tasks of their own, not in the order they came).
 */
async function keptAlive(port) {
    const connection = await rawConnection(port);
    const answered = new Promise((ok) => connection.socket.once('data', ok));
    connection.socket.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    await within(answered, 2000, 'an answer');
    return connection;
}

/** A sidecar with the Pusher app and `args`. */
async function pusherSidecar(scratch, args) {
    return startSidecar({ dir: scratch.dir, args: ['--app-id', '1', '--app-key', 'e2e-key', '--app-secret', 'e2e-secret', ...args] });
}

test('connections that send nothing or half their headers are closed after --header-timeout; WebSockets stay', async () => {
    const scratch = tempDir();
    const sidecar = await pusherSidecar(scratch, ['--header-timeout', '1']);
    try {
        const client = await openRaw(sidecar.port);
        client.send({ event: 'pusher:subscribe', data: { channel: 'news' } });
        await client.next((m) => m.event === 'pusher_internal:subscription_succeeded');
        const silent = await rawConnection(sidecar.port);
        const halfway = await rawConnection(sidecar.port, 'GET /app/e2e-key HTTP/1.1\r\nHost: 127.0.0.1\r\n');
        await within(Promise.all([silent.closed, halfway.closed]), 5000, 'the silent connections closed');

        await publish(sidecar.socket, publishFrame({ channels: ['news'], event: 'Still', payload: '{}' }));
        await client.next((m) => m.event === 'Still');
        client.close();
    } finally {
        assert.deepEqual(await sidecar.stop(), { code: 0, signal: null });
        scratch.remove();
    }
});

test('past --max-http-connections new connections are closed at once, and PHP still publishes', async () => {
    const scratch = tempDir();
    const sidecar = await pusherSidecar(scratch, ['--max-http-connections', '3', '--header-timeout', '60']);
    try {
        const client = await openRaw(sidecar.port);
        client.send({ event: 'pusher:subscribe', data: { channel: 'news' } });
        await client.next((m) => m.event === 'pusher_internal:subscription_succeeded');
        const idle = [await keptAlive(sidecar.port), await keptAlive(sidecar.port)];
        const over = await rawConnection(sidecar.port);
        await within(over.closed, 2000, 'the connection over the cap closed');

        await publish(sidecar.socket, publishFrame({ channels: ['news'], event: 'AtTheCap', payload: '{}' }));
        await client.next((m) => m.event === 'AtTheCap');

        // A closed connection gives its place back.
        idle[0].socket.destroy();
        await idle[0].closed;
        // The server sees the close when it next reads; a new connection right away may still
        // find the cap full, so one is tried until it is served.
        let next;
        for (const deadline = Date.now() + 5000; !next; await sleep(50)) {
            assert.ok(Date.now() < deadline, 'a new client is served again');
            next = await openRaw(sidecar.port).catch(() => undefined);
        }
        assert.match(next.socketId ?? '', /^\d+\.\d+$/);
        next.close();
        idle[1].socket.destroy();
        client.close();
    } finally {
        assert.deepEqual(await sidecar.stop(), { code: 0, signal: null });
        scratch.remove();
    }
    assert.match(sidecar.output, /HTTP connection refused/);
});

test('with --auth-max-per-address, clients of one address cannot make another address\'s subscription wait', async () => {
    // An app that authorizes every private channel after 300 ms.
    const slowApp = http.createServer((request, response) => {
        request.resume();
        request.on('end', () => setTimeout(() => {
            response.writeHead(200, { 'Content-Type': 'application/json' });
            response.end('true');
        }, 300));
    });
    await new Promise((ok) => slowApp.listen(0, '127.0.0.1', ok));
    const scratch = tempDir();
    const sidecar = await startSidecar({
        dir: scratch.dir,
        args: ['--auth-host', `http://127.0.0.1:${slowApp.address().port}`, '--auth-timeout', '20',
            '--auth-max-in-flight', '4', '--auth-max-per-address', '2'],
    });
    // Twenty connections from 127.0.0.1, one from 127.0.0.2, each subscribing to a private
    // channel of its own. A subscription shows it took effect with the first probe event the
    // client receives on it; probes go to every channel every 50 ms.
    const confirmed = [];
    const open = async (localAddress, name) => {
        const socket = VARIANTS[1].io(sidecar.url, { transports: ['websocket'], forceNew: true, reconnection: false, localAddress });
        await new Promise((ok) => socket.once('connect', ok));
        socket.on('probe', () => { if (!confirmed.includes(name)) confirmed.push(name); });
        return { socket, name, subscribe: () => socket.emit('subscribe', { channel: `private-${name}` }) };
    };
    const flood = [];
    for (let i = 0; i < 20; i += 1) flood.push(await open('127.0.0.1', `flood-${i}`));
    const other = await open('127.0.0.2', 'other');
    const channels = [...flood, other].map(({ name }) => `private-${name}`);
    const probing = setInterval(() => publish(sidecar.socket, publishFrame({ channels, event: 'probe', payload: '{}' })).catch(() => {}), 50);
    try {
        flood.forEach((client) => client.subscribe());
        await eventually(() => confirmed.length >= 1, 'the first of the flood\'s subscriptions', 10000);
        other.subscribe();
        await eventually(() => confirmed.length === 21, 'every subscription', 20000);
        // Two of the flood's at a time: the other address's is among the first; sharing one
        // pool of four, it would come after most of the flood.
        assert.ok(confirmed.indexOf('other') < 8, confirmed.join(' '));
    } finally {
        clearInterval(probing);
        for (const { socket } of [...flood, other]) socket.close();
        assert.deepEqual(await sidecar.stop(), { code: 0, signal: null });
        slowApp.close();
        scratch.remove();
    }
});
