// Presence across three sidecars sharing one Redis: one roster for the whole cluster. The
// member list a joining socket gets holds the members on every node; a user is announced when
// their first socket anywhere joins and gone when their last socket anywhere leaves — once, to
// every observer on every node; 50 users joining at once over three nodes are all there.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { afterEverythingEverywhere, askApi, joinAt, startCluster } from './support/cluster.mjs';
import { eventually, probed, untilSubscribed } from './support/echo-clients.mjs';
import { stopAll, tempDir } from './support/processes.mjs';

after(stopAll);

const scratch = tempDir();
const open = [];
let cluster;
let nodes;

before(async () => {
    cluster = await startCluster(scratch.dir, ['n1', 'n2', 'n3']);
    ({ nodes } = cluster);
});

after(async () => {
    for (const client of open) client.close();
    const exits = await cluster?.stop();
    scratch.remove();
    for (const exit of exits ?? []) assert.deepEqual(exit, { code: 0, signal: null }, 'every node exits cleanly');
});

/** Joins and remembers the client, to close it at the end. */
async function join(node, id, room) {
    const client = await joinAt(node, id, room);
    open.push(client);
    return client;
}

/** Waits until the asynchronous `condition()` holds. */
async function until(condition, what, timeoutMs = 10000) {
    const deadline = Date.now() + timeoutMs;
    while (!(await condition())) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((ok) => setTimeout(ok, 20));
    }
}

const sorted = (ids) => [...ids].sort((a, b) => a - b);

describe('one roster for the whole cluster', () => {
    test('users with sockets on two nodes are one member each, announced once to every observer on every node', async () => {
        const room = 'chat.cluster-1';
        const observers = [];
        for (const [index, node] of nodes.entries()) observers.push(await join(node, 90 + index, room));
        await eventually(() => observers.every((o) => o.members().length === 3), 'the observers to see each other');

        const annOnN1 = await join(nodes[0], 1, room);
        const annOnN2 = await join(nodes[1], 1, room);
        const bobOnN3 = await join(nodes[2], 2, room);
        const everyone = [1, 2, 90, 91, 92];
        for (const client of [...observers, annOnN1, annOnN2, bobOnN3]) {
            await eventually(() => client.members().join() === everyone.join(), `user ${client.id} on ${client.node} to see everyone`);
        }
        await afterEverythingEverywhere(observers.map((o) => o.watcher), nodes);
        for (const observer of observers) {
            assert.equal(observer.seen.joining.filter((id) => id === 1).length, 1, `observer ${observer.id}: user 1 joined once`);
            assert.equal(observer.seen.joining.filter((id) => id === 2).length, 1, `observer ${observer.id}: user 2 joined once`);
        }
        for (const node of nodes) {
            const [, answer] = await askApi(node, `/channels/presence-${room}/users`);
            assert.deepEqual(sorted(answer.users.map((u) => u.id)), everyone, `the users, asked of ${node.name}`);
        }

        // User 1's socket on node 1 goes: still present through node 2.
        annOnN1.close();
        const marker = probed(annOnN2.echo.channel('still-here'), 'still-here');
        await untilSubscribed([marker], nodes[1].socket);
        await until(async () => (await askApi(nodes[0], `/channels/presence-${room}`))[1].subscription_count === 5, 'the socket to be gone');
        await afterEverythingEverywhere(observers.map((o) => o.watcher), nodes);
        for (const observer of observers) assert.deepEqual(observer.seen.leaving, [], `observer ${observer.id}: nobody left`);

        // Its last socket goes: gone for everyone, once.
        annOnN2.close();
        for (const observer of observers) {
            await eventually(() => observer.seen.leaving.includes(1), `observer ${observer.id} to see user 1 leave`);
        }
        await afterEverythingEverywhere(observers.map((o) => o.watcher), nodes);
        for (const observer of observers) {
            assert.deepEqual(observer.seen.leaving, [1], `observer ${observer.id} saw user 1 leave once`);
            assert.deepEqual(observer.members(), [2, 90, 91, 92]);
        }
        for (const client of [...observers, bobOnN3]) client.close();
    });

    test('50 users joining at once over three nodes are all there; all leaving are all gone', async () => {
        const room = 'chat.cluster-crowd';
        const ids = Array.from({ length: 50 }, (_, i) => 100 + i);
        const crowd = await Promise.all(ids.map((id, i) => join(nodes[i % 3], id, room)));
        await untilSubscribed(crowd.map((c) => c.watcher), nodes[0].socket);

        const late = [];
        for (const [index, node] of nodes.entries()) late.push(await join(node, 190 + index, room));
        for (const observer of late) {
            await eventually(() => observer.members().length === 53, `the late joiner on ${observer.node} to see all`);
            const first = observer.seen.here[0];
            assert.ok(ids.every((id) => first.includes(id)), `the member list on ${observer.node} holds all 50`);
        }
        for (const node of nodes) {
            const [, answer] = await askApi(node, `/channels/presence-${room}`);
            assert.equal(answer.user_count, 53, `user count asked of ${node.name}`);
        }

        for (const client of crowd) client.close();
        for (const observer of late) {
            await eventually(() => ids.every((id) => observer.seen.leaving.includes(id)), `every crowd member to leave on ${observer.node}`);
            assert.equal(observer.seen.leaving.length, 50, `each left once on ${observer.node}`);
            assert.deepEqual(observer.members(), [190, 191, 192]);
        }
        for (const observer of late) observer.close();
    });
});
