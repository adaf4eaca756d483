// The production recipes in deploy/, run as written with only their paths and ports changed to
// this test's: Supervisor running php-fpm, a queue worker and the sidecar; nginx serving the app
// and the sidecar on one origin, in Chromium; the systemd unit checked by systemd-analyze.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';

import { launchChromium } from './support/browser.mjs';
import { VARIANTS, connectEcho, eventually, untilSubscribed } from './support/echo-clients.mjs';
import { DEMO_APP, ROOT, SIDECAST_BIN, SIDECAST_EXTENSION, appEnv, freePort, sleep, startProcess, startSidecar, stopAll, tempDir } from './support/processes.mjs';
import { APP, APP_ARGS } from './support/pusher-clients.mjs';

after(stopAll);

const FIXTURES = join(ROOT, 'tests/e2e/fixtures/deploy');

/** Runs `command` to completion; rejects with its output when it fails. */
function run(command, args, options = {}) {
    return new Promise((ok, fail) => {
        execFile(command, args, { timeout: 30000, ...options }, (error, stdout, stderr) => (error
            ? fail(new Error(`${command} ${args.join(' ')} failed: ${error.message}\n${stdout}${stderr}`))
            : ok(stdout)));
    });
}

/** A recipe of deploy/ with `replacements` ([from, to] pairs, each of which must occur) made. */
function recipe(path, replacements) {
    let text = readFileSync(join(ROOT, 'deploy', path), 'utf8');
    for (const [from, to] of replacements) {
        assert.ok(from instanceof RegExp ? from.test(text) : text.includes(from), `${path} has ${from}`);
        text = from instanceof RegExp ? text.replace(from, to) : text.replaceAll(from, to);
    }
    return text;
}

/** Waits until `path` exists. */
async function untilExists(path, what, timeoutMs = 15000) {
    await eventually(() => existsSync(path), what, timeoutMs);
}

describe('deploy/supervisor/sidecast.conf', () => {
    test('php-fpm, the queue worker and the sidecar start; `supervisorctl stop all` loses no event PHP accepted', async () => {
        const scratch = tempDir();
        const port = await freePort();
        const socket = join(scratch.dir, 'sidecast.sock');
        writeFileSync(join(scratch.dir, 'sidecast.conf'), recipe('supervisor/sidecast.conf', [
            ['/var/www/app', DEMO_APP],
            // The test's files are root's: the programs run as the test's user.
            [/^user=www-data\n/gm, ''],
            ['/var/log/supervisor/', `${scratch.dir}/`],
            ['--fpm-config /etc/php/8.2/fpm/php-fpm.conf', `--fpm-config ${join(FIXTURES, 'php-fpm.conf')} -d extension=${SIDECAST_EXTENSION}${process.getuid() === 0 ? ' -R' : ''}`],
        ]));
        const conf = join(scratch.dir, 'supervisord.conf');
        writeFileSync(conf, [
            '[unix_http_server]', `file=${scratch.dir}/supervisor.sock`,
            '[supervisord]', 'nodaemon=true', `logfile=${scratch.dir}/supervisord.log`, `pidfile=${scratch.dir}/supervisord.pid`,
            `childlogdir=${scratch.dir}`, 'loglevel=info',
            '[rpcinterface:supervisor]', 'supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface',
            '[supervisorctl]', `serverurl=unix://${scratch.dir}/supervisor.sock`,
            '[include]', `files = ${scratch.dir}/sidecast.conf`, '',
        ].join('\n'));
        // What the app's .env would hold; Supervisor passes its environment to its programs.
        const env = {
            BROADCAST_DRIVER: 'sidecast', SIDECAST_SOCKET: socket, SIDECAST_PORT: String(port),
            SIDECAST_BINARY: SIDECAST_BIN, FPM_DIR: scratch.dir, SIDECAST_LOG: 'info',
        };
        delete process.env.NOTIFY_SOCKET;
        const supervisord = startProcess('supervisord', ['-c', conf], { env });
        const ctl = (...args) => run('supervisorctl', ['-c', conf, ...args], { env: { ...process.env, ...env } }).catch((error) => error.message);
        try {
            await untilExists(socket, 'the sidecar\'s socket');
            await untilExists(join(scratch.dir, 'php-fpm.sock'), 'php-fpm\'s socket');
            await eventually(async () => /queue\s+RUNNING/.test(await ctl('status')), 'the queue worker running');

            const client = await connectEcho(VARIANTS[1], { url: `http://127.0.0.1:${port}`, transports: ['websocket'], channel: 'deploy', listeners: ['.Burst'] });
            await untilSubscribed([client], socket);

            // Every worker serves requests and keeps its connection to the sidecar, as in production.
            const burst = (from, count, delayMs = 0) => run('cgi-fcgi', ['-bind', '-connect', join(scratch.dir, 'php-fpm.sock')], {
                env: { PATH: process.env.PATH, SCRIPT_FILENAME: join(FIXTURES, 'burst.php'), REQUEST_METHOD: 'GET', QUERY_STRING: `from=${from}&count=${count}&delay_ms=${delayMs}`, SIDECAST_SOCKET: socket },
            }).then((response) => assert.match(response, new RegExp(`"accepted":${count}`)));
            const EACH = 250;
            await Promise.all(Array.from({ length: 8 }, (_, r) => burst(r * EACH, EACH)));
            await eventually(() => client.received.length === 8 * EACH, 'the first events');

            // Then requests still running when everything is told to stop: they broadcast after
            // the stop came (php-fpm lets them finish), and their workers hand the events over as
            // they exit. Supervisor signals the sidecar at the same moment, first even (its
            // `stop all` goes by ascending priority, all at once: Supervisor issue #217).
            // Less than the sidecar's publisher grace (1 s), so that what they send after the
            // stop came is still taken.
            const SLOW_MS = 900;
            const slow = Array.from({ length: 4 }, (_, r) => burst((8 + r) * EACH, EACH, SLOW_MS));
            await sleep(200);
            const stopped = await ctl('stop', 'all');
            await Promise.all(slow);
            assert.match(stopped, /sidecast: stopped/);
            assert.match(stopped, /php-fpm: stopped/);

            const total = 12 * EACH;
            await eventually(() => client.received.length >= total, `${total} events`, 10000);
            const numbers = new Set(client.received.map((event) => event.data.n));
            assert.equal(numbers.size, total, 'every event PHP accepted arrived, once');
            assert.doesNotMatch(readFileSync(join(scratch.dir, 'php-fpm.log'), 'utf8'), /were not delivered/);
            client.close();
        } finally {
            await supervisord.stop();
            scratch.remove();
        }
    });
});

describe('deploy/nginx/sidecast.conf', () => {
    test('Chromium gets the page, the socket and a private channel\'s authorization from one origin', async () => {
        const scratch = tempDir();
        const [webPort, sidecarPort] = [await freePort(), await freePort()];
        const origin = `http://127.0.0.1:${webPort}`;
        const sidecar = await startSidecar({ dir: scratch.dir, port: sidecarPort, args: [...APP_ARGS, '--auth-host', origin, '--allowed-origin', origin] });
        const fpmArgs = ['-d', `extension=${SIDECAST_EXTENSION}`, '-y', join(FIXTURES, 'php-fpm.conf'), '-F', ...(process.getuid() === 0 ? ['-R'] : [])];
        const env = appEnv(sidecar, { FPM_DIR: scratch.dir, SIDECAST_APP_ID: APP.id, SIDECAST_APP_KEY: APP.key, SIDECAST_APP_SECRET: APP.secret });
        delete env.NOTIFY_SOCKET;
        const fpm = startProcess('php-fpm8.2', fpmArgs, { env });
        writeFileSync(join(scratch.dir, 'site.conf'), recipe('nginx/sidecast.conf', [
            ['listen 80 default_server;', `listen 127.0.0.1:${webPort} default_server;`],
            ['/var/www/app/public', join(DEMO_APP, 'public')],
            ['unix:/run/php/php8.2-fpm.sock', `unix:${scratch.dir}/php-fpm.sock`],
            ['server 127.0.0.1:6001;', `server 127.0.0.1:${sidecarPort};`],
            ['location = /app/app-key', `location = /app/${APP.key}`],
            ['include fastcgi_params;', 'include /etc/nginx/fastcgi_params;'],
        ]));
        const conf = join(scratch.dir, 'nginx.conf');
        writeFileSync(conf, [
            // The test's files are root's, and so are nginx's workers here.
            ...(process.getuid() === 0 ? ['user root;'] : []),
            'daemon off;', 'worker_processes 1;', `pid ${scratch.dir}/nginx.pid;`, `error_log ${scratch.dir}/nginx-error.log;`,
            'events { worker_connections 512; }',
            'http {', 'include /etc/nginx/mime.types;', 'access_log off;',
            ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((kind) => `${kind}_temp_path ${scratch.dir}/${kind};`),
            `include ${scratch.dir}/site.conf;`, '}', '',
        ].join('\n'));
        const nginx = startProcess('nginx', ['-p', scratch.dir, '-c', conf]);
        const browser = await launchChromium();
        try {
            await untilExists(join(scratch.dir, 'php-fpm.sock'), 'php-fpm\'s socket');
            await eventually(async () => (await fetch(`${origin}/`).catch(() => ({ ok: false }))).ok, 'the app through nginx');

            const page = await browser.newPage();
            const problems = [];
            page.on('pageerror', (error) => problems.push(error.message));
            await page.goto(`${origin}/login/1`);
            await page.goto(`${origin}/?same_origin=1`);
            await page.locator('#status.connected').waitFor({ timeout: 10000 });
            assert.equal(await page.evaluate(() => window.Echo.connector.socket.io.uri), origin, 'Echo connects to the page\'s origin');

            // A private channel: the sidecar asks the app, through nginx, with the page's cookie.
            await page.evaluate(() => {
                window.got = [];
                window.Echo.private('orders.1').listen('.announcement', (event) => window.got.push(event.message));
            });
            const arrived = async () => (await page.evaluate(() => window.got)).includes('through nginx');
            for (let attempt = 0; attempt < 20 && !(await arrived()); attempt++) {
                const fired = await fetch(`${origin}/announce?channel=private-orders.1&message=through+nginx`);
                assert.equal(fired.status, 200, await fired.text());
                await sleep(250);
            }
            assert.ok(await arrived(), 'the private event reached the page');

            // Echo's reverb broadcaster, through the recipe's /app/<key> location.
            await page.goto(`${origin}/?broadcaster=reverb&same_origin=1`);
            await page.locator('#status.connected').waitFor({ timeout: 10000 });
            assert.deepEqual(problems, []);
        } finally {
            await browser.close();
            await Promise.all([nginx.stop(), fpm.stop('SIGQUIT'), sidecar.stop()]);
            scratch.remove();
        }
    });
});

describe('deploy/systemd/sidecast.service', () => {
    test('systemd-analyze finds nothing wrong with the unit', async () => {
        const scratch = tempDir();
        const unit = join(scratch.dir, 'sidecast.service');
        writeFileSync(unit, recipe('systemd/sidecast.service', [['/usr/local/bin/sidecast', SIDECAST_BIN]]));
        const verified = await run('systemd-analyze', ['verify', unit]).catch((error) => error.message);
        // It may not know php8.2-fpm.service (Before= a unit that is not installed is fine).
        assert.doesNotMatch(verified.replace(/.*php8\.2-fpm\.service.*\n?/g, ''), /\S/, verified);
        scratch.remove();
    });
});
