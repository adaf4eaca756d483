// Installing sidecast as a Laravel developer does: the package with composer into an app that
// never had it, its artisan commands, and the extension the PHP way.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { launchChromium } from './support/browser.mjs';
import { VARIANTS, connectEcho, eventually, untilSubscribed } from './support/echo-clients.mjs';
import { ROOT, SIDECAST_BIN, SIDECAST_EXTENSION, freePort, sleep, startPhp, startRedis, stopAll, tempDir } from './support/processes.mjs';

after(stopAll);

const INSTALL = join(ROOT, 'scripts/install-extension.sh');

/** Runs `command` to completion; resolves with its exit code and output. */
function run(command, args, { env = {}, timeout = 600000, cwd } = {}) {
    return new Promise((ok) => {
        // A command killed for its timeout has no exit code: its signal stands for it.
        execFile(command, args, { cwd, env: { ...process.env, ...env }, timeout }, (error, stdout, stderr) =>
            ok({ code: error ? (error.code ?? error.signal) : 0, stdout, stderr }));
    });
}

describe('an existing Laravel app adopts sidecast', () => {
    const scratch = tempDir();
    const app = join(scratch.dir, 'shop');
    // An empty SIDECAST_SOCKET, as a .env may hold, means "not set" all the way to the sidecar.
    const env = { SIDECAST_BINARY: SIDECAST_BIN, SIDECAST_SOCKET: '' };
    const artisan = (...args) => run('php', ['artisan', ...args], { cwd: app, env, timeout: 60000 });
    let redis;
    let web;
    let sidecar;
    let sidecarPort;

    before(async () => {
        cpSync(join(ROOT, 'tests/e2e/fixtures/laravel-app'), app, { recursive: true });
        redis = await startRedis();
        const port = await freePort();
        sidecarPort = await freePort();
        const dotenv = readFileSync(join(app, '.env'), 'utf8')
            .replace('APP_URL=http://localhost', `APP_URL=http://127.0.0.1:${port}`)
            .replace('REDIS_PORT=6379', `REDIS_PORT=${redis.port}`);
        // A Pusher app, so that workers without the socket can use the sidecar's HTTP API.
        writeFileSync(join(app, '.env'), `${dotenv}SIDECAST_PORT=${sidecarPort}\nSIDECAST_APP_ID=shop\nSIDECAST_APP_KEY=shop-key\nSIDECAST_APP_SECRET=shop-secret\n`);
        web = startPhp('-S', [`127.0.0.1:${port}`, '-t', 'public'], { cwd: app });
        await web.waitForOutput('Development Server');
    });

    after(async () => {
        await Promise.all([web?.stop(), sidecar?.stop(), redis?.stop()]);
        scratch.remove();
    });

    test('composer require from a path repository, as the installation guide says', async () => {
        for (const args of [
            ['config', 'repo.packagist', 'false'],
            ['config', 'repositories.sidecast', JSON.stringify({ type: 'path', url: ROOT, options: { versions: { 'sidecast/laravel': '0.1.0' } } })],
            ['require', '--no-interaction', 'sidecast/laravel:^0.1'],
        ]) {
            const result = await run('composer', args, { cwd: app, timeout: 120000 });
            assert.equal(result.code, 0, `composer ${args.join(' ')}: ${result.stdout}${result.stderr}`);
        }
        const listed = await artisan('list');
        assert.match(listed.stdout, /sidecast:install/);
    });

    test('before installing, sidecast:check names each missing piece', async () => {
        const check = await artisan('sidecast:check');
        assert.equal(check.code, 1);
        assert.match(check.stdout, /! The default broadcast connection is "log", not sidecast: .* Set BROADCAST_DRIVER=sidecast in \.env/);
        assert.match(check.stdout, /✘ No sidecar listens at .*shop\/storage\/sidecast\/sidecast\.sock \(no such file\)\. Start it .*php artisan sidecast:serve/);
        assert.match(check.stdout, /✘ The app has no \/broadcasting\/auth route, .*enable App\\Providers\\BroadcastServiceProvider in config\/app\.php/);
    });

    test('sidecast:install publishes the config, selects the driver and turns on the auth route', async () => {
        const install = await artisan('sidecast:install');
        assert.equal(install.code, 0, install.stdout + install.stderr);
        assert.ok(existsSync(join(app, 'config/sidecast.php')));
        assert.match(readFileSync(join(app, '.env'), 'utf8'), /^BROADCAST_DRIVER=sidecast$/m);
        assert.match(readFileSync(join(app, 'config/app.php'), 'utf8'), /^\s+App\\Providers\\BroadcastServiceProvider::class,$/m);
        assert.match(install.stdout, /The sidecar is .*sidecast \(sidecast \d/);
        assert.match(install.stdout, /Wrote resources\/js\/echo\.js/);
        assert.match(readFileSync(join(app, 'resources/js/bootstrap.js'), 'utf8'), /\nimport '\.\/echo';\n$/);
        const again = await artisan('sidecast:install');
        assert.equal(again.code, 0);
        assert.doesNotMatch(again.stdout, /Set BROADCAST_DRIVER|Turned on/, 'a second run changes nothing');
    });

    test('the app\'s own test suite asserts its broadcasts with Sidecast::fake(), with no sidecar running', async () => {
        assert.ok(!existsSync(join(app, 'storage/sidecast/sidecast.sock')), 'no sidecar yet');
        const tests = await run('phpunit', [], { cwd: app, timeout: 120000 });
        assert.equal(tests.code, 0, tests.stdout + tests.stderr);
        assert.match(tests.stdout, /OK \(3 tests, \d+ assertions\)/);
    });

    test('sidecast:serve --print shows the sidecar\'s command line, built from the app\'s settings', async () => {
        const printed = await artisan('sidecast:serve', '--print', '--', '--socket-group=www-data');
        assert.equal(printed.code, 0, printed.stderr);
        const url = readFileSync(join(app, '.env'), 'utf8').match(/^APP_URL=(.*)$/m)[1];
        assert.equal(printed.stdout.trim(), [SIDECAST_BIN, 'start', '--dir', app, '--socket', join(app, 'storage/sidecast/sidecast.sock'),
            '--host', '127.0.0.1', '--port', String(sidecarPort), '--auth-host', url, '--allowed-origin', url, '--socket-group=www-data']
            .map((arg) => `'${arg}'`).join(' '));
        const listening = await run('php', ['artisan', 'sidecast:serve', '--print'], { cwd: app, env: { ...env, SIDECAST_LISTENER: 'true' }, timeout: 60000 });
        assert.equal(listening.code, 0, listening.stderr);
        assert.match(listening.stdout, / '--listener'$/m, 'SIDECAST_LISTENER=true keeps lifecycle events for sidecast:listen');
    });

    test('sidecast:serve starts the sidecar on the app\'s socket, and sidecast:check passes', async () => {
        sidecar = startPhp('artisan', ['sidecast:serve'], { cwd: app, env });
        await sidecar.waitForOutput('sidecast is listening');
        assert.ok(existsSync(join(app, 'storage/sidecast/sidecast.sock')));
        const check = await artisan('sidecast:check');
        assert.equal(check.code, 0, check.stdout + check.stderr);
        assert.match(check.stdout, /✔ The sidecar answers: \d+ connections/);
        assert.match(check.stdout, /✔ The sidecar accepted a test event/);
        assert.match(check.stdout, /✔ The app has its \/broadcasting\/auth route/);
        // Laravel exempts the route from CSRF checks, so a probe without a user gets 403.
        assert.match(check.stdout, /✔ http:\/\/127\.0\.0\.1:\d+\/broadcasting\/auth answers, and refuses this probe, which has no user/);
    });

    test('the Echo set-up sidecast:install wrote, built with Vite, receives an event in Chromium', async () => {
        // The app's own node_modules, as `npm install --save-dev laravel-echo socket.io-client` makes them.
        symlinkSync(join(ROOT, 'node_modules'), join(app, 'node_modules'));
        const built = await run(join(ROOT, 'node_modules/.bin/vite'), ['build', '--logLevel', 'warn'], {
            cwd: app, env: { VITE_SIDECAST_HOST: `127.0.0.1:${sidecarPort}` }, timeout: 120000,
        });
        assert.equal(built.code, 0, built.stdout + built.stderr);
        const browser = await launchChromium();
        try {
            const base = readFileSync(join(app, '.env'), 'utf8').match(/^APP_URL=(.*)$/m)[1];
            const page = await browser.newPage();
            const problems = [];
            page.on('pageerror', (error) => problems.push(error.message));
            await page.goto(`${base}/echo`);
            await page.waitForFunction(() => window.Echo?.connector?.socket?.connected, null, { timeout: 10000 });
            await page.evaluate(() => {
                window.got = [];
                window.Echo.channel('orders').listen('.App\\Events\\OrderShipped', (event) => window.got.push(event.order));
            });
            const arrived = async () => (await page.evaluate(() => window.got)).includes('V-1');
            for (let attempt = 0; attempt < 20 && !(await arrived()); attempt++) {
                assert.equal(await (await fetch(`${base}/ship/V-1`)).text(), 'shipped');
                await sleep(250);
            }
            assert.ok(await arrived(), 'the page received the event');
            assert.deepEqual(problems, []);
        } finally {
            await browser.close();
        }
    });

    test('an event from a request, one from a queue worker and one from a worker without the socket reach an Echo client', async () => {
        const client = await connectEcho(VARIANTS[1], { url: `http://127.0.0.1:${sidecarPort}`, transports: ['websocket'], channel: 'orders', listeners: ['.App\\Events\\OrderShipped', '.App\\Events\\OrderPacked'] });
        await untilSubscribed([client], join(app, 'storage/sidecast/sidecast.sock'));
        const base = readFileSync(join(app, '.env'), 'utf8').match(/^APP_URL=(.*)$/m)[1];
        assert.equal(await (await fetch(`${base}/ship/A-1`)).text(), 'shipped');
        await eventually(() => client.received.some((e) => e.data.order === 'A-1'), 'the event fired in a request');

        assert.equal(await (await fetch(`${base}/pack/A-2`)).text(), 'queued');
        await sleep(200);
        assert.ok(!client.received.some((e) => e.data.order === 'A-2'), 'queued, not sent yet');
        const worker = await artisan('queue:work', '--once', '--stop-when-empty');
        assert.equal(worker.code, 0, worker.stdout + worker.stderr);
        await eventually(() => client.received.some((e) => e.data.order === 'A-2'), 'the event the worker broadcast');

        // A worker as on another host: no socket, the sidecar's HTTP API (one setting).
        const remote = { ...env, SIDECAST_TRANSPORT: 'http', SIDECAST_URL: `http://127.0.0.1:${sidecarPort}`, SIDECAST_SOCKET: '/nonexistent/sidecast.sock' };
        assert.equal(await (await fetch(`${base}/pack/A-3`)).text(), 'queued');
        const far = await run('php', ['artisan', 'queue:work', '--once', '--stop-when-empty'], { cwd: app, env: remote });
        assert.equal(far.code, 0, far.stdout + far.stderr);
        await eventually(() => client.received.some((e) => e.data.order === 'A-3'), 'the event broadcast over HTTP');
        const check = await run('php', ['artisan', 'sidecast:check'], { cwd: app, env: remote });
        assert.equal(check.code, 0, check.stdout + check.stderr);
        assert.match(check.stdout, /Events go over HTTP to the sidecar at http:\/\/127\.0\.0\.1:\d+/);
        assert.match(check.stdout, /✔ The sidecar accepted a test event/);
        client.close();
    });

    test('with the extension, a sidecar that is gone is reported in the app\'s log, and the request still succeeds', async () => {
        await sidecar.stop();
        const port = await freePort();
        const withExtension = startPhp('-S', [`127.0.0.1:${port}`, '-t', 'public'], { cwd: app, extension: true });
        try {
            await withExtension.waitForOutput('Development Server');
            const log = join(app, 'storage/logs/laravel.log');
            const before = existsSync(log) ? readFileSync(log, 'utf8').length : 0;
            // The first broadcast starts the writer; a later one learns it cannot connect.
            await eventually(async () => {
                assert.equal(await (await fetch(`http://127.0.0.1:${port}/ship/B-1`)).text(), 'shipped');
                return existsSync(log) && readFileSync(log, 'utf8').slice(before).includes('Sidecast: events wait');
            }, 'the warning in storage/logs/laravel.log');
            // More requests in the same PHP process (as a php-fpm worker serves them): the
            // warning is not repeated within the minute.
            for (const order of ['B-2', 'B-3', 'B-4']) {
                assert.equal(await (await fetch(`http://127.0.0.1:${port}/ship/${order}`)).text(), 'shipped');
            }
            const logged = readFileSync(log, 'utf8').slice(before);
            assert.match(logged, /local\.WARNING: Sidecast: events wait in this PHP process, undelivered: sidecast is not listening at .*shop\/storage\/sidecast\/sidecast\.sock \(no such socket file\)/);
            assert.equal(logged.split('Sidecast: events wait').length - 1, 1, 'once a minute, not per request');
        } finally {
            await withExtension.stop();
        }
    });

    test('sidecast:check with the extension asked for but not loaded says so', async () => {
        const check = await run('php', ['artisan', 'sidecast:check'], { cwd: app, env: { ...env, SIDECAST_TRANSPORT: 'extension' } });
        assert.equal(check.code, 1);
        assert.match(check.stdout, /✘ The connection asks for the "extension" transport, but the sidecast extension is not loaded: install it with scripts\/install-extension\.sh/);
    });
});

describe('the package as Composer downloads it', () => {
    test('a dist archive holds the PHP package, its licence and stubs, and none of the Rust, Node or test trees', async () => {
        const listed = await run('sh', ['-c', 'git archive --format=tar HEAD | tar -t'], { cwd: ROOT });
        assert.equal(listed.code, 0, listed.stderr);
        const files = listed.stdout.split('\n').filter((f) => f && !f.endsWith('/'));
        for (const wanted of ['composer.json', 'LICENSE', 'README.md', 'php/config/sidecast.php', 'php/src/SidecastServiceProvider.php', 'stubs/sidecast.stubs.php']) {
            assert.ok(files.includes(wanted), `${wanted} is shipped`);
        }
        const unexpected = files.filter((f) => !/^(php\/src\/|php\/config\/|php\/resources\/|stubs\/|composer\.json$|LICENSE$|README\.md$|CHANGELOG\.md$)/.test(f));
        assert.deepEqual(unexpected, []);
    });
});

describe('scripts/install-extension.sh', () => {
    test('installs sidecast.so and an ini file; PHP then loads it as `sidecast`', async () => {
        const scratch = tempDir();
        const extensions = join(scratch.dir, 'extensions');
        const confD = join(scratch.dir, 'conf.d');
        // The extension the test command built (building it again with other features would
        // take minutes); the build itself is the same cargo command.
        const installed = await run(INSTALL, ['--prebuilt', SIDECAST_EXTENSION, '--extension-dir', extensions, '--ini-dir', confD]);
        assert.equal(installed.code, 0, installed.stderr);
        assert.match(installed.stdout, /Installed .*extensions\/sidecast\.so/);

        // No php.ini but an empty one: only what the script wrote counts.
        const emptyIni = join(scratch.dir, 'php.ini');
        writeFileSync(emptyIni, '');
        const byName = await run('php', ['-c', emptyIni, '-d', `extension_dir=${extensions}`, '-d', 'extension=sidecast', '-m']);
        assert.match(byName.stdout, /^sidecast$/m, byName.stderr);

        const throughIni = { env: { PHP_INI_SCAN_DIR: confD } };
        const modules = await run('php', ['-c', emptyIni, '-d', `extension_dir=${extensions}`, '-m'], throughIni);
        assert.match(modules.stdout, /^sidecast$/m, 'the ini file loads it');
        const info = await run('php', ['-c', emptyIni, '-d', `extension_dir=${extensions}`, '--ri', 'sidecast'], throughIni);
        assert.equal(info.code, 0, info.stderr);
        assert.match(info.stdout, /sidecast support => enabled/);
        assert.match(info.stdout, /sidecast\.socket => \/run\/sidecast\/sidecast\.sock/);
        assert.match(info.stdout, /sidecast\.buffer_bytes => 8M/);
        scratch.remove();
    });

    test('a prebuilt file that this PHP cannot load is refused before anything is installed', async () => {
        const scratch = tempDir();
        const notAModule = join(scratch.dir, 'sidecast.so');
        writeFileSync(notAModule, 'not a shared object');
        const result = await run(INSTALL, ['--prebuilt', notAModule, '--extension-dir', join(scratch.dir, 'ext'), '--no-ini']);
        assert.equal(result.code, 1);
        assert.match(result.stderr, /sidecast\.so does not load in \/usr\/bin\/php: build it for PHP 8\.\d/);
        assert.ok(!existsSync(join(scratch.dir, 'ext')), 'nothing installed');
        scratch.remove();
    });

    test('scripts/package-extension.sh packs sidecast.so as the release asset PIE looks for', async () => {
        const packed = await run(join(ROOT, 'scripts/package-extension.sh'), ['0.1.0', '--prebuilt', SIDECAST_EXTENSION]);
        assert.equal(packed.code, 0, packed.stderr);
        const asset = join(ROOT, packed.stdout.trim());
        const phpVersion = (await run('php', ['-r', 'echo PHP_MAJOR_VERSION.".".PHP_MINOR_VERSION;'])).stdout;
        assert.match(asset, new RegExp(`/target/pie/php_sidecast-0\\.1\\.0_php${phpVersion.replace('.', '\\.')}-(x86_64|arm64)-linux-glibc-nts\\.zip$`));
        const listed = await run('unzip', ['-Z1', asset]);
        assert.deepEqual(listed.stdout.trim().split('\n'), ['sidecast.so'], 'the .so alone, at the top');
        const scratch = tempDir();
        await run('unzip', ['-q', asset, '-d', scratch.dir]);
        const loaded = await run('php', ['-n', '-d', `extension=${join(scratch.dir, 'sidecast.so')}`, '-m']);
        assert.match(loaded.stdout, /^sidecast$/m, loaded.stderr);
        scratch.remove();
        const refused = await run(join(ROOT, 'scripts/package-extension.sh'), ['latest']);
        assert.equal(refused.code, 2);
        assert.match(refused.stderr, /"latest" is not a version such as 1\.2\.3/);
    });

    /** A stand-in `php` and `php-config` reporting `version`, `versionId` and `zts`. */
    function fakePhp(dir, { version, versionId, zts }) {
        const bin = join(dir, 'bin');
        mkdirSync(bin);
        writeFileSync(join(bin, 'php'), `#!/bin/sh\necho "${version} ${versionId} ${zts}"\n`);
        writeFileSync(join(bin, 'php-config'), `#!/bin/sh\ncase "$1" in --vernum) echo ${versionId};; --version) echo ${version};; esac\n`);
        chmodSync(join(bin, 'php'), 0o755);
        chmodSync(join(bin, 'php-config'), 0o755);
        return join(bin, 'php');
    }

    for (const [build, expected] of [
        [{ version: '8.2', versionId: 80230, zts: 1 }, /thread-safe \(ZTS\); the extension supports non-thread-safe \(NTS\) builds only/],
        [{ version: '8.0', versionId: 80030, zts: 0 }, /PHP 8\.0 is not supported: the extension builds for PHP 8\.1 to 8\.5/],
        [{ version: '8.6', versionId: 80600, zts: 0 }, /PHP 8\.6 is not supported/],
    ]) {
        test(`refuses PHP ${build.version}${build.zts ? ' ZTS' : ''} before building anything`, async () => {
            const scratch = tempDir();
            const result = await run(INSTALL, ['--php', fakePhp(scratch.dir, build), '--extension-dir', join(scratch.dir, 'ext')]);
            assert.equal(result.code, 1);
            assert.match(result.stderr, expected);
            assert.doesNotMatch(result.stdout, /Building/);
            scratch.remove();
        });
    }
});
