// Lifecycle events across two sidecars sharing one Redis, told as webhooks to one receiver:
// each transition once for the whole cluster, never once per node. A channel with sockets on
// both nodes is occupied once and vacated once; a user present through both nodes is added
// once and removed once; a user who reloads onto the other node within the grace period is
// told nothing; a whisper is told once, by the sender's node; the members of a node that dies
// are removed by another node. A channel's subscription count is every node's added up. A
// signed-in Pusher user is connected once and disconnected once, however many nodes its
// connections are on, and a dead node's users are disconnected by another node. Leaves made
// while Redis was away are told once it is back, even when it came back empty.

import assert from 'node:assert/strict';
import { after, test } from 'node:test';

import { LEAVE_BOUND_MS, joinAt, startCluster, untilListening } from './support/cluster.mjs';
import { VARIANTS, connectEcho, eventually } from './support/echo-clients.mjs';
import { sleep, startRedis, stopAll, tempDir } from './support/processes.mjs';
import { APP, openPusher } from './support/pusher-clients.mjs';
import { startReceiver } from './support/webhook-receiver.mjs';

after(stopAll);

const GRACE_MS = 1000;
const room = 'chat.lifecycle';
const channel = `presence-${room}`;
const line = (e) => [e.name, e.channel, e.user_id].filter(Boolean).join(' ');

/**
 * Two nodes of the demo app's cluster telling one webhook receiver, with `env` added to their
 * settings. `stop()` stops everything and resolves with the nodes' exits.
 */
async function startTellingCluster(env) {
    const scratch = tempDir();
    const receiver = await startReceiver();
    const cluster = await startCluster(scratch.dir, ['n1', 'n2'], {
        env: {
            SIDECAST_APP_ID: APP.id, SIDECAST_APP_KEY: APP.key, SIDECAST_APP_SECRET: APP.secret,
            SIDECAST_WEBHOOK_URLS: receiver.url, ...env,
        },
    });
    const stop = async () => {
        const exits = await cluster.stop();
        receiver.close();
        scratch.remove();
        return exits;
    };
    return { nodes: cluster.nodes, redis: cluster.redis, receiver, stop };
}

test('each transition is told once for the whole cluster, a reload across nodes not at all, and a dead node\'s members by another node', async () => {
    const cluster = await startTellingCluster({
        SIDECAST_LIFECYCLE_GRACE: String(GRACE_MS / 1000), SIDECAST_LIFECYCLE_CLIENT_EVENTS: 'presence-',
    });
    const { nodes: [n1, n2], receiver } = cluster;
    const told = () => receiver.delivered().map(line);
    let killed = false;
    try {
        const annOnN1 = await joinAt(n1, 1, room);
        await eventually(() => told().length === 2, 'the channel occupied and Ann added');
        const annOnN2 = await joinAt(n2, 1, room);
        const bob = await joinAt(n2, 2, room);
        await eventually(() => told().length === 3, 'Bob added');
        assert.deepEqual(told(), [`channel_occupied ${channel}`, `member_added ${channel} 1`, `member_added ${channel} 2`],
            'occupied once though both nodes have sockets; Ann once though she is on both');

        bob.channel.whisper('typing', { typing: true });
        await eventually(() => told().length === 4, 'the whisper');
        assert.equal(told()[3], `client_event ${channel} 2`, 'told once, by the sender\'s node');

        // Ann closes both tabs and comes back on n1 within the grace period: nothing.
        annOnN1.close();
        annOnN2.close();
        const annBack = await joinAt(n1, 1, room);
        await sleep(GRACE_MS * 2);
        assert.equal(told().length, 4, 'a reload across nodes tells nothing');

        // Carl is only on n2, which dies: n1 sweeps it and tells Carl removed; the channel
        // stays occupied (Ann is on n1).
        await joinAt(n2, 3, room);
        await eventually(() => told().includes(`member_added ${channel} 3`), 'Carl added');
        await n2.stop('SIGKILL');
        killed = true;
        await eventually(() => told().includes(`member_removed ${channel} 3`), 'Carl removed by the surviving node', LEAVE_BOUND_MS + GRACE_MS * 2);
        await eventually(() => told().includes(`member_removed ${channel} 2`), 'Bob removed too', LEAVE_BOUND_MS + GRACE_MS * 2);

        annBack.close();
        await eventually(() => told().includes(`channel_vacated ${channel}`), 'the channel vacated', GRACE_MS * 5);
        await sleep(GRACE_MS);
        const counts = {};
        for (const event of told()) counts[event] = (counts[event] ?? 0) + 1;
        assert.deepEqual(counts, {
            [`channel_occupied ${channel}`]: 1,
            [`member_added ${channel} 1`]: 1,
            [`member_added ${channel} 2`]: 1,
            [`client_event ${channel} 2`]: 1,
            [`member_added ${channel} 3`]: 1,
            [`member_removed ${channel} 3`]: 1,
            [`member_removed ${channel} 2`]: 1,
            [`member_removed ${channel} 1`]: 1,
            [`channel_vacated ${channel}`]: 1,
        }, 'every transition once');
        assert.deepEqual(told().slice(-2).sort(), [`channel_vacated ${channel}`, `member_removed ${channel} 1`].sort());
    } finally {
        const exits = await cluster.stop();
        assert.deepEqual(exits[0], { code: 0, signal: null });
        if (!killed) assert.deepEqual(exits[1], { code: 0, signal: null });
    }
});

test('a channel\'s subscription count is told for the whole cluster, whichever node changed it', async () => {
    const cluster = await startTellingCluster({ SIDECAST_LIFECYCLE_EVENTS: 'subscription_count' });
    const { nodes: [n1, n2], receiver } = cluster;
    const last = () => receiver.delivered().filter((e) => e.channel === 'orders').at(-1)?.subscription_count;
    try {
        const open = (node) => connectEcho(VARIANTS[1], { url: node.url, transports: ['websocket'], channel: 'orders', listeners: [] });
        const first = await open(n1);
        await eventually(() => last() === 1, 'one subscription, on n1');
        const second = await open(n2);
        const third = await open(n2);
        await eventually(() => last() === 3, 'three, told by n2 with n1\'s');
        first.close();
        await eventually(() => last() === 2, 'n1\'s gone: two');
        second.close();
        third.close();
        await eventually(() => last() === 0, 'none left');
    } finally {
        const exits = await cluster.stop();
        for (const exit of exits) assert.deepEqual(exit, { code: 0, signal: null });
    }
});

test('a signed-in user is connected once and disconnected once for the whole cluster, a reload across nodes not at all, and a dead node\'s users by another node', async () => {
    const cluster = await startTellingCluster({
        SIDECAST_LIFECYCLE_GRACE: String(GRACE_MS / 1000), SIDECAST_LIFECYCLE_EVENTS: 'user_connected,user_disconnected',
    });
    const { nodes: [n1, n2], receiver } = cluster;
    const told = () => receiver.delivered().map(line);
    const signedIn = async (node, id) => {
        const tab = await openPusher(node.port, { user: { id } });
        tab.pusher.signin();
        await tab.pusher.user.signinDonePromise;
        return tab;
    };
    let killed = false;
    try {
        const annOnN1 = await signedIn(n1, '7');
        await eventually(() => told().length === 1, 'Ann connected');
        const annOnN2 = await signedIn(n2, '7');
        // Ann closes her tab on n1 (she is still on n2), then the one on n2, and reloads onto n1
        // within the grace period: nothing.
        annOnN1.close();
        await sleep(GRACE_MS * 2);
        annOnN2.close();
        const annBack = await signedIn(n1, '7');
        await sleep(GRACE_MS * 2);
        assert.deepEqual(told(), ['user_connected 7'], 'connected once though on both nodes; a reload across nodes tells nothing');

        // Bob is only on n2, which dies: n1 sweeps it and tells Bob disconnected.
        const bob = await signedIn(n2, '8');
        await eventually(() => told().includes('user_connected 8'), 'Bob connected');
        await n2.stop('SIGKILL');
        killed = true;
        bob.close();
        await eventually(() => told().includes('user_disconnected 8'), 'Bob disconnected by the surviving node', LEAVE_BOUND_MS + GRACE_MS * 2);

        annBack.close();
        await eventually(() => told().includes('user_disconnected 7'), 'Ann disconnected after the grace period', GRACE_MS * 5);
        await sleep(GRACE_MS);
        assert.deepEqual(told(), ['user_connected 7', 'user_connected 8', 'user_disconnected 8', 'user_disconnected 7'], 'every transition once, in order');
    } finally {
        const exits = await cluster.stop();
        assert.deepEqual(exits[0], { code: 0, signal: null });
        if (!killed) assert.deepEqual(exits[1], { code: 0, signal: null });
    }
});

test('leaves made while Redis was away are told once it is back, though it lost its data; not those of users another node puts back', async () => {
    const cluster = await startTellingCluster({
        SIDECAST_LIFECYCLE_GRACE: String(GRACE_MS / 1000),
        SIDECAST_LIFECYCLE_EVENTS: 'channel_occupied,channel_vacated,member_added,member_removed,user_connected,user_disconnected',
    });
    const { nodes: [n1, n2], receiver } = cluster;
    // A signed-in user's own channel is a channel too; only the others are asserted here.
    const told = () => receiver.delivered().map(line).filter((l) => !l.includes('#server-to-user'));
    const lobby = 'chat.lobby';
    let redis = cluster.redis;
    try {
        // Ann and Bob only on n1; Carl in the lobby on both nodes.
        const ann = await joinAt(n1, 1, room);
        const bob = await openPusher(n1.port, { user: { id: '8' } });
        bob.pusher.signin();
        await bob.pusher.user.signinDonePromise;
        const carlOnN1 = await joinAt(n1, 3, lobby);
        await joinAt(n2, 3, lobby);
        await eventually(() => told().length === 5, 'both channels occupied, Ann and Carl added, Bob connected');

        await redis.stop();
        for (const client of [ann, bob, carlOnN1]) client.close();
        await sleep(1500);
        assert.equal(told().length, 5, 'nothing can be decided while Redis is away');
        redis = await startRedis({ port: redis.port });
        await untilListening(n1, 2);
        await eventually(() => told().length >= 8, 'the leaves of the outage told', 15000);
        await sleep(GRACE_MS * 2);
        const after = told().slice(5);
        for (const leave of [`member_removed ${channel} 1`, `channel_vacated ${channel}`, 'user_disconnected 8']) {
            assert.equal(after.filter((l) => l === leave).length, 1, `${leave} once, though Redis came back without what it would have removed`);
        }
        const lobbyLeaves = after.filter((l) => l.includes('presence-chat.lobby') && /removed|vacated/.test(l));
        assert.deepEqual(lobbyLeaves, [], 'Carl is still in the lobby through n2, which put him back within the grace period');
    } finally {
        const exits = await cluster.stop();
        await redis.stop();
        for (const exit of exits) assert.deepEqual(exit, { code: 0, signal: null });
    }
});
