// A laravel-echo-server user replaces `laravel-echo-server start` with `sidecast start` in the
// same directory and changes nothing else: the same laravel-echo-server.json (as its `init`
// writes it), the app still on Laravel's stock `redis` driver through a real redis-server,
// Echo 1.x with socket.io-client 2.x. Then the CLI, the HTTP API, bad config files, a Redis
// restart, and HTTPS.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import WebSocket from 'ws';

import { VARIANTS, afterEverythingSoFar, eventually, openEcho, probed, untilSubscribed } from './support/echo-clients.mjs';
import {
    SIDECAST_BIN, freePort, redisCli, runSidecast, startLaravel, startRedis, startSidecastIn, stopAll, tempDir,
} from './support/processes.mjs';
import { publish, publishFrame } from './support/wire.mjs';

// Stops whatever a failing test left running, so the file's process can end.
after(stopAll);

const FIXTURE = fileURLToPath(new URL('./fixtures/laravel-echo-server', import.meta.url));
const CONFIG = JSON.parse(readFileSync(join(FIXTURE, 'laravel-echo-server.json'), 'utf8'));
const CLIENT = CONFIG.clients[0];
const ECHO1 = VARIANTS[0];

/** A copy of the fixture directory, as the user's project directory. */
function project() {
    const scratch = tempDir();
    cpSync(FIXTURE, scratch.dir, { recursive: true });
    return scratch;
}

describe('the laravel-echo-server.json of an existing install, with Laravel\'s redis driver', () => {
    const scratch = project();
    let redis;
    let sidecar;
    let laravel;
    let url;

    before(async () => {
        redis = await startRedis();
        const [port, appPort] = [await freePort(), await freePort()];
        url = `http://127.0.0.1:${port}`;
        // laravel-echo-server's own overrides, from the project's .env.
        writeFileSync(join(scratch.dir, '.env'), [
            `LARAVEL_ECHO_SERVER_PORT=${port}`,
            `LARAVEL_ECHO_SERVER_REDIS_PORT=${redis.port}`,
            'APP_URL=http://127.0.0.1:' + appPort,
            'LARAVEL_ECHO_SERVER_AUTH_HOST=${APP_URL}',
            '',
        ].join('\n'));
        sidecar = await startSidecastIn(scratch.dir, { env: { SIDECAST_SOCKET: join(scratch.dir, 'sidecast.sock') } });
        await sidecar.waitForOutput('subscribed to Redis');
        laravel = await startLaravel({
            port: appPort,
            extension: false,
            env: { BROADCAST_DRIVER: 'redis', REDIS_PORT: String(redis.port) },
        });
    });

    after(async () => {
        await laravel?.stop();
        await sidecar?.stop();
        await redis?.stop();
        scratch.remove();
    });

    async function asUser(id, setup) {
        const client = await openEcho(ECHO1, { url, auth: { headers: { Authorization: `Bearer token-${id}` } }, setup });
        return client;
    }

    /** Publishes through Laravel's redis driver: GET a route of the demo app. */
    async function announce(channel, message, socketId) {
        const query = new URLSearchParams({ channel, message, ...(socketId ? { to_others: '1' } : {}) });
        const response = await fetch(`${laravel.url}/announce?${query}`, { headers: socketId ? { 'X-Socket-ID': socketId } : {} });
        assert.equal(response.status, 200, await response.text());
    }

    test('public, private and presence events, whispers and toOthers reach Echo 1.x clients', async () => {
        const seen = { example: [], orders: [], room: [], here: [], joining: [], whispers: [] };
        const ann = await asUser(1, (echo) => {
            const example = echo.channel('example-channel').listen('ExampleEvent', (e) => seen.example.push(e));
            const orders = echo.private('orders.1').listen('.announcement', (e) => seen.orders.push(e.message));
            const room = echo.join('chat.les')
                .here((users) => seen.here.push(users.map((u) => u.id)))
                .joining((user) => seen.joining.push(user.id))
                .listen('.announcement', (e) => seen.room.push(e.message))
                .listenForWhisper('typing', (data) => seen.whispers.push(data));
            return { watchers: [probed(example, 'example-channel'), probed(orders, 'private-orders.1'), probed(room, 'presence-chat.les')] };
        });
        await untilSubscribed(ann.watchers, join(scratch.dir, 'sidecast.sock'));

        // Public: ExampleEvent, exactly as laravel-echo-server delivered it (socket key included).
        const fired = await fetch(`${laravel.url}/fire?message=via+redis`);
        assert.equal(fired.status, 200);
        await eventually(() => seen.example.length === 1, 'the public event');
        assert.deepEqual(seen.example, [{ data: 'via redis', socket: null }]);

        await announce('private-orders.1', 'private via redis');
        await eventually(() => seen.orders.includes('private via redis'), 'the private event');

        const bob = await asUser(2, (echo) => ({ room: echo.join('chat.les') }));
        await eventually(() => seen.joining.includes(2), 'bob joining');
        assert.deepEqual(seen.here, [[1]]);

        bob.room.whisper('typing', { who: 'bob' });
        await eventually(() => seen.whispers.length === 1, 'the whisper');
        assert.deepEqual(seen.whispers, [{ who: 'bob' }]);

        // toOthers through the redis driver's `socket` field.
        await announce('presence-chat.les', 'not for ann', ann.echo.socketId());
        await announce('presence-chat.les', 'for everyone');
        await eventually(() => seen.room.includes('for everyone'), 'the second presence event');
        assert.deepEqual(seen.room, ['for everyone']);
        ann.close();
        bob.close();
    });

    test('the HTTP API takes events with the client\'s key and refuses everything else', async () => {
        const got = [];
        const client = await openEcho(ECHO1, { url, setup: (echo) => ({ watcher: probed(echo.channel('api-channel').listen('.Api', (e) => got.push(e)), 'api-channel') }) });
        await untilSubscribed([client.watcher], join(scratch.dir, 'sidecast.sock'));
        const events = `${url}/apps/${CLIENT.appId}/events`;
        const body = JSON.stringify({ channel: 'api-channel', name: 'Api', data: { n: 1 } });
        const post = (target, options) => fetch(target, { method: 'POST', headers: { 'Content-Type': 'application/json', ...options.headers }, body: options.body ?? body });

        const bearer = await post(events, { headers: { Authorization: `Bearer ${CLIENT.key}` } });
        assert.deepEqual([bearer.status, await bearer.json()], [200, { message: 'ok' }]);
        const queryKey = await post(`${events}?auth_key=${CLIENT.key}`, { headers: {} });
        assert.equal(queryKey.status, 200);
        await eventually(() => got.length === 2, 'both published events');

        for (const headers of [{ Authorization: 'Bearer wrong' }, {}]) {
            const refused = await post(events, { headers });
            assert.deepEqual([refused.status, await refused.json()], [403, { error: 'Unauthorized' }]);
        }
        const malformed = await post(events, { headers: { Authorization: `Bearer ${CLIENT.key}` }, body: '{"channel":' });
        assert.equal(malformed.status, 400);
        assert.match((await malformed.json()).error, /^the body is not JSON/);
        const oversized = await post(events, { headers: { Authorization: `Bearer ${CLIENT.key}` }, body: JSON.stringify({ channel: 'api-channel', name: 'Api', data: 'x'.repeat(2 * 1024 * 1024) }) });
        assert.equal(oversized.status, 413);

        const channels = await fetch(`${url}/apps/${CLIENT.appId}/channels?auth_key=${CLIENT.key}`);
        assert.deepEqual((await channels.json()).channels['api-channel'], { subscription_count: 1, occupied: true });
        await afterEverythingSoFar([client.watcher], join(scratch.dir, 'sidecast.sock'));
        assert.equal(got.length, 2, 'nothing from refused requests');
        client.close();
    });

    test('the socket.io 2 client is served at /socket.io/socket.io.js', async () => {
        const response = await fetch(`${url}/socket.io/socket.io.js`);
        assert.equal(response.status, 200);
        assert.match(response.headers.get('content-type'), /javascript/);
        assert.match(await response.text(), /^\/\*!\n \* Socket\.IO v2\.5\.0/);
    });

    test('`status` reports the running server and its figures', async () => {
        const result = await runSidecast(['status'], { cwd: scratch.dir });
        assert.equal(result.code, 0, result.stderr);
        assert.match(result.stdout, new RegExp(`^running \\(pid ${sidecar.pid}, socket `));
        assert.match(result.stdout, /\nconnections +\d+ \(socket\.io: /);
        assert.match(result.stdout, /\nRedis +subscribed /);
    });

    test('a second start from the same config is refused', async () => {
        const second = await runSidecast(['start'], { cwd: scratch.dir, env: { SIDECAST_SOCKET: join(scratch.dir, 'other.sock') } });
        assert.equal(second.code, 1);
        assert.match(second.stderr, new RegExp(`a server is already running from this config \\(pid ${sidecar.pid}, lock .*laravel-echo-server\\.lock\\); stop it with \`sidecast stop\`, or use --force`));
    });

    test('when Redis restarts, clients stay connected and later events arrive', async () => {
        const got = [];
        const client = await openEcho(ECHO1, { url, setup: (echo) => ({ watcher: probed(echo.channel('example-channel').listen('ExampleEvent', (e) => got.push(e.data)), 'example-channel') }) });
        await untilSubscribed([client.watcher], join(scratch.dir, 'sidecast.sock'));
        const subscribedBefore = sidecar.output.split('subscribed to Redis').length;

        await redis.stop();
        redis = await startRedis({ port: redis.port });
        await eventually(() => sidecar.output.split('subscribed to Redis').length > subscribedBefore, 'the sidecar to subscribe again', 15000);
        assert.ok(client.socket.connected, 'the client stayed connected');

        const fired = await fetch(`${laravel.url}/fire?message=after+restart`);
        assert.equal(fired.status, 200, await fired.text());
        await eventually(() => got.includes('after restart'), 'the event after the restart');
        client.close();
    });

    test('non-JSON messages on Laravel\'s channels are skipped with a warning', async () => {
        await redisCli(redis.port, ['PUBLISH', 'laravel_database_example-channel', 'not json']);
        await eventually(() => sidecar.output.includes('Redis message skipped'), 'the warning');
    });
});

describe('stop and --force', () => {
    test('stop ends the server and removes the lock; --force replaces a running one', async () => {
        const scratch = project();
        const port = await freePort();
        const env = { LARAVEL_ECHO_SERVER_PORT: String(port), SIDECAST_SOCKET: join(scratch.dir, 's.sock') };
        // No Redis here: the subscriber retries in the background without stopping anything.
        const first = await startSidecastIn(scratch.dir, { env });
        const lock = join(scratch.dir, 'laravel-echo-server.lock');
        // laravel-echo-server's lock, which names the process, and the socket for `status`.
        assert.deepEqual(JSON.parse(readFileSync(lock, 'utf8')), { process: first.pid, socket: env.SIDECAST_SOCKET });

        const second = await startSidecastIn(scratch.dir, { args: ['--force'], env });
        assert.deepEqual(await first.exited, { code: 0, signal: null }, 'the first one was stopped cleanly');
        assert.deepEqual(JSON.parse(readFileSync(lock, 'utf8')), { process: second.pid, socket: env.SIDECAST_SOCKET });

        const stopped = await runSidecast(['stop'], { cwd: scratch.dir });
        assert.equal(stopped.code, 0, stopped.stderr);
        assert.match(stopped.stdout, new RegExp(`Closed the running server \\(pid ${second.pid}\\)`));
        assert.deepEqual(await second.exited, { code: 0, signal: null });
        assert.ok(!existsSync(lock));

        const again = await runSidecast(['stop'], { cwd: scratch.dir });
        assert.equal(again.code, 1);
        assert.match(again.stderr, /could not find the lock file/);
        const status = await runSidecast(['status'], { cwd: scratch.dir });
        assert.equal(status.code, 3);
        scratch.remove();
    });
});

describe('init', () => {
    const keyOrder = ['authHost', 'authEndpoint', 'clients', 'database', 'databaseConfig', 'devMode', 'host', 'port', 'protocol',
        'socketio', 'secureOptions', 'sslCertPath', 'sslKeyPath', 'sslCertChainPath', 'sslPassphrase', 'subscribers', 'apiOriginAllow'];

    test('with options and --yes it asks nothing and writes laravel-echo-server\'s file', async () => {
        const scratch = tempDir();
        const result = await runSidecast(['init', '--yes', '--dir', scratch.dir, '--port', '7001', '--auth-host', 'http://app.test', '--add-client', 'true']);
        assert.equal(result.code, 0, result.stderr);
        const written = readFileSync(join(scratch.dir, 'laravel-echo-server.json'), 'utf8');
        assert.ok(written.includes('\n\t"authHost": "http://app.test",'), 'tab-indented like laravel-echo-server');
        assert.equal(statSync(join(scratch.dir, 'laravel-echo-server.json')).mode & 0o777, 0o600, 'it holds API keys: owner only');
        const config = JSON.parse(written);
        assert.deepEqual(Object.keys(config), keyOrder);
        assert.equal(config.port, '7001');
        assert.equal(config.database, 'redis');
        assert.equal(config.host, '127.0.0.1', 'this machine only, unless asked');
        assert.deepEqual(config.subscribers, { http: true, redis: false }, 'no Redis subscriber unless asked');
        assert.match(config.clients[0].appId, /^[0-9a-f]{16}$/);
        assert.match(config.clients[0].key, /^[0-9a-f]{32}$/);
        assert.match(result.stdout, new RegExp(`appId: ${config.clients[0].appId}\nkey: ${config.clients[0].key}`));

        const exists = await runSidecast(['init', '--yes', '--dir', scratch.dir]);
        assert.equal(exists.code, 1);
        assert.match(exists.stderr, /exists; not overwritten \(use --force\)/);
        scratch.remove();
    });

    test('interactively, in a terminal, it asks laravel-echo-server\'s questions', async () => {
        const scratch = tempDir();
        // Answers, in order: dev mode, port, address, Redis subscriber, database, auth host,
        // protocol, cert, key, add a client, CORS, allowed origin, methods, headers, file name.
        const answers = ['y', '6002', '0.0.0.0', 'y', 'sqlite', 'http://127.0.0.1:8000', 'https', 'cert.pem', 'key.pem', 'n', 'y', 'http://app.test', '', '', 'echo.json', ''].join('\n');
        const output = await new Promise((ok, fail) => {
            // `script` gives the command a pseudo-terminal, as a user's shell would.
            const child = execFile('script', ['-qec', `${SIDECAST_BIN} init --dir ${scratch.dir}`, '/dev/null'], { timeout: 15000 },
                (error, stdout) => (error ? fail(new Error(`${error.message}\n${stdout}`)) : ok(stdout)));
            child.stdin.end(`${answers}\n`);
        });
        assert.match(output, /Do you want to run this server in development mode\? \(y\/N\)/);
        assert.match(output, /Will you be serving on http or https\?/);
        assert.match(output, /Configuration file saved to .*echo\.json\. Run sidecast start --config "echo\.json"/);
        const config = JSON.parse(readFileSync(join(scratch.dir, 'echo.json'), 'utf8'));
        assert.equal(config.devMode, true);
        assert.equal(config.port, '6002');
        assert.equal(config.host, '0.0.0.0');
        assert.equal(config.subscribers.redis, true);
        assert.equal(config.database, 'sqlite');
        assert.equal(config.protocol, 'https');
        assert.deepEqual([config.sslCertPath, config.sslKeyPath], ['cert.pem', 'key.pem']);
        assert.deepEqual(config.clients, []);
        assert.deepEqual(config.apiOriginAllow, { allowCors: true, allowOrigin: 'http://app.test', allowMethods: 'GET, POST', allowHeaders: 'Origin, Content-Type, X-Auth-Token, X-Requested-With, Accept, Authorization, X-CSRF-TOKEN, X-Socket-Id' });
        scratch.remove();
    });
});

describe('client:add and client:remove', () => {
    test('they edit the clients and leave the rest of the file as it was', async () => {
        const scratch = project();
        const file = join(scratch.dir, 'laravel-echo-server.json');
        const mode = statSync(file).mode & 0o777;
        const added = await runSidecast(['client:add', 'my-app'], { cwd: scratch.dir });
        assert.equal(statSync(file).mode & 0o777, mode, 'an edited file keeps its mode');
        assert.equal(added.code, 0, added.stderr);
        let config = JSON.parse(readFileSync(file, 'utf8'));
        assert.deepEqual(config.clients.map((c) => c.appId), [CLIENT.appId, 'my-app']);
        const { clients: _, ...rest } = config;
        const { clients: __, ...original } = CONFIG;
        assert.deepEqual(rest, original, 'everything else unchanged');

        const rekeyed = await runSidecast(['client:add', CLIENT.appId], { cwd: scratch.dir });
        assert.match(rekeyed.stdout, /API client updated!/);
        config = JSON.parse(readFileSync(file, 'utf8'));
        assert.notEqual(config.clients[0].key, CLIENT.key);

        const generated = await runSidecast(['client:add'], { cwd: scratch.dir });
        assert.match(generated.stdout, /appId: [0-9a-f]{16}\nkey: [0-9a-f]{32}/);

        const removed = await runSidecast(['client:remove', 'my-app'], { cwd: scratch.dir });
        assert.equal(removed.code, 0);
        config = JSON.parse(readFileSync(file, 'utf8'));
        assert.equal(config.clients.length, 2);
        assert.ok(!config.clients.some((c) => c.appId === 'my-app'));

        const unknown = await runSidecast(['client:remove', 'nobody'], { cwd: scratch.dir });
        assert.equal(unknown.code, 1);
        assert.match(unknown.stderr, /no API client with appId "nobody"/);
        scratch.remove();
    });
});

describe('invalid config files', () => {
    const cases = [
        ['{"port": "sixty"}', 'laravel-echo-server.json: port: expected a whole number from 1 to 65535, found "sixty"'],
        ['{"authHost": 42}', 'laravel-echo-server.json: authHost: expected a string or a list of strings, found a number'],
        ['{"databaseConfig": {"redis": {"sentinels": []}}}', 'laravel-echo-server.json: databaseConfig.redis.sentinels: unknown key'],
        ['{"devmode": true}', 'laravel-echo-server.json: devmode: unknown key; known keys here:'],
        ['{"protocol": "https"}', 'sslCertPath: "protocol" is "https", so sslCertPath must name a file'],
        ['{"protocol": "https", "sslCertPath": "missing.pem", "sslKeyPath": "missing.key"}', 'cannot use the TLS certificate: cannot read the certificate (sslCertPath)'],
        ['{"authHost": "localhost:8000"}', 'invalid channel authorization settings: auth host "localhost:8000" is not an http:// or https:// URL'],
        ['{"clients": [{"appId": "x"}]}', 'laravel-echo-server.json: clients[0].key: missing; expected a string'],
        ['{not json', 'laravel-echo-server.json: not valid JSON'],
    ];
    for (const [text, message] of cases) {
        test(`${text} → ${message}`, async () => {
            const scratch = tempDir();
            writeFileSync(join(scratch.dir, 'laravel-echo-server.json'), text);
            const result = await runSidecast(['start', '--port', String(await freePort()), '--socket', join(scratch.dir, 's.sock')], { cwd: scratch.dir });
            assert.equal(result.code, 1, result.stderr);
            assert.ok(result.stderr.includes(message), result.stderr);
            assert.ok(!existsSync(join(scratch.dir, 'laravel-echo-server.lock')), 'no lock left behind');
            scratch.remove();
        });
    }

    test('an explicit --config that does not exist is an error; without one, defaults apply', async () => {
        const scratch = tempDir();
        const result = await runSidecast(['start', '--config', 'nope.json'], { cwd: scratch.dir });
        assert.equal(result.code, 1);
        assert.match(result.stderr, /nope\.json: the config file could not be found/);
        scratch.remove();
    });
});

describe('HTTPS and WSS', () => {
    test('protocol https serves socket.io and the Pusher protocol over TLS with the configured certificate', async () => {
        const scratch = tempDir();
        await new Promise((ok, fail) => execFile('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1',
            '-keyout', join(scratch.dir, 'key.pem'), '-out', join(scratch.dir, 'cert.pem'),
            '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], (error) => (error ? fail(error) : ok())));
        const port = await freePort();
        writeFileSync(join(scratch.dir, 'laravel-echo-server.json'), JSON.stringify({
            port, protocol: 'https', sslCertPath: 'cert.pem', sslKeyPath: 'key.pem', subscribers: { redis: false, http: true },
        }));
        const socket = join(scratch.dir, 's.sock');
        const server = await startSidecastIn(scratch.dir, { env: { SIDECAST_SOCKET: socket, SIDECAST_APP_ID: 'a', SIDECAST_APP_KEY: 'tls-key', SIDECAST_APP_SECRET: 's' } });
        assert.match(server.output, new RegExp(`https://0\\.0\\.0\\.0:${port}/socket\\.io/`));

        const ca = readFileSync(join(scratch.dir, 'cert.pem'));
        for (const variant of VARIANTS) {
            const got = [];
            const client = await openEcho(variant, {
                url: `https://127.0.0.1:${port}`,
                tls: { ca },
                setup: (echo) => ({ watcher: probed(echo.channel('secure').listen('.Secret', (e) => got.push(e)), 'secure') }),
            });
            await untilSubscribed([client.watcher], socket);
            await publish(socket, publishFrame({ channels: ['secure'], event: 'Secret', payload: '{"over":"wss"}' }));
            await eventually(() => got.length === 1, `${variant.name} over wss`);
            assert.deepEqual(got, [{ over: 'wss' }]);
            client.close();
        }

        // The Pusher protocol over the same TLS listener.
        const pusherClient = new WebSocket(`wss://127.0.0.1:${port}/app/tls-key?protocol=7`, { ca });
        const messages = [];
        pusherClient.on('message', (bytes) => messages.push(JSON.parse(bytes.toString())));
        await eventually(() => messages.some((m) => m.event === 'pusher:connection_established'), 'the Pusher handshake over wss');
        pusherClient.send(JSON.stringify({ event: 'pusher:subscribe', data: { channel: 'secure', auth: '' } }));
        await eventually(() => messages.some((m) => m.event === 'pusher_internal:subscription_succeeded'), 'the subscription');
        await publish(socket, publishFrame({ channels: ['secure'], event: 'Secret', payload: '{"over":"wss"}' }));
        await eventually(() => messages.some((m) => m.event === 'Secret'), 'the event to the Pusher client');
        assert.deepEqual(JSON.parse(messages.find((m) => m.event === 'Secret').data), { over: 'wss' });
        pusherClient.close();
        await server.stop();
        scratch.remove();
    });
});
