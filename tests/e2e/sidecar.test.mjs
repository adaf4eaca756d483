// The sidecar as an operator sees it: hostile bytes on its Unix socket, the socket file's life,
// and stopping.

import assert from 'node:assert/strict';
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { VARIANTS, connectEcho, eventually, untilSubscribed } from './support/echo-clients.mjs';
import { runSidecast, startSidecar, stopAll, tempDir } from './support/processes.mjs';
import { publish, publishFrame, writeToSocket } from './support/wire.mjs';

// Stops whatever a failing test left running, so the file's process can end.
after(stopAll);

describe('garbage on the Unix socket', () => {
    const scratch = tempDir();
    let sidecar;
    let client;

    before(async () => {
        sidecar = await startSidecar({ dir: scratch.dir });
        client = await connectEcho(VARIANTS[0], { url: sidecar.url, transports: ['websocket'], channel: 'orders', listeners: ['.Shipped'] });
        await untilSubscribed([client], sidecar.socket);
    });

    after(async () => {
        client.close();
        await sidecar.stop();
        scratch.remove();
    });

    const garbage = {
        'an HTTP request': Buffer.from('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'),
        'a frame claiming 4 GiB': Buffer.from([0xff, 0xff, 0xff, 0xff, 1, 1]),
        'another protocol version': Buffer.from([0, 0, 0, 8, 9, 1, 0, 0, 0, 0, 0, 0]),
        'random bytes': Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) % 256)),
        'a frame whose fields overrun it': Buffer.from([0, 0, 0, 6, 1, 1, 0, 9, 0xff, 0xff]),
    };

    for (const [what, bytes] of Object.entries(garbage)) {
        test(`${what} closes that connection, and events still flow`, async () => {
            const { closedByPeer } = await writeToSocket(sidecar.socket, bytes);
            assert.ok(closedByPeer, 'the sidecar closes the connection');

            const before = client.received.length;
            await publish(sidecar.socket, publishFrame({ channels: ['orders'], event: 'Shipped', payload: `{"after":${JSON.stringify(what)}}` }));
            await eventually(() => client.received.length === before + 1, 'the next event');
            assert.deepEqual(client.received.at(-1).data, { after: what });
        });
    }

    test('an event with a payload that is not JSON is refused on its own; the connection goes on', async () => {
        const before = client.received.length;
        await publish(
            sidecar.socket,
            publishFrame({ channels: ['orders'], event: 'Shipped', payload: '{"broken":' }),
            publishFrame({ channels: ['orders'], event: 'Shipped', payload: '{"fine":true}' }),
        );
        await eventually(() => client.received.length === before + 1, 'the valid event');
        assert.deepEqual(client.received.at(-1).data, { fine: true });
        await eventually(() => sidecar.output.includes('event refused'), 'a log line for the refused event');
    });
});

describe('HTTP', () => {
    test('socket.io answers cross-origin requests with the origin mirrored and credentials allowed', async () => {
        const scratch = tempDir();
        const sidecar = await startSidecar({ dir: scratch.dir });
        const origin = 'http://app.example.test:8000';
        for (const eio of ['3', '4']) {
            const url = `${sidecar.url}/socket.io/?EIO=${eio}&transport=polling`;
            const preflight = await fetch(url, { method: 'OPTIONS', headers: { Origin: origin, 'Access-Control-Request-Method': 'GET' } });
            assert.equal(preflight.headers.get('access-control-allow-origin'), origin);
            assert.equal(preflight.headers.get('access-control-allow-credentials'), 'true');

            const handshake = await fetch(url, { headers: { Origin: origin } });
            assert.equal(handshake.status, 200, `EIO=${eio} handshake`);
            assert.equal(handshake.headers.get('access-control-allow-origin'), origin);
            assert.equal(handshake.headers.get('access-control-allow-credentials'), 'true');
            assert.match(await handshake.text(), /"sid":"/);
        }
        await sidecar.stop();
        scratch.remove();
    });
});

describe('allowed origins', () => {
    const allowed = 'http://app.example.test:8000';
    const scratch = tempDir();
    let sidecar;

    before(async () => {
        sidecar = await startSidecar({ dir: scratch.dir, args: ['--allowed-origin', allowed] });
    });

    after(async () => {
        await sidecar.stop();
        scratch.remove();
    });

    /** Resolves with 'connected' or 'refused' for a client sending `origin` (or none). */
    function attempt(variant, origin) {
        const headers = origin ? { Origin: origin } : undefined;
        const socket = variant.io(sidecar.url, {
            transports: ['websocket'],
            reconnection: false,
            forceNew: true,
            ...(headers ? { extraHeaders: headers, transportOptions: { websocket: { extraHeaders: headers } } } : {}),
        });
        return new Promise((ok) => {
            socket.on('connect', () => setTimeout(() => { ok(socket.connected ? 'connected' : 'refused'); socket.close(); }, 200));
            socket.on('connect_error', () => { ok('refused'); socket.close(); });
            socket.on('error', () => { ok('refused'); socket.close(); });
        });
    }

    for (const variant of VARIANTS) {
        test(`pages from other origins are refused; listed origins and non-browser clients connect (${variant.name})`, async () => {
            assert.equal(await attempt(variant, 'http://evil.example.test'), 'refused');
            assert.equal(await attempt(variant, allowed), 'connected');
            assert.equal(await attempt(variant, null), 'connected');
        });
    }

    test('CORS answers only listed origins', async () => {
        const url = `${sidecar.url}/socket.io/?EIO=4&transport=polling`;
        const yes = await fetch(url, { headers: { Origin: allowed } });
        assert.equal(yes.headers.get('access-control-allow-origin'), allowed);
        const no = await fetch(url, { headers: { Origin: 'http://evil.example.test' } });
        assert.equal(no.headers.get('access-control-allow-origin'), null);
    });

    test('a malformed origin on the command line is refused', async () => {
        const result = await runSidecast(['start', '--allowed-origin', 'app.example.test/path']);
        assert.equal(result.code, 2);
        assert.match(result.stderr, /is not an origin such as https:\/\/app\.test/);
    });
});

describe('the socket file and stopping', () => {
    test('the socket file is mode 0660, and SIGTERM removes it and exits 0', async () => {
        const scratch = tempDir();
        const sidecar = await startSidecar({ dir: scratch.dir });
        assert.equal(statSync(sidecar.socket).mode & 0o777, 0o660);
        const started = Date.now();
        assert.deepEqual(await sidecar.stop('SIGTERM'), { code: 0, signal: null });
        assert.ok(Date.now() - started < 5000, 'stops within a few seconds');
        assert.ok(!existsSync(sidecar.socket), 'socket file removed');
        scratch.remove();
    });

    for (const signal of ['SIGINT', 'SIGHUP']) {
        test(`${signal} stops it the same way, with Echo clients still connected`, async () => {
            const scratch = tempDir();
            const sidecar = await startSidecar({ dir: scratch.dir });
            const client = await connectEcho(VARIANTS[1], { url: sidecar.url, transports: ['websocket'], channel: 'orders', listeners: ['.Shipped'] });
            assert.deepEqual(await sidecar.stop(signal), { code: 0, signal: null });
            assert.ok(!existsSync(sidecar.socket));
            assert.match(sidecar.output, new RegExp(`${signal} received, stopping`));
            client.close();
            scratch.remove();
        });
    }

    test('a second sidecar never takes over a live one\'s socket', async () => {
        const scratch = tempDir();
        const first = await startSidecar({ dir: scratch.dir });
        const second = await runSidecast(['start', '--port', '0', '--socket', first.socket]);
        assert.equal(second.code, 1);
        assert.match(second.stderr, /another sidecast is already listening at .*sidecast\.sock/);

        const client = await connectEcho(VARIANTS[0], { url: first.url, transports: ['websocket'], channel: 'orders', listeners: ['.Shipped'] });
        await untilSubscribed([client], first.socket);
        client.close();
        await first.stop();
        scratch.remove();
    });

    test('a socket file left by a killed sidecar is replaced', async () => {
        const scratch = tempDir();
        const killed = await startSidecar({ dir: scratch.dir });
        assert.deepEqual(await killed.stop('SIGKILL'), { code: null, signal: 'SIGKILL' });
        assert.ok(existsSync(killed.socket), 'SIGKILL leaves the file behind');

        const next = await startSidecar({ dir: scratch.dir, socket: killed.socket });
        const client = await connectEcho(VARIANTS[1], { url: next.url, transports: ['websocket'], channel: 'orders', listeners: ['.Shipped'] });
        await untilSubscribed([client], next.socket);
        client.close();
        await next.stop();
        scratch.remove();
    });

    test('a path that is not a socket is never deleted', async () => {
        const scratch = tempDir();
        const path = join(scratch.dir, 'notes.txt');
        writeFileSync(path, 'keep me');
        const result = await runSidecast(['start', '--port', '0', '--socket', path]);
        assert.equal(result.code, 1);
        assert.match(result.stderr, /exists and is not a socket; refusing to replace it/);
        assert.ok(existsSync(path));
        scratch.remove();
    });

    test('a busy TCP port is a clear error, and the socket file is cleaned up', async () => {
        const scratch = tempDir();
        const blocker = createServer();
        await new Promise((ok) => blocker.listen(0, '127.0.0.1', ok));
        const socket = join(scratch.dir, 'sidecast.sock');
        const result = await runSidecast(['start', '--port', String(blocker.address().port), '--socket', socket]);
        assert.equal(result.code, 1);
        assert.match(result.stderr, /cannot listen for Echo clients on 127\.0\.0\.1:\d+/);
        assert.ok(!existsSync(socket));
        blocker.close();
        scratch.remove();
    });

    test('bad command-line values are refused before anything starts', async () => {
        const result = await runSidecast(['start', '--port', 'many']);
        assert.equal(result.code, 2);
        assert.match(result.stderr, /invalid value 'many' for '--port <PORT>'/);
    });
});
