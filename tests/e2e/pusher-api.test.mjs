// Pusher's HTTP API on the sidecar, through the npm `pusher` REST client (a third-party
// implementation of the request signing): publishing to pusher-js and socket.io clients alike,
// batches, channel queries, users, terminating a user's connections, and every refusal.

import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { after, before, describe, test } from 'node:test';

import PusherRest from 'pusher';

import { VARIANTS, eventually, openEcho, probed, untilSubscribed } from './support/echo-clients.mjs';
import { startSidecar, stopAll, tempDir } from './support/processes.mjs';
import { APP, APP_ARGS, openPusher, openRaw, sign, subscribed } from './support/pusher-clients.mjs';

after(stopAll);

const scratch = tempDir();
let sidecar;
const open = [];
const track = (client) => { open.push(client); return client; };

before(async () => {
    sidecar = await startSidecar({ dir: scratch.dir, args: APP_ARGS });
});

after(async () => {
    for (const client of open) client.close();
    const exit = await sidecar?.stop();
    scratch.remove();
    assert.deepEqual(exit, { code: 0, signal: null }, 'sidecast exits cleanly');
});

describe('the HTTP API', () => {
    const rest = (secret = APP.secret) => new PusherRest({ appId: APP.id, key: APP.key, secret, host: '127.0.0.1', port: String(sidecar.port), useTLS: false });

    test('trigger and triggerBatch reach pusher-js and socket.io clients; socket_id leaves one out', async () => {
        const [sender, other] = [track(await openPusher(sidecar.port)), track(await openPusher(sidecar.port))];
        const heard = { sender: [], other: [], echo: [] };
        (await subscribed(sender, 'api-news')).bind('Posted', (data) => heard.sender.push(data));
        (await subscribed(other, 'api-news')).bind('Posted', (data) => heard.other.push(data));
        const echo = track(await openEcho(VARIANTS[0], {
            url: sidecar.url,
            setup: (e) => ({ watcher: probed(e.channel('api-news').listen('.Posted', (data) => heard.echo.push(data)), 'api-news') }),
        }));
        await untilSubscribed([echo.watcher], sidecar.socket);

        const response = await rest().trigger(['api-news', 'nobody-here'], 'Posted', { n: 1 }, { socket_id: sender.socketId });
        assert.equal(response.status, 200);
        assert.deepEqual(await response.json(), {});
        const batch = await rest().triggerBatch([
            { channel: 'api-news', name: 'Posted', data: { n: 2 } },
            { channel: 'api-news', name: 'Posted', data: 'plain text' },
        ]);
        assert.deepEqual(await batch.json(), {});
        await eventually(() => heard.other.length === 3 && heard.echo.length === 3 && heard.sender.length === 2, 'every event');
        assert.deepEqual(heard.other, [{ n: 1 }, { n: 2 }, 'plain text']);
        assert.deepEqual(heard.echo, [{ n: 1 }, { n: 2 }, 'plain text']);
        assert.deepEqual(heard.sender, [{ n: 2 }, 'plain text']);
    });

    test('channel queries answer in Pusher\'s shapes', async () => {
        const member = { user_id: 31, user_info: { name: 'Cy' } };
        const client = track(await openPusher(sidecar.port, { member }));
        await subscribed(client, 'presence-api.1');
        const get = async (path, params = {}) => {
            const response = await rest().get({ path, params });
            assert.equal(response.status, 200);
            return response.json();
        };
        assert.deepEqual(await get('/channels', { filter_by_prefix: 'presence-api', info: 'user_count' }),
            { channels: { 'presence-api.1': { user_count: 1 } } });
        assert.deepEqual(await get('/channels/presence-api.1', { info: 'user_count,subscription_count' }),
            { occupied: true, user_count: 1, subscription_count: 1 });
        assert.deepEqual(await get('/channels/presence-api.1/users'), { users: [{ id: '31' }] });
        assert.deepEqual(await get('/channels/empty-one'), { occupied: false });

        // Asked for with an event, the channels' counts come back once it is published.
        const triggered = await rest().trigger(['presence-api.1', 'empty-one'], 'Counted', {}, { info: 'user_count,subscription_count' });
        assert.deepEqual(await triggered.json(), {
            channels: { 'presence-api.1': { user_count: 1, subscription_count: 1 }, 'empty-one': { subscription_count: 0 } },
        });
        const batch = await rest().triggerBatch([
            { channel: 'presence-api.1', name: 'Counted', data: {}, info: 'subscription_count' },
            { channel: 'empty-one', name: 'Counted', data: {} },
        ]);
        assert.deepEqual(await batch.json(), { batch: [{ subscription_count: 1 }, {}] });
    });

    test('sendToUser reaches the signed-in user', async () => {
        const user = track(await openPusher(sidecar.port, { user: { id: '41' } }));
        user.pusher.signin();
        await user.pusher.user.signinDonePromise;
        const received = [];
        user.pusher.user.bind('Direct', (data) => received.push(data));
        await eventually(() => user.pusher.user.serverToUserChannel?.subscribed, 'the user channel');
        assert.deepEqual(await (await rest().sendToUser('41', 'Direct', { hi: 41 })).json(), {});
        await eventually(() => received.length === 1, 'the user event');
        assert.deepEqual(received, [{ hi: 41 }]);

    });

    test('terminateUserConnections closes every connection signed in as that user with 4009, and no other', async () => {
        // Raw clients: pusher-js stops on 4009 too, but its Node build then keeps a 30 s timer.
        const signedInAs = async (id) => {
            const raw = await openRaw(sidecar.port);
            const userData = JSON.stringify({ id });
            raw.send({ event: 'pusher:signin', data: { auth: sign(`${raw.socketId}::user::${userData}`), user_data: userData } });
            await raw.next((m) => m.event === 'pusher:signin_success');
            return raw;
        };
        const [first, second, other] = [await signedInAs('51'), await signedInAs('51'), track(await signedInAs('52'))];
        const response = await rest().terminateUserConnections('51');
        assert.deepEqual([response.status, await response.json()], [200, {}]);
        for (const raw of [first, second]) {
            assert.deepEqual(await raw.closed, { code: 4009, reason: 'Connection terminated by the app' });
        }
        assert.equal(other.ws.readyState, other.ws.OPEN);
    });

    test('a wrong secret, a tampered body, a stale timestamp or the public key alone publish nothing', async () => {
        const received = [];
        const watcher = track(await openPusher(sidecar.port));
        (await subscribed(watcher, 'guarded-news')).bind('Forged', (data) => received.push(data));

        await assert.rejects(rest('guessed').trigger('guarded-news', 'Forged', {}), (error) => error.status === 401);

        const body = JSON.stringify({ name: 'Forged', channel: 'guarded-news', data: '{}' });
        const signedUrl = (text, timestamp) => {
            const md5 = createHash('md5').update(text).digest('hex');
            const params = `auth_key=${APP.key}&auth_timestamp=${timestamp}&auth_version=1.0&body_md5=${md5}`;
            const signature = createHmac('sha256', APP.secret).update(`POST\n/apps/${APP.id}/events\n${params}`).digest('hex');
            return `${sidecar.url}/apps/${APP.id}/events?${params}&auth_signature=${signature}`;
        };
        const now = Math.floor(Date.now() / 1000);
        const post = (url, text) => fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: text });
        const tampered = await post(signedUrl(body, now), body.replace('{}', '{"x":1}'));
        assert.equal(tampered.status, 401);
        assert.match((await tampered.json()).error, /body_md5/);
        const stale = await post(signedUrl(body, now - 700), body);
        assert.equal(stale.status, 401);
        assert.match((await stale.json()).error, /more than 600 s/);
        const keyOnly = await post(`${sidecar.url}/apps/${APP.id}/events?auth_key=${APP.key}`, body);
        assert.equal(keyOnly.status, 403);
        const control = await post(signedUrl(body, now), body);
        assert.equal(control.status, 200, 'the same request, signed and fresh, is accepted');
        await eventually(() => received.length === 1, 'the one accepted event');
    });
});

test('with a path (REVERB_SERVER_PATH), clients and the API are served under it, signed without it', async () => {
    const dir = tempDir();
    const prefixed = await startSidecar({ dir: dir.dir, args: APP_ARGS, env: { REVERB_SERVER_PATH: '/realtime' } });
    try {
        const received = [];
        const client = await openRaw(prefixed.port, { path: `/realtime/app/${APP.key}?protocol=7` });
        client.send({ event: 'pusher:subscribe', data: { channel: 'under-path', auth: '' } });
        await client.next((m) => m.event === 'pusher_internal:subscription_succeeded');
        client.ws.on('message', (bytes) => received.push(JSON.parse(bytes.toString())));
        assert.equal((await fetch(`${prefixed.url}/app/${APP.key}`)).status, 404, 'not without the path');

        // pusher-http-php signs /apps/… and sends it under its `path` option.
        const body = JSON.stringify({ name: 'Routed', channel: 'under-path', data: '{"ok":1}' });
        const params = `auth_key=${APP.key}&auth_timestamp=${Math.floor(Date.now() / 1000)}&auth_version=1.0&body_md5=${createHash('md5').update(body).digest('hex')}`;
        const signature = createHmac('sha256', APP.secret).update(`POST\n/apps/${APP.id}/events\n${params}`).digest('hex');
        const response = await fetch(`${prefixed.url}/realtime/apps/${APP.id}/events?${params}&auth_signature=${signature}`, {
            method: 'POST', headers: { 'Content-Type': 'application/json' }, body,
        });
        assert.equal(response.status, 200, await response.text());
        await eventually(() => received.some((m) => m.event === 'Routed'), 'the event under the path');
        client.close();
    } finally {
        await prefixed.stop();
        dir.remove();
    }
});
