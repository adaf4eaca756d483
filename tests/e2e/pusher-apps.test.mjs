// Several Pusher apps on one sidecar (`sidecast.pusher.apps`): each app's clients, channels,
// presence, HTTP API and Unix socket are its own — the same channel name in two apps is two
// channels — and each app keeps its own origins and connection quota. The first app shares its
// channels with socket.io and the sidecar's own socket. Across a cluster, each app is one
// server of its own.

import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';

import PusherRest from 'pusher';

import { eventually } from './support/echo-clients.mjs';
import { ROOT, freePort, sleep, startPhp, startRedis, startSidecar, stopAll, tempDir } from './support/processes.mjs';
import { APP, openPusher, openRaw, sign, subscribed } from './support/pusher-clients.mjs';
import { publish, publishFrame } from './support/wire.mjs';

after(stopAll);

const SECOND = { id: 'second-app', key: 'second-key', secret: 'second-secret' };
const FIXTURES = join(ROOT, 'tests/e2e/fixtures/extension');

/** A laravel-echo-server.json with the two apps (the second with an origin, a quota and a socket). */
function writeConfig(dir, extra = {}) {
    writeFileSync(join(dir, 'laravel-echo-server.json'), JSON.stringify({
        subscribers: { redis: false },
        sidecast: {
            pusher: {
                appId: APP.id, key: APP.key, secret: APP.secret,
                apps: [{
                    appId: SECOND.id, key: SECOND.key, secret: SECOND.secret,
                    allowedOrigins: ['https://second.test'], maxConnections: 3, socket: secondSocket(dir),
                }],
            },
            ...extra,
        },
    }));
}

const secondSocket = (dir) => join(dir, 'second.sock');

/** The REST client of `app`, pointed at `port`. */
const restOf = (app, port) => new PusherRest({ appId: app.id, key: app.key, secret: app.secret, host: '127.0.0.1', port: String(port), useTLS: false });

/** Records the `Shipped` events a pusher-js channel receives. */
function shippedOn(channel) {
    const received = [];
    channel.bind('Shipped', (data) => received.push(data));
    return received;
}

/** Runs `body({ sidecar, track })` against a sidecar with the two apps, then stops it. */
async function withTwoApps(body) {
    const scratch = tempDir();
    writeConfig(scratch.dir);
    const sidecar = await startSidecar({ dir: scratch.dir, args: ['--dir', scratch.dir] });
    sidecar.secondSocket = secondSocket(scratch.dir);
    const open = [];
    try {
        await body({ sidecar, track: (client) => { open.push(client); return client; } });
    } finally {
        for (const client of open) client.close();
        assert.deepEqual(await sidecar.stop(), { code: 0, signal: null });
        scratch.remove();
    }
}

describe('two apps on one sidecar', () => {
    test('PHP with the extension publishes to, and asks about, the app whose socket it is given', () => withTwoApps(async ({ sidecar, track }) => {
        const first = track(await openPusher(sidecar.port));
        const second = track(await openPusher(sidecar.port, { key: SECOND.key, signWith: SECOND }));
        const ticks = async (client) => {
            const received = [];
            (await subscribed(client, 'stream')).bind('Tick', (data) => received.push(data.n));
            return received;
        };
        const [toFirst, toSecond] = [await ticks(first), await ticks(second)];

        const stream = startPhp(join(FIXTURES, 'stream.php'), [sidecar.secondSocket, '5', '1000'], { extension: true });
        assert.deepEqual(await stream.exited, { code: 0, signal: null }, stream.output);
        await eventually(() => toSecond.length === 5, 'the five events');
        await sleep(200);
        assert.deepEqual(toSecond, [0, 1, 2, 3, 4]);
        assert.deepEqual(toFirst, []);

        // The Sidecast facade in a Laravel app whose SIDECAST_SOCKET is the second app's.
        const queries = startPhp(join(FIXTURES, 'queries.php'), ['lobby'], {
            extension: true,
            env: { BROADCAST_DRIVER: 'sidecast', SIDECAST_SOCKET: sidecar.secondSocket },
        });
        assert.deepEqual(await queries.exited, { code: 0, signal: null }, queries.output);
        const answers = JSON.parse(queries.output);
        assert.deepEqual(answers.all_channels, { stream: { subscription_count: 1 } });
        assert.equal(answers.server.connections, 1, 'the second app\'s one connection');
    }));

    test('each app\'s events, signatures and presence stay its own', () => withTwoApps(async ({ sidecar, track }) => {
        const first = track(await openPusher(sidecar.port));
        const second = track(await openPusher(sidecar.port, { key: SECOND.key, signWith: SECOND }));
        const toFirst = shippedOn(await subscribed(first, 'orders'));
        const toSecond = shippedOn(await subscribed(second, 'orders'));

        // The HTTP API: each app's signed request reaches its own channel of that name.
        await restOf(SECOND, sidecar.port).trigger('orders', 'Shipped', { app: 'second' });
        await restOf(APP, sidecar.port).trigger('orders', 'Shipped', { app: 'first' });
        // The sidecar's own Unix socket publishes to the first app, the second app's to it.
        const shipped = (app) => publishFrame({ channels: ['orders'], event: 'Shipped', payload: JSON.stringify({ app }) });
        await publish(sidecar.socket, shipped('socket'));
        await publish(sidecar.secondSocket, shipped('second socket'));
        await eventually(() => toFirst.length === 2 && toSecond.length === 2, 'each app\'s events');
        await sleep(200);
        assert.deepEqual(toFirst, [{ app: 'first' }, { app: 'socket' }]);
        assert.deepEqual(toSecond, [{ app: 'second' }, { app: 'second socket' }]);

        // A signature made with another app's secret is refused.
        const forged = track(await openPusher(sidecar.port, { key: SECOND.key, signWith: APP }));
        const refused = await subscribed(forged, 'private-orders');
        assert.equal(refused.outcome.ok, false);
        assert.equal(refused.outcome.error.status, 401);
        const signed = await subscribed(second, 'private-orders');
        assert.equal(signed.outcome.ok, true);

        // Presence: the same channel name holds each app's members only.
        const member = (id) => ({ member: { user_id: id, user_info: { app: id } } });
        const ann = track(await openPusher(sidecar.port, member(1)));
        const bob = track(await openPusher(sidecar.port, { key: SECOND.key, signWith: SECOND, ...member(2) }));
        const annsRoom = await subscribed(ann, 'presence-room');
        const bobsRoom = await subscribed(bob, 'presence-room');
        assert.deepEqual(Object.keys(annsRoom.members.members), ['1']);
        assert.deepEqual(Object.keys(bobsRoom.members.members), ['2']);
        const users = await restOf(SECOND, sidecar.port).get({ path: '/channels/presence-room/users' });
        assert.deepEqual(await users.json(), { users: [{ id: '2' }] });
        const channels = await restOf(APP, sidecar.port).get({ path: '/channels', params: { filter_by_prefix: 'presence-' } });
        assert.deepEqual(await channels.json(), { channels: { 'presence-room': {} } });
    }));

    test('each app keeps its own origins and connection quota; an unknown key is refused', () => withTwoApps(async ({ sidecar, track }) => {
        const secondPath = `/app/${SECOND.key}?protocol=7`;
        const elsewhere = { Origin: 'https://elsewhere.test' };
        const wrongOrigin = await openRaw(sidecar.port, { path: secondPath, headers: elsewhere });
        assert.deepEqual(wrongOrigin.messages[0].data, { code: 4009, message: 'Origin not allowed' });
        assert.equal((await wrongOrigin.closed).code, 4009);
        const firstAnywhere = track(await openRaw(sidecar.port, { headers: elsewhere }));
        assert.match(firstAnywhere.socketId, /^\d+\.\d+$/, 'the first app takes any origin');

        for (let i = 0; i < 3; i += 1) {
            const client = track(await openRaw(sidecar.port, { path: secondPath, headers: { Origin: 'https://second.test' } }));
            assert.match(client.socketId ?? '', /^\d+\.\d+$/);
        }
        const over = await openRaw(sidecar.port, { path: secondPath });
        assert.equal(over.messages[0].data.code, 4004);
        assert.equal((await over.closed).code, 4004);
        track(await openRaw(sidecar.port)); // the first app has no quota

        const unknown = await openRaw(sidecar.port, { path: '/app/no-such-key?protocol=7' });
        assert.equal((await unknown.closed).code, 4001);
    }));
});

test('across a cluster, each app is one server of its own: events and presence cross nodes within an app only', async () => {
    const redis = await startRedis();
    const scratches = [tempDir(), tempDir()];
    const nodes = [];
    const open = [];
    const track = (client) => { open.push(client); return client; };
    try {
        for (const scratch of scratches) {
            writeConfig(scratch.dir, { cluster: { redis: `redis://127.0.0.1:${redis.port}`, heartbeatMs: 500, deadAfterMs: 2000 } });
            nodes.push(await startSidecar({ dir: scratch.dir, port: await freePort(), args: ['--dir', scratch.dir] }));
        }
        const first = track(await openPusher(nodes[1].port));
        const second = track(await openPusher(nodes[1].port, { key: SECOND.key, signWith: SECOND }));
        const toFirst = shippedOn(await subscribed(first, 'orders'));
        const toSecond = shippedOn(await subscribed(second, 'orders'));
        // Published on the other node, until the buses are up.
        const rest = restOf(SECOND, nodes[0].port);
        for (const deadline = Date.now() + 10000; toSecond.length === 0; await sleep(200)) {
            assert.ok(Date.now() < deadline, 'the second app\'s event crosses to the other node');
            await rest.trigger('orders', 'Shipped', { app: 'second' });
        }
        await sleep(300);
        assert.deepEqual(toFirst, [], 'the first app\'s channel of that name hears nothing');

        // Presence: a member of the second app on each node; the first app's room stays empty.
        const member = (id) => ({ key: SECOND.key, signWith: SECOND, member: { user_id: id, user_info: null } });
        const ann = track(await openPusher(nodes[0].port, member(1)));
        const annsRoom = await subscribed(ann, 'presence-room');
        const joined = [];
        annsRoom.bind('pusher:member_added', (added) => joined.push(added.id));
        track(await openPusher(nodes[1].port, member(2))).pusher.subscribe('presence-room');
        await eventually(() => joined.includes(2), 'the member on the other node');
        const firstRoom = await restOf(APP, nodes[1].port).get({ path: '/channels/presence-room', params: { info: 'user_count' } });
        assert.deepEqual(await firstRoom.json(), { occupied: false, user_count: 0 });
        const secondRoom = await restOf(SECOND, nodes[1].port).get({ path: '/channels/presence-room', params: { info: 'user_count' } });
        assert.deepEqual(await secondRoom.json(), { occupied: true, user_count: 2 });
    } finally {
        for (const client of open) client.close();
        for (const node of nodes) assert.deepEqual(await node.stop(), { code: 0, signal: null });
        await redis.stop();
        for (const scratch of scratches) scratch.remove();
    }
});
