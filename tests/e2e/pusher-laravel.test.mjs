// Echo's `reverb` broadcaster (laravel-echo 2 + pusher-js 8) against the sidecar and the demo
// Laravel app on the `sidecast` driver, beside Echo socket.io clients of the same app: the
// app's /broadcasting/auth signs for Pusher sockets and answers socket.io ones as before, so
// one user is one presence member through both, whispers and toOthers cross protocols, and
// encrypted channels are sealed by the driver and opened by pusher-js. What the driver publishes
// goes through the extension, and once more through the plain-PHP transport of a second copy of
// the app, where the transport matters (toOthers, encrypted payloads).

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';

import Echo from 'laravel-echo';
import Pusher from 'pusher-js';

import { VARIANTS, eventually, openEcho } from './support/echo-clients.mjs';
import { freePort, startLaravel, startSidecar, stopAll, tempDir } from './support/processes.mjs';
import { APP, APP_ARGS } from './support/pusher-clients.mjs';

after(stopAll);

const scratch = tempDir();
let sidecar;
/** The app with the extension loaded, and the same app publishing in plain PHP. */
let laravel;
let plainPhp;
/** What closes each client opened. */
const closers = [];

before(async () => {
    const appPort = await freePort();
    sidecar = await startSidecar({ dir: scratch.dir, args: [...APP_ARGS, '--auth-host', `http://127.0.0.1:${appPort}`] });
    const env = {
        SIDECAST_APP_ID: APP.id,
        SIDECAST_APP_KEY: APP.key,
        SIDECAST_APP_SECRET: APP.secret,
        SIDECAST_ENCRYPTION_MASTER_KEY_BASE64: randomBytes(32).toString('base64'),
    };
    laravel = await startLaravel({ sidecar, extension: true, port: appPort, workers: 4, env });
    plainPhp = await startLaravel({ sidecar, extension: false, port: await freePort(), env });
});

after(async () => {
    for (const close of closers) close();
    await laravel?.stop();
    await plainPhp?.stop();
    const exit = await sidecar?.stop();
    scratch.remove();
    assert.deepEqual(exit, { code: 0, signal: null }, 'sidecast exits cleanly');
});

/** Echo with `broadcaster: 'reverb'`, signed in as user `id` with a bearer token. */
async function reverbAs(id) {
    const echo = new Echo({
        broadcaster: 'reverb',
        key: APP.key,
        wsHost: '127.0.0.1',
        wsPort: sidecar.port,
        forceTLS: false,
        enabledTransports: ['ws'],
        authEndpoint: `${laravel.url}/broadcasting/auth`,
        auth: { headers: { Authorization: `Bearer token-${id}` } },
        Pusher,
    });
    closers.push(() => echo.disconnect());
    await eventually(() => echo.connector.pusher.connection.state === 'connected', 'Echo (reverb) to connect');
    return echo;
}

/** Echo over socket.io, signed in as user `id`. */
async function socketIoAs(id) {
    const client = await openEcho(VARIANTS[1], { url: sidecar.url, auth: { headers: { Authorization: `Bearer token-${id}` } } });
    closers.push(() => client.close());
    return client.echo;
}

const subscribed = (channel) => new Promise((ok) => channel.subscribed(ok));

async function announce(channel, message, socketId, app = laravel) {
    const query = new URLSearchParams({ channel, message, ...(socketId ? { to_others: '1' } : {}) });
    const response = await fetch(`${app.url}/announce?${query}`, { headers: socketId ? { 'X-Socket-ID': socketId } : {} });
    assert.equal(response.status, 200, await response.text());
}

describe('private channels through the app\'s /broadcasting/auth', () => {
    test('the owner receives; another user\'s channel fires .error() with 403', async () => {
        const echo = await reverbAs(7);
        const received = [];
        const own = echo.private('orders.7').listen('.announcement', (data) => received.push(data.message));
        await subscribed(own);
        const refusal = await new Promise((ok) => echo.private('orders.8').error(ok));
        assert.equal(refusal.status, 403);

        await announce('private-orders.7', 'shipped');
        await eventually(() => received.length === 1, 'the announcement');
        assert.deepEqual(received, ['shipped']);
    });

    test('toOthers leaves out the Pusher socket whose request sent it, with the extension and in plain PHP', async () => {
        const [sender, other] = [await reverbAs(7), await reverbAs(7)];
        const heard = { sender: [], other: [] };
        await subscribed(sender.private('orders.7').listen('.announcement', (d) => heard.sender.push(d.message)));
        await subscribed(other.private('orders.7').listen('.announcement', (d) => heard.other.push(d.message)));
        for (const [app, how] of [[laravel, 'extension'], [plainPhp, 'plain PHP']]) {
            await announce('private-orders.7', `not to me (${how})`, sender.socketId(), app);
            await announce('private-orders.7', `to all (${how})`, null, app);
        }
        await eventually(() => heard.other.length === 4 && heard.sender.length === 2, 'every announcement');
        assert.deepEqual(heard.sender, ['to all (extension)', 'to all (plain PHP)']);
    });

    test('an encrypted channel\'s payload is sealed by the driver and opened by pusher-js, with the extension and in plain PHP', async () => {
        const echo = await reverbAs(7);
        const received = [];
        const secret = echo.encryptedPrivate('secret.7').listen('.announcement', (data) => received.push(data.message));
        await subscribed(secret);
        await announce('private-encrypted-secret.7', 'for your eyes only');
        await announce('private-encrypted-secret.7', 'sealed in plain PHP', null, plainPhp);
        await eventually(() => received.length === 2, 'the decrypted announcements');
        assert.deepEqual(received, ['for your eyes only', 'sealed in plain PHP']);
    });
});

describe('one user, two protocols', () => {
    test('present through pusher-js and socket.io at once, a user is one member; whispers cross', async () => {
        const bob = await reverbAs(2);
        const joined = [];
        const left = [];
        const bobRoom = bob.join('chat.5').joining((user) => joined.push(user)).leaving((user) => left.push(user));
        const whispersToBob = [];
        bobRoom.listenForWhisper('typing', (data) => whispersToBob.push(data));
        await subscribed(bobRoom);

        const annSocketIo = await socketIoAs(1);
        const whispersToAnn = [];
        const annViaSocketIo = annSocketIo.join('chat.5').listenForWhisper('typing', (data) => whispersToAnn.push(data));
        await eventually(() => joined.length === 1, 'Ann joining');
        const annPusher = await reverbAs(1);
        const here = await new Promise((ok) => annPusher.join('chat.5').here(ok));
        assert.deepEqual(here.map((user) => user.id).sort(), [1, 2], 'Ann once, Bob once');
        assert.deepEqual(joined, [{ id: 1, name: 'User 1' }]);

        bobRoom.whisper('typing', { from: 'Bob' });
        await eventually(() => whispersToAnn.length === 1, 'Bob\'s whisper on socket.io');
        annViaSocketIo.whisper('typing', { from: 'Ann' });
        await eventually(() => whispersToBob.length === 1, 'Ann\'s whisper on pusher-js');
        assert.deepEqual(whispersToBob, [{ from: 'Ann' }]);

        annSocketIo.disconnect();
        annPusher.disconnect();
        await eventually(() => left.length === 1, 'Ann leaving once');
        assert.deepEqual(left, [{ id: 1, name: 'User 1' }]);
    });
});
