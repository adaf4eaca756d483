// A client's floods are answered and counted, not written to the log line by line: one
// socket.io client that sends 1,000 subscriptions while the first waits for the app gets a
// `subscription_error` (429) for each one past its backlog of 256, and the log says so in a
// line or two, never at ERROR level.

import assert from 'node:assert/strict';
import http from 'node:http';
import { after, test } from 'node:test';

import { VARIANTS, eventually } from './support/echo-clients.mjs';
import { startSidecar, stopAll, tempDir } from './support/processes.mjs';

after(stopAll);

test('subscriptions past a client\'s backlog are refused with 429 and logged once', async () => {
    // An app that never answers: the first (private) subscription holds the socket's turn.
    const silentApp = http.createServer(() => {});
    await new Promise((ok) => silentApp.listen(0, '127.0.0.1', ok));
    const scratch = tempDir();
    const sidecar = await startSidecar({
        dir: scratch.dir,
        args: ['--auth-host', `http://127.0.0.1:${silentApp.address().port}`, '--auth-timeout', '3'],
    });
    const socket = VARIANTS[1].io(sidecar.url, { transports: ['websocket'], forceNew: true, reconnection: false });
    try {
        await new Promise((ok) => socket.once('connect', ok));
        const refused = [];
        socket.on('subscription_error', (channel, status) => refused.push({ channel, status }));
        socket.emit('subscribe', { channel: 'private-waits' });
        for (let i = 0; i < 1000; i += 1) socket.emit('subscribe', { channel: `news-${i}` });
        // 256 wait their turn behind the first; the other 744 are refused at once.
        await eventually(() => refused.length >= 744, 'the refusals');
        assert.ok(refused.every(({ status }) => status === 429), JSON.stringify(refused.slice(0, 3)));
        assert.equal(refused.at(-1).channel, 'news-999');
    } finally {
        socket.close();
        assert.deepEqual(await sidecar.stop(), { code: 0, signal: null });
        silentApp.close();
        scratch.remove();
    }
    const lines = sidecar.output.split('\n');
    assert.deepEqual(lines.filter((line) => line.includes('ERROR')), []);
    const refusals = lines.filter((line) => line.includes("a client's event was refused"));
    assert.ok(refusals.length >= 1 && refusals.length <= 2, refusals.join('\n'));
    assert.match(refusals[0], /refused_since_start=1 /);
});
