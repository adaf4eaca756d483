// The Pusher front end's opt-in settings, each on a sidecar of its own:
// - subscription counts (`pusher_internal:subscription_count`, which pusher-js re-emits on the
//   channel as `pusher:subscription_count`): off unless started with --subscription-count; then
//   told to every subscriber of a channel whose count changed, at most once a second, counting
//   socket.io connections too; never on presence channels; across a cluster, of every node's
//   connections;
// - the per-connection message limit (--message-limit, as Reverb's rate_limiting): messages
//   past it are refused with 4301, or the connection closed with 4301.

import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';

import { VARIANTS, eventually, openEcho } from './support/echo-clients.mjs';
import { sleep, startRedis, startSidecar, stopAll, tempDir } from './support/processes.mjs';
import { APP_ARGS, openPusher, openRaw, subscribed } from './support/pusher-clients.mjs';

after(stopAll);

/** A sidecar with `args`, and what to close when the test ends. */
async function sidecarWith(args, env = {}) {
    const scratch = tempDir();
    const sidecar = await startSidecar({ dir: scratch.dir, args: [...APP_ARGS, ...args], env });
    const open = [];
    return {
        sidecar,
        track: (client) => { open.push(client); return client; },
        async stop() {
            for (const client of open) client.close();
            const exit = await sidecar.stop();
            scratch.remove();
            assert.deepEqual(exit, { code: 0, signal: null }, 'sidecast exits cleanly');
        },
    };
}

/** The counts a pusher-js channel was told, in order. */
function countsOf(channel) {
    const counts = [];
    channel.bind('pusher:subscription_count', (data) => counts.push(data.subscription_count));
    return counts;
}

describe('subscription counts', () => {
    test('with --subscription-count, every subscriber hears the count as it changes, socket.io clients included', async () => {
        const { sidecar, track, stop } = await sidecarWith(['--subscription-count']);
        try {
            const ann = track(await openPusher(sidecar.port));
            const seenByAnn = countsOf(ann.pusher.subscribe('stock'));
            await eventually(() => seenByAnn.at(-1) === 1, 'the count of one');

            const bob = track(await openPusher(sidecar.port));
            const bobsChannel = await subscribed(bob, 'stock');
            const seenByBob = countsOf(bobsChannel);
            track(await openEcho(VARIANTS[1], { url: sidecar.url, setup: (e) => { e.channel('stock'); } }));
            await eventually(() => seenByAnn.at(-1) === 3 && seenByBob.at(-1) === 3, 'the count of three');
            assert.equal(bobsChannel.subscriptionCount, 3, 'pusher-js keeps the count on the channel');

            bob.close();
            await eventually(() => seenByAnn.at(-1) === 2, 'the count after one left');
            // Once a second at most, and only on a change: no repeats of the same count.
            assert.deepEqual(seenByAnn.filter((count, i) => count === seenByAnn[i - 1]), []);
        } finally {
            await stop();
        }
    });

    test('presence channels get no count; without the option no channel does', async () => {
        const counted = await sidecarWith(['--subscription-count']);
        const plain = await sidecarWith([]);
        try {
            const member = (id) => ({ member: { user_id: id, user_info: null } });
            const ann = counted.track(await openPusher(counted.sidecar.port, member(1)));
            const seenInPresence = countsOf(ann.pusher.subscribe('presence-room'));
            counted.track(await openPusher(counted.sidecar.port, member(2))).pusher.subscribe('presence-room');
            // A public channel on the same sidecar is counted meanwhile: the counts are flowing.
            const seenInPublic = countsOf(ann.pusher.subscribe('lobby'));
            await eventually(() => seenInPublic.length > 0, 'the public channel\'s count');
            await sleep(1500);
            assert.deepEqual(seenInPresence, []);

            const raw = plain.track(await openRaw(plain.sidecar.port));
            raw.send({ event: 'pusher:subscribe', data: { channel: 'stock', auth: '' } });
            await raw.next((m) => m.event === 'pusher_internal:subscription_succeeded');
            plain.track(await openPusher(plain.sidecar.port)).pusher.subscribe('stock');
            await sleep(1500);
            assert.deepEqual(raw.messages.filter((m) => m.event === 'pusher_internal:subscription_count'), []);
        } finally {
            await counted.stop();
            await plain.stop();
        }
    });
});

test('across a cluster, the counts are of every node\'s connections', async () => {
    const redis = await startRedis();
    const nodes = [];
    try {
        for (let i = 0; i < 2; i += 1) {
            nodes.push(await sidecarWith(['--subscription-count', '--cluster-redis', `redis://127.0.0.1:${redis.port}`]));
        }
        const [here, there] = nodes;
        const ann = here.track(await openPusher(here.sidecar.port));
        const seenByAnn = countsOf(ann.pusher.subscribe('stock'));
        await eventually(() => seenByAnn.at(-1) === 1, 'the count of one');

        const bob = there.track(await openPusher(there.sidecar.port));
        const seenByBob = countsOf(bob.pusher.subscribe('stock'));
        there.track(await openEcho(VARIANTS[1], { url: there.sidecar.url, setup: (e) => { e.channel('stock'); } }));
        await eventually(() => seenByAnn.at(-1) === 3 && seenByBob.at(-1) === 3, 'the count of three, on both nodes');

        bob.close();
        await eventually(() => seenByAnn.at(-1) === 2, 'the count after one left the other node');
        // The other node stops: its connections are no longer counted.
        await there.stop();
        nodes.pop();
        await eventually(() => seenByAnn.at(-1) === 1, 'the count once the other node is gone');
    } finally {
        for (const node of nodes) await node.stop();
        await redis.stop();
    }
});

describe('the message limit', () => {
    test('past --message-limit, messages are refused with 4301 and the connection stays', async () => {
        const { sidecar, track, stop } = await sidecarWith(['--message-limit', '3', '--message-limit-window', '60']);
        try {
            const raw = track(await openRaw(sidecar.port));
            for (let i = 0; i < 4; i += 1) raw.send({ event: 'pusher:ping', data: {} });
            await raw.next((m) => m.event === 'pusher:error');
            const answers = raw.messages.filter((m) => m.event === 'pusher:pong' || m.event === 'pusher:error');
            assert.deepEqual(answers.map((m) => m.event), ['pusher:pong', 'pusher:pong', 'pusher:pong', 'pusher:error']);
            assert.deepEqual(answers[3].data, { code: 4301, message: 'Rate limit exceeded' });
            await sleep(200);
            assert.equal(raw.ws.readyState, 1, 'still open');
        } finally {
            await stop();
        }
    });

    test('with --message-limit-terminate, the connection is closed with 4301', async () => {
        const { sidecar, track, stop } = await sidecarWith(['--message-limit', '2', '--message-limit-terminate']);
        try {
            const raw = track(await openRaw(sidecar.port));
            for (let i = 0; i < 3; i += 1) raw.send({ event: 'pusher:ping', data: {} });
            assert.deepEqual(await raw.closed, { code: 4301, reason: 'Rate limit exceeded' });
        } finally {
            await stop();
        }
    });
});
