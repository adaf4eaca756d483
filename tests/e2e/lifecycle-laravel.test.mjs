// The app hears what happens on its sockets (docs/lifecycle-events.md): the demo Laravel app
// receives the sidecar's webhooks at the package's route (SIDECAST_WEBHOOK_ROUTE) and its
// listener (App\Listeners\RecordLifecycle) records the Laravel events. Echo clients signed in
// as users 1 and 2 join a presence channel (two tabs of user 1), user 2 whispers, both of user
// 1's tabs reload within the grace period, then everyone leaves: the app records exactly the
// expected events with the right user ids, in order, and nothing for the reload.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, test } from 'node:test';

import { VARIANTS, eventually, openEcho } from './support/echo-clients.mjs';
import { freePort, sleep, startLaravel, startSidecar, stopAll, tempDir } from './support/processes.mjs';
import { APP, APP_ARGS } from './support/pusher-clients.mjs';

after(stopAll);

const GRACE_MS = 1000;

test('the demo app records members added and removed, client events and the channel emptying, nothing for a reload', async () => {
    const scratch = tempDir();
    const appPort = await freePort();
    const sidecar = await startSidecar({
        dir: scratch.dir,
        args: [...APP_ARGS, '--auth-host', `http://127.0.0.1:${appPort}`,
            '--webhook-url', `http://127.0.0.1:${appPort}/sidecast/webhooks`,
            '--webhook-grace', String(GRACE_MS / 1000), '--webhook-client-events', 'presence-chat.'],
    });
    const laravel = await startLaravel({
        sidecar,
        extension: true,
        port: appPort,
        workers: 4,
        env: {
            SIDECAST_APP_ID: APP.id, SIDECAST_APP_KEY: APP.key, SIDECAST_APP_SECRET: APP.secret,
            SIDECAST_WEBHOOK_ROUTE: 'sidecast/webhooks',
            DEMO_LIFECYCLE_JOURNAL: join(scratch.dir, 'lifecycle.jsonl'),
        },
    });
    const heard = async () => (await (await fetch(`${laravel.url}/lifecycle`)).json());
    const joinAs = (user) => openEcho(VARIANTS[user % 2], {
        url: sidecar.url,
        auth: { headers: { Authorization: `Bearer token-${user}` } },
        setup: (echo) => ({ room: echo.join('chat.lobby') }),
    });
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
        await laravel.stop();
        assert.deepEqual(await sidecar.stop(), { code: 0, signal: null });
        scratch.remove();
    }
});
