// The Pusher protocol front end with real clients: pusher-js 8 and a raw WebSocket, beside
// Echo's socket.io clients on the same sidecar. Subscriptions are signed with the app's secret
// as the app's auth endpoint would sign them (the Laravel side is in pusher-laravel.test.mjs).

import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import Echo from 'laravel-echo';
import PusherRest from 'pusher';
import Pusher from 'pusher-js';

import { VARIANTS, afterEverythingSoFar, eventually, openEcho, probed, untilSubscribed } from './support/echo-clients.mjs';
import { freePort, sleep, startRedis, startSidecar, startSidecastIn, stopAll, tempDir } from './support/processes.mjs';
import { APP, APP_ARGS, openPusher, openRaw, sign, subscribed } from './support/pusher-clients.mjs';
import { publish, publishFrame } from './support/wire.mjs';

after(stopAll);

const scratch = tempDir();
let sidecar;
const open = [];
const track = (client) => { open.push(client); return client; };

before(async () => {
    sidecar = await startSidecar({ dir: scratch.dir, args: [...APP_ARGS, '--ping-interval', '1', '--max-message-bytes', '2000'] });
});

after(async () => {
    for (const client of open) client.close();
    const exit = await sidecar?.stop();
    scratch.remove();
    assert.deepEqual(exit, { code: 0, signal: null }, 'sidecast exits cleanly');
});

const send = (channels, event, payload, socketId) => publish(sidecar.socket, publishFrame({ channels, event, payload, socketId }));

describe('connecting', () => {
    test('the handshake gives a Pusher socket id and the activity timeout, as a JSON string', async () => {
        const raw = track(await openRaw(sidecar.port));
        const [established] = raw.messages;
        assert.equal(established.event, 'pusher:connection_established');
        assert.match(established.data.socket_id, /^\d+\.\d+$/);
        assert.equal(established.data.activity_timeout, 30);
    });

    const refusals = [
        ['an unknown app key', { path: '/app/nope?protocol=7' }, 4001, 'Application does not exist'],
        ['protocol 8', { path: `/app/${APP.key}?protocol=8` }, 4007, 'Unsupported protocol version'],
        ['a protocol that is not a number', { path: `/app/${APP.key}?protocol=seven` }, 4006, 'Invalid version string format'],
    ];
    for (const [what, options, code, message] of refusals) {
        test(`${what} is refused with pusher:error and close code ${code}`, async () => {
            const raw = await openRaw(sidecar.port, options);
            assert.deepEqual(raw.messages[0], { event: 'pusher:error', data: { code, message } });
            assert.deepEqual(await raw.closed, { code, reason: message });
        });
    }

    test('pusher-js does not retry an unknown key (4001 means refused)', async () => {
        const client = track(await openPusher(sidecar.port, { key: 'unknown' }));
        await eventually(() => client.states.includes('disconnected'), 'pusher-js to give up');
        const connectingAgain = client.states.filter((state) => state === 'connecting').length;
        await new Promise((ok) => setTimeout(ok, 1500));
        assert.equal(client.states.filter((state) => state === 'connecting').length, connectingAgain, 'no reconnection');
        assert.equal(client.errors.at(-1)?.error?.data?.code, 4001);
    });

    test('a page from an origin that is not allowed gets 4009', async () => {
        const dir = tempDir();
        const guarded = await startSidecar({ dir: dir.dir, args: [...APP_ARGS, '--allowed-origin', 'https://app.test'] });
        try {
            const refused = await openRaw(guarded.port, { headers: { Origin: 'https://evil.test' } });
            assert.equal((await refused.closed).code, 4009);
            const allowed = await openRaw(guarded.port, { headers: { Origin: 'https://app.test' } });
            assert.match(allowed.socketId, /^\d+\.\d+$/);
            allowed.close();
        } finally {
            await guarded.stop();
            dir.remove();
        }
    });

    test('past the app\'s connection quota a connection gets 4004; with client events off, whispers get 4301', async () => {
        const dir = tempDir();
        const limited = await startSidecar({
            dir: dir.dir,
            args: [...APP_ARGS, '--max-connections', '2'],
            env: { REVERB_APP_ACCEPT_CLIENT_EVENTS_FROM: 'none' },
        });
        try {
            const [first, second] = [await openRaw(limited.port), await openRaw(limited.port)];
            const third = await openRaw(limited.port);
            assert.deepEqual(third.messages[0], { event: 'pusher:error', data: { code: 4004, message: 'Application is over connection quota' } });
            assert.equal((await third.closed).code, 4004);
            second.close();
            await second.closed;
            // The sidecar forgets the connection a moment after it closed: retried until then.
            let fourth;
            for (const deadline = Date.now() + 5000; !fourth?.socketId; await sleep(50)) {
                assert.ok(Date.now() < deadline, 'a connection is accepted once one left');
                fourth = await openRaw(limited.port);
            }
            assert.match(fourth.socketId, /^\d+\.\d+$/);

            const channel = 'private-quiet';
            first.send({ event: 'pusher:subscribe', data: { channel, auth: sign(`${first.socketId}:${channel}`) } });
            await first.next((m) => m.event === 'pusher_internal:subscription_succeeded');
            const from = first.messages.length;
            first.send({ event: 'client-hi', channel, data: {} });
            const refused = await first.next((m) => m.event === 'pusher:error', from);
            assert.deepEqual(refused.data, { code: 4301, message: 'Client event rejected: the app does not accept client events' });
            first.close();
            fourth.close();
        } finally {
            await limited.stop();
            dir.remove();
        }
    });

    test('a request that is not a WebSocket upgrade is answered over HTTP', async () => {
        const response = await fetch(`${sidecar.url}/app/${APP.key}`);
        assert.equal(response.status, 426);
        assert.match(await response.text(), /Pusher protocol WebSocket endpoint/);
    });
});

describe('one hub, two protocols', () => {
    test('an event from PHP reaches pusher-js and socket.io clients of the channel with the same data', async () => {
        const pusherClient = track(await openPusher(sidecar.port));
        const channel = await subscribed(pusherClient, 'orders');
        assert.deepEqual(channel.outcome, { ok: true, data: {} });
        const viaPusher = [];
        channel.bind('Shipped', (data) => viaPusher.push(data));
        const viaSocketIo = [];
        const echo = track(await openEcho(VARIANTS[1], {
            url: sidecar.url,
            setup: (e) => ({ watcher: probed(e.channel('orders').listen('.Shipped', (data) => viaSocketIo.push(data)), 'orders') }),
        }));
        await untilSubscribed([echo.watcher], sidecar.socket);

        const payload = { id: 7, note: 'caf\u00e9 "quoted"', nested: [1, { a: null }] };
        await send(['orders'], 'Shipped', JSON.stringify(payload));
        await eventually(() => viaPusher.length === 1 && viaSocketIo.length === 1, 'the event on both');
        assert.deepEqual(viaPusher[0], payload);
        assert.deepEqual(viaSocketIo[0], payload);
    });

    test('toOthers: a publication that excludes a Pusher socket skips only that one', async () => {
        const [sender, other] = [track(await openPusher(sidecar.port)), track(await openPusher(sidecar.port))];
        const received = { sender: [], other: [] };
        (await subscribed(sender, 'rooms')).bind('Said', (data) => received.sender.push(data));
        (await subscribed(other, 'rooms')).bind('Said', (data) => received.other.push(data));
        await send(['rooms'], 'Said', '{"n":1}', sender.socketId);
        await send(['rooms'], 'Said', '{"n":2}');
        await eventually(() => received.other.length === 2 && received.sender.length === 1, 'both events');
        assert.deepEqual(received.sender, [{ n: 2 }]);
    });
});

describe('private and presence channels', () => {
    test('a private channel with the app\'s signature is joined; a bad signature gets subscription_error 401 and the connection stays', async () => {
        const client = track(await openPusher(sidecar.port));
        assert.deepEqual((await subscribed(client, 'private-orders.1')).outcome, { ok: true, data: {} });
        const forger = track(await openPusher(sidecar.port, { signWith: { secret: 'guessed' } }));
        const refused = await subscribed(forger, 'private-orders.1');
        assert.equal(refused.outcome.ok, false);
        assert.equal(refused.outcome.error.status, 401);
        assert.equal(refused.outcome.error.type, 'AuthError');
        assert.equal(forger.pusher.connection.state, 'connected');
        const received = [];
        refused.bind('Secret', (data) => received.push(data));
        const control = (await subscribed(forger, 'public-after')).outcome;
        assert.deepEqual(control, { ok: true, data: {} });
        await send(['private-orders.1'], 'Secret', '{}');
        await new Promise((ok) => setTimeout(ok, 200));
        assert.deepEqual(received, []);
    });

    test('presence: members, one member_added per user, member_removed with the user\'s last connection', async () => {
        const ann = { user_id: 1, user_info: { name: 'Ann' } };
        const bob = { user_id: 2, user_info: { name: 'Bob' } };
        const first = track(await openPusher(sidecar.port, { member: ann }));
        const room = await subscribed(first, 'presence-room.1');
        assert.equal(room.members.count, 1);
        // pusher-js takes `me` from its own channel_data, as signed: the number stays a number.
        assert.deepEqual(room.members.me, { id: 1, info: { name: 'Ann' } });
        const added = [];
        const removed = [];
        room.bind('pusher:member_added', (member) => added.push(member));
        room.bind('pusher:member_removed', (member) => removed.push(member));

        const bobClient = await openPusher(sidecar.port, { member: bob });
        const bobRoom = await subscribed(bobClient, 'presence-room.1');
        assert.equal(bobRoom.members.count, 2);
        assert.deepEqual(bobRoom.members.get('1'), { id: '1', info: { name: 'Ann' } });
        // Ann's second tab: no second member.
        const annAgain = track(await openPusher(sidecar.port, { member: ann }));
        await subscribed(annAgain, 'presence-room.1');
        await eventually(() => added.length === 1, 'member_added for Bob');
        assert.deepEqual(added, [{ id: 2, info: { name: 'Bob' } }]);
        bobClient.close();
        await eventually(() => removed.length === 1, 'member_removed for Bob');
        assert.equal(removed[0].id, 2);
        assert.equal(room.members.count, 1);
    });
});

describe('cache channels', () => {
    test('a new subscriber gets the last event at once, or pusher:cache_miss; socket.io clients get it too', async () => {
        const raw = track(await openRaw(sidecar.port));
        raw.send({ event: 'pusher:subscribe', data: { channel: 'cache-prices', auth: '' } });
        await raw.next((m) => m.event === 'pusher_internal:subscription_succeeded');
        assert.deepEqual(await raw.next((m) => m.event === 'pusher:cache_miss'), { event: 'pusher:cache_miss', channel: 'cache-prices' });

        await send(['cache-prices'], 'Priced', '{"eur":1}');
        await send(['cache-prices'], 'Priced', '{"eur":2}');
        await raw.next((m) => m.event === 'Priced' && m.data.eur === 2);

        const late = track(await openPusher(sidecar.port));
        const received = [];
        const channel = late.pusher.subscribe('cache-prices');
        channel.bind('Priced', (data) => received.push(data));
        channel.bind('pusher:cache_miss', () => received.push('miss'));
        await eventually(() => received.length === 1, 'the last event');
        assert.deepEqual(received, [{ eur: 2 }]);

        const viaSocketIo = [];
        track(await openEcho(VARIANTS[1], {
            url: sidecar.url,
            setup: (e) => { e.channel('cache-prices').listen('.Priced', (data) => viaSocketIo.push(data)); },
        }));
        await eventually(() => viaSocketIo.length === 1, 'the last event over socket.io');
        assert.deepEqual(viaSocketIo, [{ eur: 2 }]);
    });
});

describe('client events', () => {
    test('relayed to the others in the channel with the sender\'s user_id, never back to the sender', async () => {
        const ann = track(await openPusher(sidecar.port, { member: { user_id: 11, user_info: null } }));
        const bob = track(await openPusher(sidecar.port, { member: { user_id: 12, user_info: null } }));
        const annRoom = await subscribed(ann, 'presence-typing.1');
        const bobRoom = await subscribed(bob, 'presence-typing.1');
        const seen = { ann: [], bob: [] };
        annRoom.bind('client-typing', (data, meta) => seen.ann.push({ data, meta }));
        bobRoom.bind('client-typing', (data, meta) => seen.bob.push({ data, meta }));
        assert.ok(annRoom.trigger('client-typing', { typing: true }));
        await eventually(() => seen.bob.length === 1, 'the whisper');
        assert.deepEqual(seen.bob[0], { data: { typing: true }, meta: { user_id: 11 } });
        await new Promise((ok) => setTimeout(ok, 200));
        assert.deepEqual(seen.ann, []);
    });

    test('on a public channel or from a non-member, refused with pusher:error', async () => {
        const raw = track(await openRaw(sidecar.port));
        raw.send({ event: 'pusher:subscribe', data: { channel: 'lobby', auth: '' } });
        await raw.next((m) => m.event === 'pusher_internal:subscription_succeeded');
        const from = raw.messages.length;
        raw.send({ event: 'client-hi', channel: 'lobby', data: {} });
        const publicRefusal = await raw.next((m) => m.event === 'pusher:error', from);
        assert.equal(publicRefusal.data.code, 4301);
        const next = raw.messages.length;
        raw.send({ event: 'client-hi', channel: 'private-not-mine', data: {} });
        const notMember = await raw.next((m) => m.event === 'pusher:error', next);
        assert.equal(notMember.data.code, 4009);
    });
});

describe('signing in', () => {
    test('a signed-in user receives their #server-to-user channel; nobody else may subscribe it', async () => {
        const ann = track(await openPusher(sidecar.port, { user: { id: '21', name: 'Ann' } }));
        ann.pusher.signin();
        await ann.pusher.user.signinDonePromise;
        assert.deepEqual(ann.pusher.user.user_data, { id: '21', name: 'Ann' });
        const received = [];
        ann.pusher.user.bind('Notice', (data) => received.push(data));
        await eventually(() => ann.pusher.user.serverToUserChannel?.subscribed, 'the user channel');

        const raw = track(await openRaw(sidecar.port));
        raw.send({ event: 'pusher:subscribe', data: { channel: '#server-to-user-21', auth: '' } });
        const refused = await raw.next((m) => m.event === 'pusher:subscription_error');
        assert.equal(refused.data.status, 403);

        // socket.io has no sign-in: its clients may not listen to any `#` channel.
        const eavesdropped = [];
        const echo = track(await openEcho(VARIANTS[1], {
            url: sidecar.url,
            setup: (e) => {
                e.channel('#server-to-user-21').listen('.Notice', (data) => eavesdropped.push(data));
                return { watcher: probed(e.channel('probe-21'), 'probe-21') };
            },
        }));
        await untilSubscribed([echo.watcher], sidecar.socket);

        await send(['#server-to-user-21'], 'Notice', '{"hello":"Ann"}');
        await eventually(() => received.length === 1, 'the user event');
        assert.deepEqual(received, [{ hello: 'Ann' }]);
        await afterEverythingSoFar([echo.watcher], sidecar.socket);
        assert.deepEqual(eavesdropped, []);
    });

    test('a sign-in with a bad signature is refused', async () => {
        const raw = track(await openRaw(sidecar.port));
        raw.send({ event: 'pusher:signin', data: { auth: sign('something else'), user_data: '{"id":"1"}' } });
        const refused = await raw.next((m) => m.event === 'pusher:error');
        assert.equal(refused.data.code, 4009);
        raw.send({ event: 'pusher:subscribe', data: { channel: '#server-to-user-1', auth: '' } });
        assert.equal((await raw.next((m) => m.event === 'pusher:subscription_error')).data.status, 403);
    });
});

describe('liveness', () => {
    test('pusher:ping gets pusher:pong, and a WebSocket ping gets a pong', async () => {
        const raw = track(await openRaw(sidecar.port));
        raw.send({ event: 'pusher:ping', data: {} });
        await raw.next((m) => m.event === 'pusher:pong');
        const pong = new Promise((ok) => raw.ws.once('pong', (data) => ok(data.toString())));
        raw.ws.ping('hello');
        assert.equal(await pong, 'hello');
    });

    test('a silent client is pinged; one that never answers is closed with 4201', async () => {
        const raw = await openRaw(sidecar.port);
        // The raw client answers nothing, not even the server's pings.
        await raw.next((m) => m.event === 'pusher:ping');
        assert.deepEqual(await raw.closed, { code: 4201, reason: 'Pong reply not received in time' });
    });

    test('a client that answers the pings stays', async () => {
        const raw = track(await openRaw(sidecar.port));
        raw.ws.on('message', (bytes) => {
            if (JSON.parse(bytes.toString()).event === 'pusher:ping') raw.send({ event: 'pusher:pong', data: {} });
        });
        await new Promise((ok) => setTimeout(ok, 3500));
        assert.ok(raw.messages.filter((m) => m.event === 'pusher:ping').length >= 2);
        assert.equal(raw.ws.readyState, raw.ws.OPEN);
    });
});

describe('bad input', () => {
    test('malformed JSON, unknown events, binary and over-size messages get pusher:error; the connection goes on', async () => {
        const raw = track(await openRaw(sidecar.port));
        const cases = [
            ['{"event":', null, /Invalid message format/],
            [JSON.stringify({ event: 'pusher:teleport', data: {} }), null, /Unknown event/],
            [JSON.stringify({ event: 'pusher:subscribe', data: { channel: 5 } }), null, /Invalid pusher:subscribe data/],
            [Buffer.from([1, 2, 3]), null, /Binary messages/],
            ['x'.repeat(5000), 4301, /5000 bytes refused: the limit is 2000/],
        ];
        for (const [message, code, text] of cases) {
            const from = raw.messages.length;
            raw.ws.send(message);
            const error = await raw.next((m) => m.event === 'pusher:error', from);
            assert.equal(error.data.code, code);
            assert.match(error.data.message, text);
        }
        const from = raw.messages.length;
        raw.send({ event: 'pusher:subscribe', data: { channel: 'after-garbage' } });
        await raw.next((m) => m.event === 'pusher_internal:subscription_succeeded', from);
        await send(['after-garbage'], 'Still', '{"ok":true}');
        const event = await raw.next((m) => m.event === 'Still', from);
        assert.deepEqual(event, { event: 'Still', channel: 'after-garbage', data: { ok: true } });
    });

    test('past 1,000 channels on one connection, a subscription is refused with LimitReached', async () => {
        const raw = track(await openRaw(sidecar.port));
        for (let n = 0; n < 1000; n += 1) raw.send({ event: 'pusher:subscribe', data: { channel: `many-${n}` } });
        raw.send({ event: 'pusher:subscribe', data: { channel: 'one-too-many' } });
        const refused = await raw.next((m) => m.event === 'pusher:subscription_error');
        assert.equal(refused.channel, 'one-too-many');
        assert.deepEqual([refused.data.type, refused.data.status], ['LimitReached', 4100]);
        assert.equal(raw.messages.filter((m) => m.event === 'pusher_internal:subscription_succeeded').length, 1000);
    });

    test('a client\'s close is answered with its own code', async () => {
        const raw = await openRaw(sidecar.port);
        raw.ws.close(3001, 'bye');
        assert.equal((await raw.closed).code, 3001);
    });

    test('an invalid channel name or signature format is refused on the channel', async () => {
        const raw = track(await openRaw(sidecar.port));
        raw.send({ event: 'pusher:subscribe', data: { channel: 'x'.repeat(201) } });
        assert.equal((await raw.next((m) => m.event === 'pusher:subscription_error')).data.status, 400);
        const from = raw.messages.length;
        raw.send({ event: 'pusher:subscribe', data: { channel: 'private-a', auth: 'no-colon' } });
        const refused = await raw.next((m) => m.event === 'pusher:subscription_error', from);
        assert.equal(refused.channel, 'private-a');
        assert.equal(refused.data.status, 401);
    });
});

test('stopping the sidecar closes Pusher clients with 4200 (reconnect shortly)', async () => {
    const dir = tempDir();
    const stopping = await startSidecar({ dir: dir.dir, args: APP_ARGS });
    try {
        const raw = await openRaw(stopping.port);
        const exit = stopping.stop();
        assert.equal((await raw.closed).code, 4200);
        assert.deepEqual(await exit, { code: 0, signal: null });
    } finally {
        dir.remove();
    }
});

test('in a Reverb project, `sidecast start` serves Echo configured for Reverb with nothing else changed', async () => {
    const project = tempDir();
    const port = await freePort();
    // What `php artisan install:broadcasting` / `reverb:install` writes.
    writeFileSync(join(project.dir, '.env'), [
        'BROADCAST_CONNECTION=reverb',
        'REVERB_APP_ID=482910',
        'REVERB_APP_KEY=kx0fyqrw3c6u9mvd2tje',
        'REVERB_APP_SECRET=q4jvuthm1ep0xk7nrswz',
        'REVERB_HOST="localhost"',
        `REVERB_PORT=${port}`,
        'REVERB_SCHEME=http',
        'REVERB_SERVER_HOST=127.0.0.1',
        `REVERB_SERVER_PORT=${port}`,
        'VITE_REVERB_APP_KEY="${REVERB_APP_KEY}"',
        '',
    ].join('\n'));
    const socket = join(project.dir, 'sidecast.sock');
    const sidecast = await startSidecastIn(project.dir, { env: { SIDECAST_SOCKET: socket } });
    const echo = new Echo({
        broadcaster: 'reverb',
        key: 'kx0fyqrw3c6u9mvd2tje',
        wsHost: '127.0.0.1',
        wsPort: port,
        wssPort: port,
        forceTLS: false,
        enabledTransports: ['ws', 'wss'],
        Pusher,
    });
    try {
        const received = [];
        const subscribedNow = new Promise((ok) => echo.channel('news').subscribed(ok));
        echo.channel('news').listen('.Published', (data) => received.push(data));
        await subscribedNow;
        await publish(socket, publishFrame({ channels: ['news'], event: 'Published', payload: '{"title":"hello"}' }));
        await eventually(() => received.length === 1, 'the event through Echo\'s reverb broadcaster');
        assert.deepEqual(received, [{ title: 'hello' }]);
        assert.match(echo.socketId(), /^\d+\.\d+$/);
    } finally {
        echo.disconnect();
        await sidecast.stop();
        project.remove();
    }
});

test('with REVERB_SCALING_ENABLED, sidecars started in Reverb projects share one Redis as one server; a user is terminated on every node', async () => {
    const redis = await startRedis();
    const projects = [tempDir(), tempDir()];
    const nodes = [];
    try {
        for (const project of projects) {
            const port = await freePort();
            writeFileSync(join(project.dir, '.env'), [
                'REVERB_APP_ID=482910', 'REVERB_APP_KEY=scaled-key', 'REVERB_APP_SECRET=scaled-secret',
                'REVERB_SERVER_HOST=127.0.0.1', `REVERB_SERVER_PORT=${port}`,
                'REVERB_SCALING_ENABLED=true', 'REDIS_HOST=127.0.0.1', 'REDIS_PASSWORD=null', `REDIS_PORT=${redis.port}`, '',
            ].join('\n'));
            const socket = join(project.dir, 'sidecast.sock');
            nodes.push(Object.assign(await startSidecastIn(project.dir, { env: { SIDECAST_SOCKET: socket } }), { port, socket }));
        }
        assert.match(nodes[0].output, new RegExp(`cluster=redis://127\\.0\\.0\\.1:${redis.port}`));
        const client = await openRaw(nodes[1].port, { path: '/app/scaled-key?protocol=7' });
        client.send({ event: 'pusher:subscribe', data: { channel: 'everywhere', auth: '' } });
        await client.next((m) => m.event === 'pusher_internal:subscription_succeeded');
        // Published on the other node, until the bus is up.
        for (const deadline = Date.now() + 10000; !client.messages.some((m) => m.event === 'Spread'); await sleep(100)) {
            assert.ok(Date.now() < deadline, 'the event crosses to the other node');
            await publish(nodes[0].socket, publishFrame({ channels: ['everywhere'], event: 'Spread', payload: '{"from":0}' }));
        }
        client.close();

        // terminate_connections asked of one node closes the user's connections on the other.
        const scaled = { key: 'scaled-key', secret: 'scaled-secret' };
        const user = await openRaw(nodes[1].port, { path: '/app/scaled-key?protocol=7' });
        const userData = JSON.stringify({ id: '7' });
        user.send({ event: 'pusher:signin', data: { auth: sign(`${user.socketId}::user::${userData}`, scaled), user_data: userData } });
        await user.next((m) => m.event === 'pusher:signin_success');
        const rest = new PusherRest({ appId: '482910', ...scaled, host: '127.0.0.1', port: String(nodes[0].port), useTLS: false });
        assert.equal((await rest.terminateUserConnections('7')).status, 200);
        const closed = await Promise.race([user.closed, sleep(5000).then(() => 'still open after 5 s')]);
        assert.deepEqual(closed, { code: 4009, reason: 'Connection terminated by the app' });
    } finally {
        for (const node of nodes) await node.stop();
        await redis.stop();
        for (const project of projects) project.remove();
    }
});
