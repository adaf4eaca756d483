// No secret reaches the sidecar's log, at any level, as text or JSON: a sidecar started in dev
// mode with every log line on (SIDECAST_LOG=trace) is given every kind of secret — a password in
// the auth host and in both Redis URLs, the Pusher app's secret, an API key, the admin key — and
// clients send the others —
// bearer and CSRF tokens in socket.io's auth headers, whispers on both protocols, a sign-in,
// API requests with the key — then its whole output is searched for each of them.

import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

import PusherRest from 'pusher';

import { VARIANTS, openEcho } from './support/echo-clients.mjs';
import { freePort, sleep, startSidecar, tempDir } from './support/processes.mjs';
import { openRaw, sign } from './support/pusher-clients.mjs';

const SECRETS = {
    authPassword: 'auth-password-5f1e',
    redisPassword: 'redis-password-9c3d',
    clusterPassword: 'cluster-password-7a2b',
    appSecret: 'app-secret-4e8f0a1b',
    apiKey: 'api-key-0d9c8b7a6f5e4d3c',
    bearer: 'bearer-token-2b4d6f',
    cookie: 'session-cookie-4c6e8a',
    csrf: 'csrf-token-1a3c5e',
    whisper: 'whisper-text-8e6c4a',
    pusherWhisper: 'pusher-whisper-3f5b7d',
    userInfo: 'user-info-6d4b2f',
    adminKey: 'admin-key-5c7e9a1b3d5f',
};

for (const format of ['text', 'json']) test(`no secret reaches the log, with every log line on, as ${format}`, async () => {
    const scratch = tempDir();
    const closed = await freePort();
    writeFileSync(join(scratch.dir, 'laravel-echo-server.json'), JSON.stringify({
        authHost: `http://admin:${SECRETS.authPassword}@127.0.0.1:${closed}`,
        clients: [{ appId: 'api-app', key: SECRETS.apiKey }],
        databaseConfig: { redis: { host: '127.0.0.1', port: closed, password: SECRETS.redisPassword, keyPrefix: 'laravel_database_' } },
        sidecast: { pusher: { appId: 'app', key: 'app-key', secret: SECRETS.appSecret } },
    }));
    const sidecar = await startSidecar({
        dir: scratch.dir,
        args: ['--dir', scratch.dir, '--dev', '--cluster-redis', `redis://:${SECRETS.clusterPassword}@127.0.0.1:${closed}`],
        env: { SIDECAST_LOG: 'trace', SIDECAST_LOG_FORMAT: format, SIDECAST_ADMIN_KEY: SECRETS.adminKey },
    });
    try {
        for (const variant of VARIANTS) {
            const client = await openEcho(variant, {
                url: sidecar.url,
                auth: { headers: { Authorization: `Bearer ${SECRETS.bearer}`, 'X-CSRF-TOKEN': SECRETS.csrf } },
                extraHeaders: { Cookie: `laravel_session=${SECRETS.cookie}` },
                setup: (echo) => {
                    const channel = echo.private('orders');
                    setTimeout(() => channel.whisper('typing', { text: SECRETS.whisper }), 200);
                },
            });
            await sleep(600);
            client.close();
        }

        const raw = await openRaw(sidecar.port, { path: '/app/app-key?protocol=7' });
        const app = { key: 'app-key', secret: SECRETS.appSecret };
        raw.send({ event: 'pusher:subscribe', data: { channel: 'private-room', auth: sign(`${raw.socketId}:private-room`, app) } });
        await raw.next((m) => m.event === 'pusher_internal:subscription_succeeded');
        raw.send({ event: 'client-typing', channel: 'private-room', data: { text: SECRETS.pusherWhisper } });
        const userData = JSON.stringify({ id: '7', info: SECRETS.userInfo });
        raw.send({ event: 'pusher:signin', data: { auth: sign(`${raw.socketId}::user::${userData}`, app), user_data: userData } });
        await raw.next((m) => m.event === 'pusher:signin_success');
        raw.close();

        await fetch(`${sidecar.url}/apps/api-app/channels?auth_key=${SECRETS.apiKey}`);
        await fetch(`${sidecar.url}/apps/api-app/channels`, { headers: { Authorization: `Bearer ${SECRETS.apiKey}` } });
        const rest = new PusherRest({ appId: 'app', key: 'app-key', secret: SECRETS.appSecret, host: '127.0.0.1', port: String(sidecar.port), useTLS: false });
        await rest.trigger('orders', 'Shipped', { id: 1 });
        assert.equal((await fetch(`${sidecar.url}/metrics`, { headers: { Authorization: `Bearer ${SECRETS.adminKey}` } })).status, 200);
        assert.equal((await fetch(`${sidecar.url}/status?key=${SECRETS.adminKey}`)).status, 200);
        // Long enough for the Redis subscriber and the cluster to fail to connect and say so.
        await sleep(1500);
    } finally {
        assert.deepEqual(await sidecar.stop(), { code: 0, signal: null });
        scratch.remove();
    }
    assert.match(sidecar.output, /DEBUG|TRACE/, 'the log is at its most verbose');
    if (format === 'json') {
        const lines = sidecar.output.split('\n').filter((line) => line.trim() !== '');
        for (const line of lines) {
            const parsed = JSON.parse(line);
            assert.ok(parsed.timestamp && parsed.level && parsed.target && parsed.fields, line);
        }
        assert.ok(lines.some((line) => JSON.parse(line).level === 'TRACE' || JSON.parse(line).level === 'DEBUG'));
    }
    // The ways a password could have shown: every connection that carries one was tried.
    assert.match(sidecar.output, /cannot subscribe to Redis/);
    assert.match(sidecar.output, /cannot reach the cluster's Redis/);
    assert.match(sidecar.output, /subscription not authorized/);
    for (const [what, secret] of Object.entries(SECRETS)) {
        const lines = sidecar.output.split('\n').filter((line) => line.includes(secret));
        assert.deepEqual(lines, [], `the ${what} is in the log`);
    }
    assert.match(sidecar.output, /admin:\*\*\*@127\.0\.0\.1/, 'the auth host is shown, its password hidden');
});
