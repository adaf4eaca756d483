// Three sidecars sharing one Redis behave as one server for events: whatever enters a node —
// its Unix socket, its HTTP API, or Laravel's redis broadcaster that every node subscribes to
// — reaches every client on every node exactly once; order from one publisher is kept;
// toOthers and whispers cross nodes; questions about channels are answered for all nodes; and
// the demo Laravel app on two "hosts", each with its own sidecar, reaches the other's clients.

import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import {
    LARAVEL_PREFIX, afterEverythingEverywhere, askApi, publishAt, publishOverApi, startCluster,
} from './support/cluster.mjs';
import { VARIANTS, connectEcho, eventually, openEcho, probed, untilSubscribed } from './support/echo-clients.mjs';
import { ROOT, redisCli, startLaravel, startPhp, stopAll, tempDir } from './support/processes.mjs';
import { publish, publishFrame } from './support/wire.mjs';

after(stopAll);

const scratch = tempDir();
const open = [];
let cluster;
let redis;
let laravel;
let nodes;

before(async () => {
    cluster = await startCluster(scratch.dir, ['n1', 'n2', 'n3']);
    ({ redis, laravel, nodes } = cluster);
});

after(async () => {
    for (const client of open) client.close();
    const exits = await cluster?.stop();
    scratch.remove();
    for (const exit of exits ?? []) assert.deepEqual(exit, { code: 0, signal: null }, 'every node exits cleanly');
});

/** Two clients per node, one of each Echo generation, on public `channel`. */
async function readersOf(channel, listeners) {
    const readers = [];
    for (const node of nodes) {
        for (const variant of VARIANTS) {
            const reader = await connectEcho(variant, { url: node.url, transports: ['websocket'], channel, listeners });
            open.push(reader);
            readers.push(Object.assign(reader, { node: node.name }));
        }
    }
    await untilSubscribed(readers, nodes[0].socket);
    return readers;
}

/** An Echo client of `node` signed in as user `id`. */
async function asUser(node, variant, id, setup) {
    const client = await openEcho(variant, { url: node.url, auth: { headers: { Authorization: `Bearer token-${id}` } }, setup });
    open.push(client);
    return client;
}

describe('events across nodes', () => {
    test('an event entering any node by any path reaches every client on every node exactly once', async () => {
        const readers = await readersOf('news', ['.Sent']);
        const sent = [];
        for (const node of nodes) {
            await publishAt(node, ['news'], 'Sent', { path: 'socket', at: node.name });
            sent.push(`socket@${node.name}`);
            await publishOverApi(node, 'news', 'Sent', { path: 'api', at: node.name });
            sent.push(`api@${node.name}`);
        }
        // Laravel's redis broadcaster: every node receives it from Redis and delivers it to its
        // own clients only; relaying it as well would deliver it twice.
        await redisCli(redis.port, ['PUBLISH', `${LARAVEL_PREFIX}news`, JSON.stringify({ event: 'Sent', data: { path: 'redis', at: 'laravel' }, socket: null })]);
        sent.push('redis@laravel');

        await eventually(() => readers.every((r) => r.received.length >= sent.length), 'every event at every client');
        await afterEverythingEverywhere(readers, nodes);
        for (const reader of readers) {
            const got = reader.received.map(({ data }) => `${data.path}@${data.at}`).sort();
            assert.deepEqual(got, [...sent].sort(), `${reader.describe} on ${reader.node} got each once`);
        }
        for (const reader of readers) reader.close();
    });

    test('events from one publisher keep their order on every node', async () => {
        const readers = await readersOf('ordered', ['.Numbered']);
        const frames = Array.from({ length: 300 }, (_, n) => ({ n }));
        // One connection to node 2's socket, all frames in one write.
        await publishAt(nodes[1], ['ordered'], 'Numbered', frames[0]);
        await publish(nodes[1].socket, ...frames.slice(1).map((payload) => publishFrame({ channels: ['ordered'], event: 'Numbered', payload: JSON.stringify(payload) })));
        await eventually(() => readers.every((r) => r.received.length === frames.length), 'all 300 at every client');
        for (const reader of readers) {
            assert.deepEqual(reader.received.map(({ data }) => data.n), frames.map(({ n }) => n), `in order on ${reader.node}`);
        }
        for (const reader of readers) reader.close();
    });

    test('toOthers leaves out the sender\'s socket on whichever node it is connected', async () => {
        const readers = await readersOf('others', ['.Sent']);
        const sender = readers.find((r) => r.node === 'n3');
        // Through node 1's socket and node 2's API: the sender is on node 3.
        await publishAt(nodes[0], ['others'], 'Sent', { via: 'socket' }, sender.echo.socketId());
        await publishOverApi(nodes[1], 'others', 'Sent', { via: 'api' }, sender.echo.socketId());
        await eventually(() => readers.every((r) => r === sender || r.received.length === 2), 'everyone else to receive both');
        await afterEverythingEverywhere(readers, nodes);
        assert.deepEqual(sender.received, []);
        for (const reader of readers) reader.close();
    });
});

describe('bad input on the bus', () => {
    test('garbage, foreign and oversized messages on the cluster\'s channels are skipped; the nodes go on', async () => {
        const readers = await readersOf('after-garbage', ['.Sent']);
        const bus = 'sidecast:bus';
        const envelope = (body) => JSON.stringify({ v: 1, node: 'intruder', seq: 1, ts: 0, body });
        for (const message of [
            'not json at all',
            JSON.stringify({ event: 'App\\Events\\Laravel', data: {}, socket: null }),
            JSON.stringify({ v: 9, node: 'future', ts: 0, body: { bye: {} } }),
            envelope({ publish: { channels: [''], event: 'Sent', data: {}, except: null } }),
            envelope({ publish: { channels: ['after-garbage'], event: 'x'.repeat(300), data: {} } }),
            envelope({ presence: { channel: 'presence-x', epoch: 1, ver: 'nope', change: {} } }),
        ]) {
            assert.match(await redisCli(redis.port, ['PUBLISH', bus, message]), /^[0-9]+$/);
        }
        // Over the bus's limit (twice the 1 MiB frame limit plus 64 KiB), sent from a file.
        const huge = envelope({ publish: { channels: ['after-garbage'], event: 'Sent', data: { pad: 'y'.repeat(3 * 1024 * 1024) } } });
        const file = join(scratch.dir, 'huge.json');
        writeFileSync(file, huge);
        await redisCli(redis.port, ['-x', 'PUBLISH', bus], file);

        await publishAt(nodes[0], ['after-garbage'], 'Sent', { ok: true });
        await eventually(() => readers.every((r) => r.received.length === 1), 'the next real event at every client');
        await afterEverythingEverywhere(readers, nodes);
        for (const reader of readers) assert.deepEqual(reader.received.map(({ data }) => data), [{ ok: true }]);
        for (const node of nodes) {
            await eventually(() => node.output.includes('a message on the cluster\'s bus was skipped'), `${node.name} to log the skips`);
            await eventually(() => node.output.includes('a message from the bus was dropped'), `${node.name} to log the oversized message`);
        }
        for (const reader of readers) reader.close();
    });
});

describe('whispers across nodes', () => {
    test('members on other nodes hear a whisper once; the sender and outsiders do not', async () => {
        const join = async (node, variant, id) => {
            const seen = [];
            const client = await asUser(node, variant, id, (echo) => {
                const channel = echo.private('orders.1').listenForWhisper('typing', (data) => seen.push(data));
                return { channel, watcher: probed(channel, 'private-orders.1') };
            });
            return Object.assign(client, { seen });
        };
        // User 1 owns private-orders.1: one socket on each node.
        const members = [await join(nodes[0], VARIANTS[0], 1), await join(nodes[1], VARIANTS[1], 1), await join(nodes[2], VARIANTS[1], 1)];
        await untilSubscribed(members.map((m) => m.watcher), nodes[0].socket);
        // User 2 may not join it; its whisper must go nowhere.
        const outsider = await asUser(nodes[2], VARIANTS[1], 2);
        outsider.socket.emit('client event', { channel: 'private-orders.1', event: 'client-typing', data: { from: 'outsider' } });

        members[1].channel.whisper('typing', { from: 'n2' });
        await eventually(() => members[0].seen.length === 1 && members[2].seen.length === 1, 'the whisper on nodes 1 and 3');
        const marker = probed(outsider.echo.channel('outsider-marker'), 'outsider-marker');
        await untilSubscribed([marker], nodes[2].socket);
        await afterEverythingEverywhere(members.map((m) => m.watcher), nodes);
        assert.deepEqual(members.map((m) => m.seen), [[{ from: 'n2' }], [], [{ from: 'n2' }]]);
        for (const member of members) member.close();
        outsider.close();
    });
});

describe('questions about channels cover every node', () => {
    let members;

    before(async () => {
        // Users 3 and 4 in presence-chat.lobby: user 3 on nodes 1 and 2, user 4 on node 3;
        // two readers of `news` on node 2.
        members = [];
        for (const [node, id] of [[nodes[0], 3], [nodes[1], 3], [nodes[2], 4]]) {
            const client = await asUser(node, VARIANTS[1], id, (echo) => ({ watcher: probed(echo.join('chat.lobby'), 'presence-chat.lobby') }));
            members.push(client);
        }
        await untilSubscribed(members.map((m) => m.watcher), nodes[0].socket);
        for (const variant of VARIANTS) {
            const reader = await connectEcho(variant, { url: nodes[1].url, transports: ['websocket'], channel: 'news', listeners: [] });
            open.push(reader);
            members.push(reader);
        }
        await untilSubscribed(members.slice(3), nodes[1].socket);
    });

    test('the HTTP API of any node answers for all of them', async () => {
        for (const node of nodes) {
            const [, users] = await askApi(node, '/channels/presence-chat.lobby/users');
            assert.deepEqual(users.users.map((u) => u.id).sort(), [3, 4], `users, asked of ${node.name}`);
            const [, room, headers] = await askApi(node, '/channels/presence-chat.lobby');
            assert.deepEqual(room, { subscription_count: 3, occupied: true, user_count: 2 }, `channel, asked of ${node.name}`);
            assert.equal(headers.get('x-sidecast-missing-nodes'), null, 'every node answered');
            const [, list] = await askApi(node, '/channels');
            assert.deepEqual(list.channels['presence-chat.lobby'], { subscription_count: 3, occupied: true });
            assert.deepEqual(list.channels.news, { subscription_count: 2, occupied: true });
            const [, status] = await askApi(node, '/status');
            assert.equal(status.subscription_count, 5, 'connections on all nodes');
        }
    });

    for (const [transport, extension] of [['extension', true], ['plain PHP', false]]) {
        test(`the Sidecast facade asking node 3 (${transport}) answers for all of them`, async () => {
            const php = startPhp(join(ROOT, 'tests/e2e/fixtures/extension/queries.php'), ['lobby'], {
                extension,
                env: { BROADCAST_DRIVER: 'sidecast', SIDECAST_SOCKET: nodes[2].socket },
            });
            assert.deepEqual(await php.exited, { code: 0, signal: null }, php.output);
            const answers = JSON.parse(php.output);
            assert.deepEqual(answers.room, { subscription_count: 3, occupied: true, user_count: 2 });
            assert.deepEqual(answers.members.map((m) => m.user_id).sort(), [3, 4]);
            assert.deepEqual(answers.all_channels.news, { subscription_count: 2 });
            assert.equal(answers.server.connections, 5);
            assert.equal(answers.server.nodes, 3);
            assert.equal(answers.server.missing_nodes, undefined);
        });
    }

    after(() => {
        for (const client of members) client.close();
    });
});

describe('the demo Laravel app on two hosts, each with its own sidecar', () => {
    test('an event fired on one host reaches the Echo clients of the other', async () => {
        const secondApp = await startLaravel({ sidecar: nodes[2], extension: false });
        try {
            const readers = [];
            for (const node of [nodes[0], nodes[2]]) {
                const reader = await connectEcho(VARIANTS[1], { url: node.url, transports: ['websocket'], channel: 'example-channel', listeners: ['ExampleEvent'] });
                open.push(reader);
                readers.push(reader);
            }
            await untilSubscribed(readers, nodes[0].socket);
            for (const [app, message] of [[laravel, 'from host 1 (extension)'], [secondApp, 'from host 2 (plain PHP)']]) {
                const response = await fetch(`${app.url}/fire?message=${encodeURIComponent(message)}`);
                assert.equal(response.status, 200, await response.text());
            }
            await eventually(() => readers.every((r) => r.received.length === 2), 'both events at both hosts\' clients');
            for (const reader of readers) {
                assert.deepEqual(reader.received.map(({ data }) => data.data).sort(), ['from host 1 (extension)', 'from host 2 (plain PHP)']);
                reader.close();
            }
        } finally {
            await secondApp.stop();
        }
    });
});
