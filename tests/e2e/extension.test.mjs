// The extension's promises end to end: a stream of asynchronous broadcasts survives a sidecar
// restart with every event delivered exactly once and in order, and queries from Laravel (the
// Sidecast facade, with the extension and with plain PHP) report the subscribers and presence
// members the sidecar really has.

import assert from 'node:assert/strict';
import { renameSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { VARIANTS, connectEcho, afterEverythingSoFar, eventually, openEcho, probed, untilSubscribed } from './support/echo-clients.mjs';
import { ROOT, freePort, startLaravel, startPhp, startSidecar, stopAll, tempDir } from './support/processes.mjs';

// Stops whatever a failing test left running, so the file's process can end.
after(stopAll);

const FIXTURES = join(ROOT, 'tests/e2e/fixtures/extension');

/** The last line of a PHP script's output, as JSON. */
function lastJsonLine(output) {
    const lines = output.trim().split('\n');
    return JSON.parse(lines[lines.length - 1]);
}

const EVENTS = 10_000;

for (const variant of VARIANTS) {
    test(`a sidecar restart in the middle of ${EVENTS} asynchronous broadcasts loses and repeats nothing (${variant.name})`, async () => {
        const scratch = tempDir();
        // Without the publisher grace, the first sidecar stops in the middle of the stream
        // instead of taking it to its end: the writer has to reconnect and send again.
        const first = await startSidecar({ dir: scratch.dir, args: ['--publisher-grace', '0'] });
        const client = await connectEcho(variant, {
            url: first.url,
            transports: ['websocket'],
            channel: 'stream',
            listeners: ['.Tick'],
            reconnect: true,
        });
        await untilSubscribed([client], first.socket);

        // About 200 µs apart, so that the restart below falls in the middle of the stream.
        const php = startPhp(join(FIXTURES, 'stream.php'), [first.socket, String(EVENTS), '150'], { extension: true });
        await php.waitForOutput('half', 30000);
        assert.deepEqual(await first.stop(), { code: 0, signal: null }, 'the first sidecar stops cleanly');
        const receivedBeforeRestart = client.received.length;

        // The next sidecar takes the same port, so the Echo client reconnects to it and
        // subscribes again; but it listens on another socket path until the client is
        // subscribed, so that the writer's buffered events cannot arrive before anyone is
        // there to receive them. Then its socket moves to the path the writer keeps retrying.
        const next = await startSidecar({ dir: scratch.dir, port: first.port, socket: join(scratch.dir, 'next.sock') });
        client.probes = 0;
        await untilSubscribed([client], next.socket);
        renameSync(next.socket, first.socket);

        assert.deepEqual(await php.exited, { code: 0, signal: null }, php.output);
        const outcome = lastJsonLine(php.output);
        assert.equal(outcome.flushed, true, 'flush() saw every event acknowledged');
        assert.equal(outcome.client.dropped, 0);
        assert.equal(outcome.client.buffered, 0);
        assert.ok(outcome.client.reconnects >= 1, `the writer reconnected (${JSON.stringify(outcome.client)})`);

        await eventually(() => client.received.length >= EVENTS, `${EVENTS} events to arrive (${client.received.length} so far)`, 30000);
        // Anything sent twice would have been handed to the client before this probe.
        await afterEverythingSoFar([client], first.socket);
        const numbers = client.received.map((r) => r.data.n);
        assert.ok(
            receivedBeforeRestart > 0 && receivedBeforeRestart < EVENTS,
            `the restart fell inside the stream (${receivedBeforeRestart} events had arrived)`,
        );
        assert.equal(numbers.length, EVENTS, 'no event arrived twice');
        assert.deepEqual(numbers, Array.from({ length: EVENTS }, (_, n) => n), 'every event, in the order broadcast');

        client.close();
        assert.deepEqual(await next.stop(), { code: 0, signal: null });
        scratch.remove();
    });
}

describe('queries from Laravel report what the sidecar has', () => {
    const scratch = tempDir();
    let sidecar;
    let laravel;
    const clients = [];

    before(async () => {
        const appPort = await freePort();
        sidecar = await startSidecar({ dir: scratch.dir, args: ['--auth-host', `http://127.0.0.1:${appPort}`] });
        laravel = await startLaravel({ sidecar, extension: true, port: appPort, workers: 2 });

        const member = (variant, id) => openEcho(variant, {
            url: sidecar.url,
            auth: { headers: { Authorization: `Bearer token-${id}` } },
            setup: (echo) => ({ watcher: probed(echo.join('chat.lobby'), 'presence-chat.lobby') }),
        });
        // User 3 in two tabs, then user 4: three subscriptions, two members, in joining order.
        for (const [variant, id] of [[VARIANTS[0], 3], [VARIANTS[1], 3], [VARIANTS[1], 4]]) {
            const client = await member(variant, id);
            clients.push(client);
            await untilSubscribed([client.watcher], sidecar.socket);
        }
        for (const variant of VARIANTS) {
            const reader = await connectEcho(variant, { url: sidecar.url, transports: ['websocket'], channel: 'news', listeners: [] });
            clients.push(reader);
            await untilSubscribed([reader], sidecar.socket);
        }
    });

    after(async () => {
        for (const client of clients) client.close();
        await laravel?.stop();
        await sidecar?.stop();
        scratch.remove();
    });

    for (const [transport, transportClass] of [['extension', 'ExtensionTransport'], ['plain PHP', 'SocketTransport']]) {
        test(`channels, channel, occupied, members and stats through the Sidecast facade (${transport})`, async () => {
            const php = startPhp(join(FIXTURES, 'queries.php'), ['lobby'], {
                extension: transport === 'extension',
                env: { BROADCAST_DRIVER: 'sidecast', SIDECAST_SOCKET: sidecar.socket },
            });
            assert.deepEqual(await php.exited, { code: 0, signal: null }, php.output);
            const answers = JSON.parse(php.output);

            assert.equal(answers.transport, `Sidecast\\Laravel\\Transports\\${transportClass}`);
            assert.deepEqual(answers.presence_channels, { 'presence-chat.lobby': { subscription_count: 3, user_count: 2 } });
            assert.deepEqual(answers.all_channels, {
                'presence-chat.lobby': { subscription_count: 3, user_count: 2 },
                news: { subscription_count: 2 },
            });
            assert.deepEqual(answers.room, { subscription_count: 3, occupied: true, user_count: 2 });
            assert.deepEqual(answers.members, [
                { user_id: 3, user_info: { id: 3, name: 'User 3' } },
                { user_id: 4, user_info: { id: 4, name: 'User 4' } },
            ]);
            assert.deepEqual(answers.quiet, { subscription_count: 0, occupied: false });
            assert.deepEqual(answers.occupied, { room: true, quiet: false });
            assert.equal(answers.server.connections, 5, 'five Echo clients are connected');
            assert.equal(answers.server.channels, 2);
        });
    }

    test('a member who leaves is gone from the next answer', async () => {
        const [, secondTab, userFour] = clients;
        userFour.close();
        secondTab.close();
        const ask = async () => {
            const php = startPhp(join(FIXTURES, 'queries.php'), ['lobby'], {
                extension: true,
                env: { BROADCAST_DRIVER: 'sidecast', SIDECAST_SOCKET: sidecar.socket },
            });
            await php.exited;
            return JSON.parse(php.output);
        };
        let answers = await ask();
        // Disconnects reach the sidecar on their own time; ask until they have.
        const deadline = Date.now() + 10000;
        while (answers.room.subscription_count !== 1 && Date.now() < deadline) answers = await ask();
        assert.deepEqual(answers.room, { subscription_count: 1, occupied: true, user_count: 1 });
        assert.deepEqual(answers.members, [{ user_id: 3, user_info: { id: 3, name: 'User 3' } }]);
    });
});
