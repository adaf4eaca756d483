// Lifecycle events as Pusher's webhooks (docs/lifecycle-events.md), to a receiver this test
// runs and to the package's own webhook route (which turns them into Laravel events): Echo clients join and leave public and presence channels and whisper, and the
// receiver gets exactly the expected events, in order, signed with the app's secret — nothing
// for a page reload within the grace period, member_removed and channel_vacated only after it;
// events of one moment come in one request; a receiver that answers 500 gets them again once
// it recovers; a sidecar that stops tells who was still there.

import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';

import { startAuthApp } from './support/auth-app.mjs';
import { VARIANTS, eventually, openEcho } from './support/echo-clients.mjs';
import { scrape } from './support/metrics.mjs';
import { ROOT, freePort, sleep, startProcess, startSidecar, stopAll, tempDir } from './support/processes.mjs';
import { APP, APP_ARGS, openPusher, subscribed } from './support/pusher-clients.mjs';
import { startReceiver } from './support/webhook-receiver.mjs';

after(stopAll);

const GRACE_MS = 1000;

/** A connected Echo 2 client as `user`, joined to presence `room`. */
function joinAs(url, user, room) {
    return openEcho(VARIANTS[1], {
        url,
        auth: { headers: { 'X-User': user } },
        setup: (echo) => ({ presence: echo.join(room) }),
    });
}

/** The package's own webhook route (WebhookController) under `php -S`, logging what it dispatches. */
async function startLaravelReceiver(dir) {
    const port = await freePort();
    const log = join(dir, 'dispatched.jsonl');
    const server = startProcess('php', ['-S', `127.0.0.1:${port}`, join(ROOT, 'tests/e2e/fixtures/webhook-receiver.php')], {
        env: { SIDECAST_APP_KEY: APP.key, SIDECAST_APP_SECRET: APP.secret, RECEIVED_LOG: log },
    });
    await server.waitForOutput('Development Server');
    return Object.assign(server, {
        url: `http://127.0.0.1:${port}/sidecast/webhooks`,
        dispatched: () => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').map((line) => JSON.parse(line)) : []),
    });
}

const names = (events) => events.map((e) => [e.name, e.channel, e.user_id].filter(Boolean).join(' '));

test('presence, reloads, leaves and client events reach the receiver, signed and batched', async () => {
    const scratch = tempDir();
    const app = await startAuthApp();
    const receiver = await startReceiver();
    const laravel = await startLaravelReceiver(scratch.dir);
    const adminPort = await freePort();
    const sidecar = await startSidecar({
        dir: scratch.dir,
        args: [...APP_ARGS, '--auth-host', app.url, '--webhook-url', `${receiver.url},${laravel.url}`,
            '--lifecycle-grace', String(GRACE_MS / 1000), '--lifecycle-client-events', 'presence-', '--admin-port', String(adminPort)],
    });
    try {
        // Two tabs of user 7, then user 9: the room is occupied once, each user added once.
        const tab1 = await joinAs(sidecar.url, '7', 'lobby');
        const tab2 = await joinAs(sidecar.url, '7', 'lobby');
        const other = await joinAs(sidecar.url, '9', 'lobby');
        await eventually(() => names(receiver.delivered()).length === 3, 'three events');
        assert.deepEqual(names(receiver.delivered()), ['channel_occupied presence-lobby', 'member_added presence-lobby 7', 'member_added presence-lobby 9']);

        // Every request is Pusher's: key and signature of the body with the app's secret.
        for (const request of receiver.requests) {
            assert.equal(request.headers['x-pusher-key'], APP.key);
            assert.equal(request.headers['x-pusher-signature'], createHmac('sha256', APP.secret).update(request.body).digest('hex'));
            assert.equal(request.headers['content-type'], 'application/json');
            assert.ok(Number.isInteger(JSON.parse(request.body).time_ms));
        }
        assert.ok(receiver.requests.some((r) => JSON.parse(r.body).events.length > 1), 'events of one moment share a request');

        // A client event on the presence channel, with its sender's socket and user.
        other.presence.whisper('typing', { typing: true });
        await eventually(() => receiver.delivered().some((e) => e.name === 'client_event'), 'the client event');
        const whisper = receiver.delivered().find((e) => e.name === 'client_event');
        assert.deepEqual(whisper, {
            name: 'client_event', channel: 'presence-lobby', event: 'client-typing',
            data: '{"typing":true}', socket_id: other.socket.id, user_id: '9',
        });

        // Both of user 7's tabs reload within the grace period: nothing for the app.
        const before = receiver.delivered().length;
        tab1.close();
        tab2.close();
        const back1 = await joinAs(sidecar.url, '7', 'lobby');
        const back2 = await joinAs(sidecar.url, '7', 'lobby');
        await sleep(GRACE_MS * 2);
        assert.deepEqual(receiver.delivered().slice(before), [], 'a reload is not a leave');

        // User 9 leaves for good: removed after the grace period, not before.
        const left = Date.now();
        other.close();
        await eventually(() => receiver.delivered().length > before, 'member_removed', GRACE_MS * 5);
        const removed = receiver.requests.at(-1);
        assert.ok(removed.at - left >= GRACE_MS - 50, `member_removed after the grace period (${removed.at - left} ms)`);
        assert.deepEqual(names(receiver.delivered().slice(before)), ['member_removed presence-lobby 9']);

        // The receiver fails twice, then recovers: the same request arrives a third time.
        receiver.failing = 2;
        back1.close();
        back2.close();
        await eventually(() => names(receiver.delivered()).includes('channel_vacated presence-lobby'), 'the room vacated, retried', 15000);
        const last = receiver.requests.slice(-3);
        assert.deepEqual(last.map((r) => r.status), [500, 500, 200]);
        assert.equal(new Set(last.map((r) => r.body)).size, 1, 'the same request, retried');
        assert.deepEqual(names(JSON.parse(last[2].body).events), ['member_removed presence-lobby 7', 'channel_vacated presence-lobby']);

        const metrics = await scrape(`http://127.0.0.1:${adminPort}/metrics`);
        assert.equal(metrics['sidecast_webhook_failed_requests_total'], 2);
        assert.equal(metrics['sidecast_webhook_events_absorbed_total'], 2, "user 7's reload: a leave and a return");
        assert.equal(metrics['sidecast_webhook_events_dropped_total'], 0);
        assert.equal(metrics['sidecast_webhook_events_sent_total'], 2 * receiver.delivered().length, 'each event once per endpoint');

        // Stopping the sidecar: who is still there leaves at once, told before it exits.
        await joinAs(sidecar.url, '5', 'lobby');
        await eventually(() => names(receiver.delivered()).includes('member_added presence-lobby 5'), 'user 5 added');
        assert.deepEqual(await sidecar.stop(), { code: 0, signal: null });
        assert.deepEqual(names(receiver.delivered()).slice(-2), ['member_removed presence-lobby 5', 'channel_vacated presence-lobby']);

        // The package's route believed every request and dispatched the same events as Laravel events.
        await eventually(() => laravel.dispatched().length === receiver.delivered().length, 'the Laravel events');
        assert.deepEqual(laravel.dispatched().map((e) => e.event), receiver.delivered().map((e) => ({
            channel_occupied: 'ChannelOccupied', channel_vacated: 'ChannelVacated', member_added: 'MemberAdded',
            member_removed: 'MemberRemoved', client_event: 'ClientEventReceived',
        })[e.name]));
        assert.deepEqual(laravel.dispatched().find((e) => e.event === 'ClientEventReceived').properties, {
            channel: 'presence-lobby', event: 'client-typing', data: { typing: true }, socketId: whisper.socket_id, userId: '9',
        });

    } finally {
        assert.deepEqual(await sidecar.stop(), { code: 0, signal: null });
        receiver.close();
        await laravel.stop();
        app.close();
        scratch.remove();
    }
});

test('an endpoint that is down is retried, then dropped and counted; its password and the payloads never reach the log', async () => {
    const scratch = tempDir();
    const app = await startAuthApp();
    const closed = await freePort();
    const adminPort = await freePort();
    const password = 'hook-password-7d9f1b';
    const whispered = 'whispered-text-3a5c7e';
    const sidecar = await startSidecar({
        dir: scratch.dir,
        args: [...APP_ARGS, '--auth-host', app.url, '--webhook-url', `http://hook:${password}@127.0.0.1:${closed}/hooks`,
            '--lifecycle-client-events', 'private-', '--admin-port', String(adminPort)],
        env: { SIDECAST_LOG: 'trace' },
    });
    try {
        const sender = await openEcho(VARIANTS[1], { url: sidecar.url, setup: (echo) => ({ chat: echo.private('chat') }) });
        const peer = await openEcho(VARIANTS[1], { url: sidecar.url, setup: (echo) => ({ chat: echo.private('chat') }) });
        const heard = [];
        peer.chat.listenForWhisper('typing', (data) => heard.push(data));
        await eventually(() => {
            sender.chat.whisper('typing', { text: whispered });
            return heard.length > 0;
        }, 'the whisper delivered while the endpoint is down');
        // Five attempts, 0.5 + 1 + 2 + 4 s apart, then the batch is dropped.
        await eventually(async () => (await scrape(`http://127.0.0.1:${adminPort}/metrics`))['sidecast_webhook_events_dropped_total'] > 0, 'the batch dropped', 15000);
        const metrics = await scrape(`http://127.0.0.1:${adminPort}/metrics`);
        assert.ok(metrics['sidecast_webhook_failed_requests_total'] >= 5);
        assert.equal(metrics['sidecast_webhook_events_sent_total'], 0);
        assert.match(sidecar.output, /webhook dropped: the endpoint kept failing/);
        sender.close();
        peer.close();
    } finally {
        assert.deepEqual(await sidecar.stop(), { code: 0, signal: null });
        app.close();
        scratch.remove();
    }
    assert.match(sidecar.output, /TRACE|DEBUG/);
    for (const secret of [password, whispered, APP.secret]) {
        assert.deepEqual(sidecar.output.split('\n').filter((line) => line.includes(secret)), [], `${secret} in the log`);
    }
});

test('a signed-in Pusher user is told connected with its first connection and disconnected after its last; subscription counts are told as they settle', async () => {
    const receiver = await startReceiver();
    const scratch = tempDir();
    const sidecar = await startSidecar({
        dir: scratch.dir,
        args: [...APP_ARGS, '--webhook-url', receiver.url, '--lifecycle-grace', String(GRACE_MS / 1000),
            '--lifecycle-events', 'subscription_count,user_connected,user_disconnected'],
    });
    try {
        const tabs = [];
        for (let i = 0; i < 2; i++) {
            const tab = await openPusher(sidecar.port, { user: { id: '7', name: 'Ann' } });
            tab.pusher.signin();
            await tab.pusher.user.signinDonePromise;
            assert.equal((await subscribed(tab, 'orders')).subscribed, true);
            tabs.push(tab);
        }
        const line = (e) => [e.name, e.channel, e.user_id, e.subscription_count].filter((v) => v !== undefined).join(' ');
        await eventually(() => receiver.delivered().map(line).includes('subscription_count orders 2'), 'two subscriptions counted');
        // A server-to-user channel is a channel too; only `orders` is asserted here.
        const told = () => receiver.delivered().map(line).filter((l) => !l.includes('#server-to-user'));
        assert.equal(told().filter((l) => l === 'user_connected 7').length, 1, 'one user, two connections');
        assert.ok(!told().includes('channel_occupied orders'), 'not chosen');

        tabs[0].close();
        await eventually(() => told().at(-1) === 'subscription_count orders 1', 'one left');
        tabs[1].close();
        await eventually(() => told().includes('user_disconnected 7'), 'the user gone, after the grace period', GRACE_MS * 5);
        assert.equal(told().at(-2), 'subscription_count orders 0');
    } finally {
        assert.deepEqual(await sidecar.stop(), { code: 0, signal: null });
        receiver.close();
        scratch.remove();
    }
});
