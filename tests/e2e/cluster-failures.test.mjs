// A cluster of sidecars when things go wrong: a node killed without a goodbye, a node frozen
// past the bound and resumed, a node stopped politely, Redis stopped and started again, and
// the bus subscriptions killed. Local delivery never stops; the members of a node that is gone
// leave everyone's lists within the documented bound; afterwards events cross nodes again and
// every node agrees on who is present.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { LARAVEL_PREFIX, LEAVE_BOUND_MS, askApi, joinAt, publishAt, startNode, untilListening } from './support/cluster.mjs';
import { VARIANTS, connectEcho, eventually, untilSubscribed } from './support/echo-clients.mjs';
import { freePort, redisCli, sleep, startLaravel, startRedis, stopAll, tempDir } from './support/processes.mjs';

after(stopAll);

const scratch = tempDir();
const open = [];
let redis;
let laravel;
let authHost;

before(async () => {
    redis = await startRedis();
    const appPort = await freePort();
    authHost = `http://127.0.0.1:${appPort}`;
    laravel = await startLaravel({ sidecar: null, extension: false, port: appPort, workers: 4 });
});

after(async () => {
    for (const client of open) client.close();
    await laravel?.stop();
    await redis?.stop();
    scratch.remove();
});

const node = (name) => startNode(scratch.dir, name, { redisPort: redis.port, authHost });

/** Joins and remembers the client, to close it at the end. */
async function join(at, id, room) {
    const client = await joinAt(at, id, room);
    open.push(client);
    return client;
}

/** A reader of public `channel` on `at`. */
async function reader(at, channel) {
    const client = await connectEcho(VARIANTS[1], { url: at.url, transports: ['websocket'], channel, listeners: ['.Sent'] });
    open.push(client);
    return client;
}

const users = async (at, room) => (await askApi(at, `/channels/presence-${room}/users`))[1].users.map((u) => u.id).sort((a, b) => a - b);

describe('a node that dies without a goodbye', () => {
    test('SIGKILL: its members leave the others\' lists within the bound, and the others keep delivering', async () => {
        const [n1, n2, n3] = [await node('kill-1'), await node('kill-2'), await node('kill-3')];
        const room = 'chat.kill';
        const watchers = [await join(n1, 21, room), await join(n2, 22, room)];
        const doomed = [await join(n3, 23, room), await join(n3, 24, room)];
        await untilSubscribed([...watchers, ...doomed].map((c) => c.watcher), n1.socket);
        for (const watcher of watchers) await eventually(() => watcher.members().join() === '21,22,23,24', 'everyone to be present');
        const news = await reader(n2, 'news');
        await untilSubscribed([news], n1.socket);

        const killed = Date.now();
        await n3.stop('SIGKILL');
        for (const watcher of watchers) {
            await eventually(() => watcher.seen.leaving.length === 2, `user ${watcher.id} to see both leave`, LEAVE_BOUND_MS + 5000);
            assert.deepEqual(watcher.seen.leaving.sort(), [23, 24]);
            assert.deepEqual(watcher.members(), [21, 22]);
        }
        const took = Date.now() - killed;
        assert.ok(took <= LEAVE_BOUND_MS, `the members left ${took} ms after the kill; the bound is ${LEAVE_BOUND_MS} ms`);
        assert.deepEqual(await users(n1, room), [21, 22]);

        await publishAt(n1, ['news'], 'Sent', { after: 'kill' });
        await eventually(() => news.received.length === 1, 'node 1 → node 2 delivery after the kill');
        for (const client of [...watchers, news]) client.close();
        assert.deepEqual(await n1.stop(), { code: 0, signal: null });
        assert.deepEqual(await n2.stop(), { code: 0, signal: null });
    });

    test('SIGSTOP past the bound: its members leave; after SIGCONT it rejoins them once and serves again', async () => {
        const [n1, n2] = [await node('stop-1'), await node('stop-2')];
        const room = 'chat.frozen';
        const watcher = await join(n1, 31, room);
        const frozen = await join(n2, 32, room);
        await eventually(() => watcher.members().join() === '31,32', 'user 32 to be present');
        const news = await reader(n2, 'news');
        await untilSubscribed([news, watcher.watcher], n1.socket);

        process.kill(n2.pid, 'SIGSTOP');
        try {
            await eventually(() => watcher.seen.leaving.includes(32), 'the frozen node\'s member to leave', LEAVE_BOUND_MS + 5000);
        } finally {
            process.kill(n2.pid, 'SIGCONT');
        }
        await n2.waitForOutput('repairing its presence members');
        await eventually(() => watcher.members().join() === '31,32', 'user 32 to be back', 10000);
        assert.deepEqual(watcher.seen.leaving, [32], 'left once');
        assert.deepEqual(await users(n1, room), [31, 32]);

        await publishAt(n1, ['news'], 'Sent', { after: 'freeze' });
        await eventually(() => news.received.length === 1, 'node 1 → node 2 delivery after the freeze');
        for (const client of [watcher, frozen, news]) client.close();
        assert.deepEqual(await n1.stop(), { code: 0, signal: null });
        assert.deepEqual(await n2.stop(), { code: 0, signal: null });
    });
});

describe('a node stopped with SIGTERM', () => {
    test('says goodbye at once: its members leave and it is gone from the registry before it exits', async () => {
        const [n1, n2] = [await node('term-1'), await node('term-2')];
        const room = 'chat.goodbye';
        const watcher = await join(n1, 41, room);
        const leaving = await join(n2, 42, room);
        await eventually(() => watcher.members().join() === '41,42', 'user 42 to be present');
        const id = /node="([a-z2-7]+)"/.exec(n2.output)[1];
        assert.notEqual(await redisCli(redis.port, ['ZSCORE', 'sidecast:{nodes}', id]), '');

        assert.deepEqual(await n2.stop(), { code: 0, signal: null });
        assert.equal(await redisCli(redis.port, ['ZSCORE', 'sidecast:{nodes}', id]), '', 'unregistered before exiting');
        await eventually(() => watcher.seen.leaving.includes(42), 'user 42 to leave');
        assert.deepEqual(await users(n1, room), [41]);
        leaving.close();
        watcher.close();
        assert.deepEqual(await n1.stop(), { code: 0, signal: null });
    });
});

describe('Redis going away', () => {
    test('stopped and started again: local delivery never stops; then events cross nodes and presence is whole again', async () => {
        const [n1, n2] = [await node('redis-1'), await node('redis-2')];
        const room = 'chat.outage';
        const local = await reader(n1, 'news');
        const remote = await reader(n2, 'news');
        const watcherN2 = await join(n2, 51, room);
        await untilSubscribed([local, remote, watcherN2.watcher], n1.socket);

        await redis.stop();
        await publishAt(n1, ['news'], 'Sent', { during: 'outage' });
        await eventually(() => local.received.length === 1, 'node 1\'s own client to receive during the outage');
        const joinedDuring = await join(n1, 52, room);
        await eventually(() => joinedDuring.seen.here.length === 1, 'a join on node 1 during the outage');
        // Node 1 had nobody in this channel: it shows what it knows, its own member.
        assert.deepEqual(joinedDuring.seen.here[0], [52], 'shown with what node 1 knew');

        await sleep(1500);
        redis = await startRedis({ port: redis.port });
        await untilListening(n1, 2);
        await untilListening(n2, 2);
        // The event published during the outage waited (under 5 s) and crosses now.
        await eventually(() => remote.received.length === 1, 'the event of the outage at node 2', 10000);
        await publishAt(n1, ['news'], 'Sent', { after: 'outage' });
        await eventually(() => remote.received.length === 2, 'node 1 → node 2 delivery after the outage');
        assert.deepEqual(remote.received.map(({ data }) => data.during ?? data.after), ['outage', 'outage']);

        // Both nodes put their members back; node 2's client learns of the join it missed.
        await eventually(() => watcherN2.members().join() === '51,52', 'node 2\'s member to see the join of the outage', 10000);
        await eventually(() => joinedDuring.members().join() === '51,52', 'node 1\'s member to see node 2\'s', 10000);
        for (const at of [n1, n2]) {
            assert.deepEqual(await users(at, room), [51, 52], `presence in Redis, asked of ${at.name}`);
        }
        const fresh = await join(n2, 53, room);
        await eventually(() => fresh.seen.here.length === 1, 'here for a fresh member');
        assert.deepEqual(fresh.seen.here[0].sort(), [51, 52, 53]);
        for (const client of [local, remote, watcherN2, joinedDuring, fresh]) client.close();
        assert.deepEqual(await n1.stop(), { code: 0, signal: null });
        assert.deepEqual(await n2.stop(), { code: 0, signal: null });
    });

    test('CLIENT KILL TYPE pubsub: every subscriber comes back by itself', async () => {
        const [n1, n2] = [await node('kill-pubsub-1'), await node('kill-pubsub-2')];
        const remote = await reader(n2, 'news');
        await untilSubscribed([remote], n1.socket);
        await redisCli(redis.port, ['CLIENT', 'KILL', 'TYPE', 'pubsub']);
        await untilListening(n1, 2);
        await untilListening(n2, 2);
        await publishAt(n1, ['news'], 'Sent', { after: 'kill' });
        await eventually(() => remote.received.some(({ data }) => data.after === 'kill'), 'node 1 → node 2 after the kill');
        // Laravel's redis broadcaster is subscribed to again too.
        await eventually(() => n2.output.split('subscribed to Redis').length > 2, 'node 2 to subscribe to Laravel\'s channels again');
        await redisCli(redis.port, ['PUBLISH', `${LARAVEL_PREFIX}news`, JSON.stringify({ event: 'Sent', data: { from: 'laravel' }, socket: null })]);
        await eventually(() => remote.received.some(({ data }) => data.from === 'laravel'), 'Laravel\'s event after the kill');
        assert.equal(remote.received.filter(({ data }) => data.from === 'laravel').length, 1);
        remote.close();
        assert.deepEqual(await n1.stop(), { code: 0, signal: null });
        assert.deepEqual(await n2.stop(), { code: 0, signal: null });
    });
});
