// Private and presence channels, authorized by the Laravel app's own routes/channels.php
// callbacks; whispers; toOthers. The demo app signs users in with a session (browser style,
// cookie + CSRF token) or with a bearer token (Authorization header in Echo's auth.headers).

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { VARIANTS, afterEverythingSoFar, eventually, openEcho, probed, untilSubscribed } from './support/echo-clients.mjs';
import { freePort, startLaravel, startSidecar, stopAll, tempDir } from './support/processes.mjs';

// Stops whatever a failing test left running, so the file's process can end.
after(stopAll);

const scratch = tempDir();
let sidecar;
let laravel;
const open = [];

before(async () => {
    const appPort = await freePort();
    sidecar = await startSidecar({
        dir: scratch.dir,
        args: ['--auth-host', `http://127.0.0.1:${appPort}`],
        env: { SIDECAST_LOG: 'info,sidecast_socketio=debug' },
    });
    laravel = await startLaravel({ sidecar, extension: true, port: appPort, workers: 4 });
});

after(async () => {
    for (const client of open) client.close();
    await laravel?.stop();
    const exit = await sidecar?.stop();
    scratch.remove();
    assert.deepEqual(exit, { code: 0, signal: null }, 'sidecast is still running at the end and exits cleanly');
});

/** An Echo client signed in with user `id`'s bearer token. */
async function asUser(variant, id, setup) {
    const client = await openEcho(variant, {
        url: sidecar.url,
        auth: { headers: { Authorization: `Bearer token-${id}` } },
        setup,
    });
    open.push(client);
    return client;
}

/** Signs user `id` in like a browser: session cookie and CSRF token. */
async function browserSession(id) {
    const response = await fetch(`${laravel.url}/login/${id}`);
    assert.equal(response.status, 200);
    const { csrf } = await response.json();
    const cookie = response.headers.getSetCookie().map((line) => line.split(';')[0]).join('; ');
    return { csrf, cookie };
}

async function announce(channel, message, { socketId } = {}) {
    const query = new URLSearchParams({ channel, message, ...(socketId ? { to_others: '1' } : {}) });
    const response = await fetch(`${laravel.url}/announce?${query}`, { headers: socketId ? { 'X-Socket-ID': socketId } : {} });
    assert.equal(response.status, 200, await response.text());
}

function listenFor(list, echoChannel) {
    echoChannel.listen('.announcement', (data) => list.push(data.message));
    return echoChannel;
}

for (const variant of VARIANTS) {
    describe(`private channels, ${variant.name}`, () => {
        for (const signIn of ['bearer token', 'session cookie + CSRF token']) {
            test(`the authorized user receives; another user gets subscription_error 403 and nothing (${signIn})`, async () => {
                const owner = [];
                const other = [];
                const connect = async (id, received) => {
                    const setup = (echo) => ({ watcher: probed(listenFor(received, echo.private(`orders.${id === 2 ? 1 : id}`)), 'private-orders.1') });
                    if (signIn === 'bearer token') return asUser(variant, id, setup);
                    const { csrf, cookie } = await browserSession(id);
                    const client = await openEcho(variant, {
                        url: sidecar.url,
                        auth: { headers: { 'X-CSRF-TOKEN': csrf } },
                        extraHeaders: { Cookie: cookie },
                        setup,
                    });
                    open.push(client);
                    return client;
                };
                const ownerClient = await connect(1, owner);
                const otherClient = await connect(2, other);

                await untilSubscribed([ownerClient.watcher], sidecar.socket);
                await eventually(() => otherClient.errors.length > 0, 'subscription_error for the other user');
                assert.deepEqual(otherClient.errors, [{ channel: 'private-orders.1', status: 403 }]);

                await announce('private-orders.1', `for user 1 (${signIn})`);
                await eventually(() => owner.includes(`for user 1 (${signIn})`), 'the owner to receive');
                await afterEverythingSoFar([ownerClient.watcher], sidecar.socket);
                assert.deepEqual(other, []);
                assert.equal(otherClient.watcher.probes, 0, 'the refused client is not subscribed at all');
                ownerClient.close();
                otherClient.close();
            });
        }

        test('Laravel notifications reach Echo.private(\'App.Models.User.{id}\').notification()', async () => {
            const notifications = [];
            const client = await asUser(variant, 7, (echo) => ({
                watcher: probed(echo.private('App.Models.User.7').notification((n) => notifications.push(n)), 'private-App.Models.User.7'),
            }));
            await untilSubscribed([client.watcher], sidecar.socket);
            const response = await fetch(`${laravel.url}/notify/7?message=hello`);
            assert.equal(response.status, 200);
            await eventually(() => notifications.length === 1, 'the notification');
            assert.equal(notifications[0].message, 'hello');
            assert.equal(notifications[0].type, 'App\\Notifications\\Pinged');
            assert.match(notifications[0].id, /^[0-9a-f-]{36}$/);
            client.close();
        });
    });
}

/** Joins presence channel `chat.{room}` as user `id`, recording here/joining/leaving. */
async function joinChat(variant, id, room) {
    const seen = { here: [], joining: [], leaving: [], messages: [], whispers: [] };
    const client = await asUser(variant, id, (echo) => {
        const channel = echo.join(`${room}`)
            .here((users) => seen.here.push(users.map((u) => u.id)))
            .joining((user) => seen.joining.push(user.id))
            .leaving((user) => seen.leaving.push(user.id))
            .listenForWhisper('typing', (data) => seen.whispers.push(data));
        listenFor(seen.messages, channel);
        return { watcher: probed(channel, `presence-${room}`), channel };
    });
    return Object.assign(client, { seen, id });
}

for (const [index, variant] of VARIANTS.entries()) {
    describe(`presence channels, ${variant.name}`, () => {
        const room = `chat.${100 + index}`;

        test('here, joining and leaving, with a user\'s two tabs counted once', async () => {
            const ann = await joinChat(variant, 11, room);
            await eventually(() => ann.seen.here.length === 1, 'here for the first member');
            assert.deepEqual(ann.seen.here, [[11]]);

            const bobTab1 = await joinChat(variant, 12, room);
            await eventually(() => bobTab1.seen.here.length === 1, 'here for the second member');
            assert.deepEqual(bobTab1.seen.here, [[11, 12]]);
            await eventually(() => ann.seen.joining.length === 1, 'joining');
            assert.deepEqual(ann.seen.joining, [12]);

            const bobTab2 = await joinChat(variant, 12, room);
            await eventually(() => bobTab2.seen.here.length === 1, 'here for the second tab');
            assert.deepEqual(bobTab2.seen.here, [[11, 12]], 'one entry per user');

            // An event on the presence channel reaches every member.
            await announce(`presence-${room}`, 'to everyone here');
            for (const member of [ann, bobTab1, bobTab2]) {
                await eventually(() => member.seen.messages.includes('to everyone here'), `user ${member.id} to receive it`);
            }

            // One tab leaving (Echo's leave) is not the user leaving…
            bobTab1.echo.leave(room);
            await untilSubscribed([probed(bobTab1.echo.channel('marker-after-leave'), 'marker-after-leave')], sidecar.socket);
            await afterEverythingSoFar([ann.watcher], sidecar.socket);
            assert.deepEqual(ann.seen.joining, [12], 'the second tab was never announced');
            assert.deepEqual(ann.seen.leaving, []);

            // …the last tab disconnecting is.
            bobTab2.close();
            await eventually(() => ann.seen.leaving.length === 1, 'leaving on disconnect');
            assert.deepEqual(ann.seen.leaving, [12]);

            // And leave() of the last member announces it too.
            const carl = await joinChat(variant, 13, room);
            await eventually(() => carl.seen.here.length === 1, 'here for carl');
            carl.echo.leave(room);
            await eventually(() => ann.seen.leaving.includes(13), 'leaving on leave()');
            for (const client of [ann, bobTab1, carl]) client.close();
        });

        test('whispers reach the other members, not the sender, and never from outsiders or on public channels', async () => {
            const wRoom = `chat.${200 + index}`;
            const ann = await joinChat(variant, 21, wRoom);
            const bob = await joinChat(variant, 22, wRoom);
            await untilSubscribed([ann.watcher, bob.watcher], sidecar.socket);

            ann.channel.whisper('typing', { name: 'Ann' });
            await eventually(() => bob.seen.whispers.length === 1, 'the whisper');
            assert.deepEqual(bob.seen.whispers, [{ name: 'Ann' }]);

            // A whisper on a public channel both are subscribed to, and one from an outsider
            // (authorized for nothing here).
            const publicListeners = [];
            const publicWatchers = [ann, bob].map((member) => {
                const heard = [];
                publicListeners.push(heard);
                const channel = member.echo.channel(`public-${index}`).listenForWhisper('typing', (data) => heard.push(data));
                return probed(channel, `public-${index}`);
            });
            await untilSubscribed(publicWatchers, sidecar.socket);
            ann.socket.emit('client event', { channel: `public-${index}`, event: 'client-typing', data: { name: 'public' } });
            const outsider = await asUser(variant, 23);
            outsider.socket.emit('client event', { channel: `presence-${wRoom}`, event: 'client-typing', data: { name: 'Eve' } });
            // Each socket's events apply in order: once a subscription sent after a whisper is
            // in effect, the whisper was handled; a probe then flushes what was delivered.
            await untilSubscribed([probed(outsider.echo.channel(`outsider-marker-${index}`), `outsider-marker-${index}`)], sidecar.socket);
            await untilSubscribed([probed(ann.echo.channel(`ann-marker-${index}`), `ann-marker-${index}`)], sidecar.socket);
            await afterEverythingSoFar([ann.watcher, bob.watcher, ...publicWatchers], sidecar.socket);

            assert.deepEqual(bob.seen.whispers, [{ name: 'Ann' }], 'nothing from the outsider');
            assert.deepEqual(ann.seen.whispers, [], 'not echoed to the sender, nothing from the outsider');
            assert.deepEqual(publicListeners, [[], []], 'no whispers on public channels');
            for (const client of [ann, bob, outsider]) client.close();
        });

        test('toOthers() on a presence channel leaves out exactly the sender', async () => {
            const tRoom = `chat.${300 + index}`;
            const ann = await joinChat(variant, 31, tRoom);
            const bob = await joinChat(variant, 32, tRoom);
            await untilSubscribed([ann.watcher, bob.watcher], sidecar.socket);
            await announce(`presence-${tRoom}`, 'not for ann', { socketId: ann.echo.socketId() });
            await eventually(() => bob.seen.messages.includes('not for ann'), 'bob to receive it');
            await afterEverythingSoFar([ann.watcher], sidecar.socket);
            assert.deepEqual(ann.seen.messages, []);
            ann.close();
            bob.close();
        });
    });
}

describe('presence under concurrency, with the app answering on 4 workers', () => {
    const USERS = 50;
    const ROUNDS = 4;

    for (let round = 1; round <= ROUNDS; round++) {
        test(`round ${round}: ${USERS} users join at once, a late joiner sees all of them; all leave at once, a fresh joiner sees only itself`, async () => {
            const room = `chat.crowd-${round}`;
            const ids = Array.from({ length: USERS }, (_, i) => 100 + i);
            const crowd = await Promise.all(ids.map((id, i) => joinChat(VARIANTS[i % 2], id, room)));
            await untilSubscribed(crowd.map((c) => c.watcher), sidecar.socket);

            const late = await joinChat(VARIANTS[round % 2], 190, room);
            await eventually(() => late.seen.here.length === 1, 'here for the late joiner');
            assert.deepEqual([...late.seen.here[0]].sort((a, b) => a - b), [...ids, 190]);
            late.close();

            for (const client of crowd) client.close();
            // Everyone has gone once a watcher of the channel has seen all of them leave.
            const watcher = await joinChat(VARIANTS[0], 191, room);
            await eventually(() => watcher.seen.here.length === 1, 'here for the watcher');
            const present = new Set(watcher.seen.here[0]);
            await eventually(() => [...present].every((id) => id === 191 || watcher.seen.leaving.includes(id)), 'every crowd member to leave');
            // The watcher leaves too, and is known to have left once a later subscription of
            // its socket is in effect.
            watcher.echo.leave(room);
            await untilSubscribed([probed(watcher.echo.channel(`crowd-marker-${round}`), `crowd-marker-${round}`)], sidecar.socket);
            watcher.close();

            const fresh = await joinChat(VARIANTS[1], 192, room);
            await eventually(() => fresh.seen.here.length === 1, 'here for the fresh joiner');
            assert.deepEqual(fresh.seen.here, [[192]]);
            fresh.close();
        });
    }
});

describe('ordering of a socket\'s subscribe, unsubscribe and disconnect', () => {
    test('subscribe then unsubscribe in quick succession leaves no member behind', async () => {
        for (const [index, variant] of VARIANTS.entries()) {
            const room = `chat.quick-${index}`;
            const quitter = await asUser(variant, 40 + index, (echo) => {
                echo.join(room);
                echo.leave(room);
                return { marker: probed(echo.channel(`quick-marker-${index}`), `quick-marker-${index}`) };
            });
            // The marker subscription was sent after the leave: once it is in effect, so is the
            // leave, although the join waited for the app's answer.
            await untilSubscribed([quitter.marker], sidecar.socket);
            const observer = await joinChat(variant, 45 + index, room);
            await eventually(() => observer.seen.here.length === 1, 'here for the observer');
            assert.deepEqual(observer.seen.here, [[45 + index]]);
            quitter.close();
            observer.close();
        }
    });

    test('a client that disconnects while the app is still authorizing it never becomes a member', async () => {
        const room = 'slow-chat.1';
        const leaver = await asUser(VARIANTS[1], 50, (echo) => { echo.join(room); });
        // The app takes 600 ms to answer for this channel; disconnect long before that.
        leaver.close();
        // Gone while the app was asked, or (on a busy machine) before the subscription was
        // even handled: either way it is not subscribed, and says so.
        await eventually(() => /disconnected (while being authorized|before its subscription was handled); not subscribed/.test(sidecar.output),
            'the sidecar to drop the subscription of the client that left', 15000);
        const observer = await joinChat(VARIANTS[0], 51, room);
        await eventually(() => observer.seen.here.length === 1, 'here for the observer', 15000);
        assert.deepEqual(observer.seen.here, [[51]]);
        observer.close();
    });
});

describe('bad input from clients', () => {
    test('malformed subscribes, unknown events and duplicates neither disturb others nor leak members', async () => {
        const room = 'chat.garbage';
        const bystander = await joinChat(VARIANTS[1], 60, room);
        await untilSubscribed([bystander.watcher], sidecar.socket);

        const messy = await asUser(VARIANTS[1], 61, (echo) => ({ channel: echo.join(room) }));
        const raw = messy.socket;
        raw.emit('subscribe');
        raw.emit('subscribe', 'not an object');
        raw.emit('subscribe', { channel: 5 });
        raw.emit('subscribe', { channel: '' });
        raw.emit('subscribe', { channel: `presence-${'x'.repeat(300)}` });
        raw.emit('unsubscribe', { nope: true });
        raw.emit('no such event', { channel: `presence-${room}` });
        raw.emit('client event', 'not json');
        raw.emit('client event', { channel: `presence-${room}`, event: 'client-typing', data: 'y'.repeat(20000) });
        // Echo 1.x resends subscribe after a reconnect; the same socket twice is one member.
        raw.emit('subscribe', { channel: `presence-${room}`, auth: { headers: { Authorization: 'Bearer token-61' } } });

        const marker = probed(messy.echo.channel('garbage-marker'), 'garbage-marker');
        await untilSubscribed([marker], sidecar.socket);
        await afterEverythingSoFar([bystander.watcher], sidecar.socket);
        assert.deepEqual(bystander.seen.joining, [61], 'user 61 was announced once');
        assert.deepEqual(bystander.seen.whispers, [], 'the oversized whisper was dropped');

        const observer = await joinChat(VARIANTS[0], 62, room);
        await eventually(() => observer.seen.here.length === 1, 'here for the observer');
        assert.deepEqual([...observer.seen.here[0]].sort(), [60, 61, 62]);

        // The messy socket still works: its whisper of normal size goes through.
        messy.channel.whisper('typing', { ok: true });
        await eventually(() => bystander.seen.whispers.length === 1, 'a valid whisper afterwards');

        messy.close();
        await eventually(() => bystander.seen.leaving.includes(61), 'user 61 to leave on disconnect');
        bystander.close();
        observer.close();
    });

    test('a message over the size limit closes only that client', async () => {
        const room = 'chat.oversized';
        const bystander = await joinChat(VARIANTS[0], 70, room);
        const big = await joinChat(VARIANTS[1], 71, room);
        await untilSubscribed([bystander.watcher, big.watcher], sidecar.socket);
        const closed = new Promise((ok) => big.socket.once('disconnect', ok));
        big.socket.emit('client event', { channel: `presence-${room}`, event: 'client-typing', data: 'z'.repeat(200_000) });
        await closed;
        await eventually(() => bystander.seen.leaving.includes(71), 'the oversized client to be gone');
        await announce(`presence-${room}`, 'still here');
        await eventually(() => bystander.seen.messages.includes('still here'), 'the bystander still receives');
        bystander.close();
    });
});

describe('whisper rate limit', () => {
    test('a client whispering faster than its budget has the excess dropped', async () => {
        const strict = await startSidecar({
            dir: scratch.dir,
            socket: `${scratch.dir}/strict.sock`,
            args: ['--auth-host', laravel.url, '--client-events-per-second', '1', '--client-event-burst', '5'],
        });
        const join = async (id) => {
            const seen = [];
            const client = await openEcho(VARIANTS[1], {
                url: strict.url,
                auth: { headers: { Authorization: `Bearer token-${id}` } },
                setup: (echo) => {
                    const channel = echo.private('orders.1');
                    if (id === 1) channel.listenForWhisper('typing', (data) => seen.push(data.n));
                    return { channel, watcher: probed(channel, 'private-orders.1') };
                },
            });
            return Object.assign(client, { seen });
        };
        // User 1 is authorized for private-orders.1 on two sockets: one whispers, one listens.
        const listener = await join(1);
        const talker = await join(1);
        await untilSubscribed([listener.watcher, talker.watcher], strict.socket);

        for (let n = 0; n < 50; n++) talker.channel.whisper('typing', { n });
        const marker = probed(talker.echo.channel('rate-marker'), 'rate-marker');
        await untilSubscribed([marker], strict.socket);
        await afterEverythingSoFar([listener.watcher], strict.socket);

        // The burst of 5 passes, in order; the rest of the 50, sent within moments, mostly not.
        assert.deepEqual(listener.seen.slice(0, 5), [0, 1, 2, 3, 4]);
        assert.ok(listener.seen.length < 15, `${listener.seen.length} of 50 whispers got through`);
        listener.close();
        talker.close();
        assert.deepEqual(await strict.stop(), { code: 0, signal: null });
    });
});
