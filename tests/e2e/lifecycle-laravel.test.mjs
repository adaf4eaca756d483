// The app hears what happens on its sockets (docs/lifecycle-events.md), both ways the package
// offers: `php artisan sidecast:listen` over the sidecar's Unix socket, and the sidecar's
// webhooks at the package's route (SIDECAST_WEBHOOK_ROUTE). Either way the demo app's listener
// (App\Listeners\RecordLifecycle) records the Laravel events. Echo clients signed in as users 1
// and 2 join a presence channel (two tabs of user 1), user 2 whispers, both of user 1's tabs
// reload within the grace period, then everyone leaves: the app records exactly the expected
// events with the right user ids, in order, and nothing for the reload. Then the listener is
// stopped and started again: what happened within the buffer window arrives, what is older is
// dropped, counted, and said.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, test } from 'node:test';

import { VARIANTS, eventually, openEcho } from './support/echo-clients.mjs';
import { scrape } from './support/metrics.mjs';
import { artisan, freePort, sleep, startArtisan, startLaravel, startSidecar, stopAll, tempDir } from './support/processes.mjs';
import { APP, APP_ARGS } from './support/pusher-clients.mjs';

after(stopAll);

const GRACE_MS = 1000;

/** The demo app, a sidecar telling it lifecycle events `via` the listener or webhooks, and the events it recorded. */
async function appHearing(via, scratch, { sidecarArgs = [] } = {}) {
    const appPort = await freePort();
    const chosen = ['--lifecycle-grace', String(GRACE_MS / 1000), '--lifecycle-client-events', 'presence-chat.', ...sidecarArgs];
    const sidecar = await startSidecar({
        dir: scratch.dir,
        args: [...APP_ARGS, '--auth-host', `http://127.0.0.1:${appPort}`, ...chosen,
            ...(via === 'webhooks' ? ['--webhook-url', `http://127.0.0.1:${appPort}/sidecast/webhooks`] : ['--listener'])],
    });
    const env = {
        SIDECAST_APP_ID: APP.id, SIDECAST_APP_KEY: APP.key, SIDECAST_APP_SECRET: APP.secret,
        DEMO_LIFECYCLE_JOURNAL: join(scratch.dir, 'lifecycle.jsonl'),
        ...(via === 'webhooks' ? { SIDECAST_WEBHOOK_ROUTE: 'sidecast/webhooks' } : {}),
    };
    const laravel = await startLaravel({ sidecar, extension: true, port: appPort, workers: 4, env });
    const listen = () => startArtisan(['sidecast:listen', '-v'], { sidecar, extension: true, env });
    const listener = via === 'webhooks' ? null : listen();
    await listener?.waitForOutput('Listening to sidecast');
    const heard = async () => (await (await fetch(`${laravel.url}/lifecycle`)).json());
    // Resolves once the user is in the channel (Echo's `here`), so that joins happen in order.
    const joinAs = async (user) => {
        let present = false;
        const client = await openEcho(VARIANTS[user % 2], {
            url: sidecar.url,
            auth: { headers: { Authorization: `Bearer token-${user}` } },
            setup: (echo) => ({ room: echo.join('chat.lobby').here(() => { present = true; }) }),
        });
        await eventually(() => present, `user ${user} in the channel`);
        return client;
    };
    const stop = async () => {
        await listener?.stop();
        await laravel.stop();
        assert.deepEqual(await sidecar.stop(), { code: 0, signal: null });
    };
    return { sidecar, listener, listen, heard, joinAs, stop };
}

for (const via of ['sidecast:listen', 'webhooks']) {
    test(`through ${via}, the demo app records members added and removed, client events and the channel emptying, nothing for a reload`, async () => {
        const scratch = tempDir();
        const app = await appHearing(via, scratch);
        const { heard, joinAs } = app;
        try {
            const tab1 = await joinAs(1);
            const tab2 = await joinAs(1);
            const other = await joinAs(2);
            const otherSocket = other.socket.id;
            await eventually(async () => (await heard()).length === 3, 'three events heard');

            other.room.whisper('typing', { typing: true });
            await eventually(async () => (await heard()).length === 4, 'the client event heard');

            // User 1 reloads both tabs: gone and back within the grace period.
            tab1.close();
            tab2.close();
            const back1 = await joinAs(1);
            const back2 = await joinAs(1);
            await sleep(GRACE_MS * 2);
            assert.equal((await heard()).length, 4, 'nothing for the reload');

            other.close();
            await eventually(async () => (await heard()).length === 5, 'user 2 removed', GRACE_MS * 5);
            back1.close();
            back2.close();
            await eventually(async () => (await heard()).length === 7, 'user 1 removed and the channel vacated', GRACE_MS * 5);

            const channel = 'presence-chat.lobby';
            assert.deepEqual(await heard(), [
                { name: 'ChannelOccupied', channel },
                { name: 'MemberAdded', channel, userId: '1' },
                { name: 'MemberAdded', channel, userId: '2' },
                { name: 'ClientEventReceived', channel, event: 'client-typing', data: { typing: true }, socketId: otherSocket, userId: '2' },
                { name: 'MemberRemoved', channel, userId: '2' },
                { name: 'MemberRemoved', channel, userId: '1' },
                { name: 'ChannelVacated', channel },
            ]);
        } finally {
            await app.stop();
            scratch.remove();
        }
    });
}

test('a client event on a private channel names the user the app authorized', async () => {
    const scratch = tempDir();
    const app = await appHearing('sidecast:listen', scratch, { sidecarArgs: ['--lifecycle-client-events', 'private-orders.'] });
    try {
        const bob = await openEcho(VARIANTS[0], {
            url: app.sidecar.url,
            auth: { headers: { Authorization: 'Bearer token-2' } },
            setup: (echo) => ({ orders: echo.private('orders.2') }),
        });
        await eventually(async () => (await app.heard()).some((e) => e.name === 'ChannelOccupied'), 'subscribed');
        bob.orders.whisper('typing', { typing: true });
        await eventually(async () => (await app.heard()).some((e) => e.name === 'ClientEventReceived'), 'the client event');
        const whispered = (await app.heard()).find((e) => e.name === 'ClientEventReceived');
        assert.deepEqual(whispered, {
            name: 'ClientEventReceived', channel: 'private-orders.2', event: 'client-typing', data: { typing: true }, socketId: bob.socket.id, userId: '2',
        });
        bob.close();
    } finally {
        await app.stop();
        scratch.remove();
    }
});

test('a listener stopped and started again gets what happened within the buffer window; older events are dropped, counted and said', async () => {
    const scratch = tempDir();
    const adminPort = await freePort();
    const BUFFER_MS = 2000;
    const app = await appHearing('sidecast:listen', scratch, {
        sidecarArgs: ['--listener-buffer', String(BUFFER_MS / 1000), '--admin-port', String(adminPort)],
    });
    const { heard, joinAs } = app;
    const status = async () => (await (await fetch(`http://127.0.0.1:${adminPort}/status`)).json()).vitals.listener;
    let second = null;
    try {
        const first = await joinAs(1);
        await eventually(async () => (await heard()).length === 2, 'occupied and user 1 added');
        assert.deepEqual(await app.listener.stop(), { code: 0, signal: null }, 'SIGTERM stops it cleanly');
        assert.equal((await status()).connected, false);

        // While nobody listens: user 2 joins, and that is older than the buffer by the restart...
        const other = await joinAs(2);
        await eventually(async () => (await status()).events_buffered === 1, 'user 2 added, kept');
        await sleep(BUFFER_MS + 500);
        await eventually(async () => (await status()).events_dropped === 1, 'then dropped', BUFFER_MS);
        // ...then user 1 leaves, which is recent when the listener comes back.
        first.close();
        await eventually(async () => (await status()).events_buffered === 1, 'user 1 removed, kept', GRACE_MS * 5);

        second = app.listen();
        await eventually(async () => (await heard()).length === 3, 'the kept event dispatched');
        const channel = 'presence-chat.lobby';
        assert.deepEqual((await heard()).slice(2), [{ name: 'MemberRemoved', channel, userId: '1' }]);
        await second.waitForOutput('1 lifecycle events were dropped before this one');
        await eventually(async () => (await status()).events_buffered === 0, 'confirmed');
        assert.deepEqual(await status(), { connected: true, events_kept: 4, events_confirmed: 3, events_dropped: 1, events_buffered: 0 });
        const metrics = await scrape(`http://127.0.0.1:${adminPort}/metrics`);
        assert.deepEqual(
            Object.fromEntries(Object.entries(metrics).filter(([name]) => name.startsWith('sidecast_listener_'))),
            {
                sidecast_listener_connected: 1, sidecast_listener_events_buffered: 0, sidecast_listener_events_kept_total: 4,
                sidecast_listener_events_confirmed_total: 3, sidecast_listener_events_dropped_total: 1,
            },
        );
        other.close();
    } finally {
        await second?.stop();
        await app.stop();
        scratch.remove();
    }
});

test('sidecast:listen refuses options it cannot use, saying which', async () => {
    await assert.rejects(artisan(['sidecast:listen', '--retry', '0'], {}), /--retry between 0 and 60 seconds/);
    await assert.rejects(artisan(['sidecast:listen', '--max-time=-1'], {}), /--max-time of 0 or more/);
});
