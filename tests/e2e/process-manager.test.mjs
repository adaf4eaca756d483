// The sidecar as a process manager runs it beside php-fpm: started from options alone, with a
// socket PHP's group may use, a low open-files soft limit to raise, and `status` and `stop`
// finding it by its socket.

import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';

import { freePort, runSidecast, startSidecar, startSidecastIn, stopAll, tempDir } from './support/processes.mjs';
import { publish, publishFrame } from './support/wire.mjs';

after(stopAll);

/** The soft and hard "Max open files" of a running process. */
function openFilesLimits(pid) {
    const line = readFileSync(`/proc/${pid}/limits`, 'utf8').split('\n').find((l) => l.startsWith('Max open files'));
    const [soft, hard] = line.replace('Max open files', '').trim().split(/\s+/);
    return { soft: Number(soft), hard: Number(hard) };
}

describe('started from options, under a low open-files soft limit', () => {
    test('the socket gets the group and mode asked for, and the soft limit is raised to the hard one', async () => {
        const scratch = tempDir();
        const socket = join(scratch.dir, 'run/sidecast.sock');
        const sidecar = await startSidecar({
            dir: scratch.dir,
            socket,
            args: ['--socket-group', 'nogroup', '--socket-mode', '0660'],
            launcher: ['sh', '-c', 'ulimit -Sn 1024 && exec "$0" "$@"'],
        });
        const limits = openFilesLimits(sidecar.pid);
        assert.ok(limits.hard > 1024, `the test needs a hard limit above 1024, found ${limits.hard}`);
        assert.equal(limits.soft, limits.hard, 'soft limit raised to the hard limit');
        assert.match(sidecar.output, new RegExp(`raised the open-files limit from=1024 to=${limits.hard}`));

        const file = statSync(socket);
        assert.equal(file.gid, 65534, 'group nogroup');
        assert.equal(file.mode & 0o777, 0o660);
        assert.equal(statSync(join(scratch.dir, 'run')).gid, 65534, 'the directory it created has the group too');
        await sidecar.stop();
        scratch.remove();
    });

    test('a mode that lets everybody connect, or an unknown group, stops the start with the reason', async () => {
        const scratch = tempDir();
        const common = ['start', '--port', String(await freePort()), '--socket', join(scratch.dir, 's.sock')];
        const open = await runSidecast([...common, '--socket-mode', '666']);
        assert.equal(open.code, 1);
        assert.match(open.stderr, /socket mode 0666 lets every local user connect/);
        const unknown = await runSidecast([...common, '--socket-group', 'no-such-group']);
        assert.equal(unknown.code, 1);
        assert.match(unknown.stderr, /there is no group "no-such-group"/);
        assert.ok(!existsSync(join(scratch.dir, 's.sock')));
        scratch.remove();
    });
});

describe('status and stop without a config file', () => {
    test('find the sidecar by the socket given to them', async () => {
        const scratch = tempDir();
        const sidecar = await startSidecar({ dir: scratch.dir });
        await publish(sidecar.socket, publishFrame({ channels: ['orders'], event: 'Shipped', payload: '{}' }));

        const status = await runSidecast(['status', '--socket', sidecar.socket], { cwd: scratch.dir });
        assert.equal(status.code, 0, status.stderr);
        assert.match(status.stdout, new RegExp(`^running \\(pid ${sidecar.pid}, socket ${sidecar.socket}\\)`));
        assert.match(status.stdout, /\nevents in +Unix socket 1, HTTP API 0, Redis 0, client events 0\n/);
        const json = await runSidecast(['status', '--json', '--socket', sidecar.socket], { cwd: scratch.dir });
        assert.equal(json.code, 0, json.stderr);
        const figures = JSON.parse(json.stdout);
        assert.equal(figures.pid, sidecar.pid);
        assert.equal(figures.publications, 1);
        assert.equal(figures.sidecar.events_in.unix_socket, 1);

        const stopped = await runSidecast(['stop'], { cwd: scratch.dir, env: { SIDECAST_SOCKET: sidecar.socket } });
        assert.equal(stopped.code, 0, stopped.stderr);
        assert.match(stopped.stdout, new RegExp(`Closed the running server \\(pid ${sidecar.pid}\\)`));
        assert.deepEqual(await sidecar.exited, { code: 0, signal: null });
        assert.ok(!existsSync(sidecar.socket), 'it removed its socket');

        const after = await runSidecast(['status', '--socket', sidecar.socket], { cwd: scratch.dir });
        assert.equal(after.code, 3);
        assert.match(after.stdout, /^not running .*nothing listens at/);
        const again = await runSidecast(['stop', '--socket', sidecar.socket], { cwd: scratch.dir });
        assert.equal(again.code, 1);
        assert.match(again.stderr, /no server to stop/);
        scratch.remove();
    });

    test('a process listening at the socket that is not a sidecar is never stopped', async () => {
        const scratch = tempDir();
        const socket = join(scratch.dir, 'other.sock');
        const { createServer } = await import('node:net');
        const stranger = createServer((connection) => connection.on('data', () => {}));
        await new Promise((ok) => stranger.listen(socket, ok));
        const stopped = await runSidecast(['stop', '--socket', socket], { cwd: scratch.dir });
        assert.equal(stopped.code, 1);
        assert.match(stopped.stderr, new RegExp(`process ${process.pid} listens there but does not answer as sidecast does`));
        stranger.close();
        scratch.remove();
    });

    test('in a Laravel app, the sidecar, status and stop agree on storage/sidecast/sidecast.sock by themselves', async () => {
        const app = tempDir();
        writeFileSync(join(app.dir, 'artisan'), '#!/usr/bin/env php\n');
        mkdirSync(join(app.dir, 'storage'));
        const sidecar = await startSidecastIn(app.dir, { args: ['--port', String(await freePort())] });
        const socket = join(app.dir, 'storage/sidecast/sidecast.sock');
        assert.ok(statSync(socket).isSocket());

        const status = await runSidecast(['status'], { cwd: app.dir });
        assert.equal(status.code, 0, status.stderr);
        assert.match(status.stdout, new RegExp(`^running \\(pid ${sidecar.pid}, socket ${socket}\\)`));
        const stopped = await runSidecast(['stop'], { cwd: app.dir });
        assert.equal(stopped.code, 0, stopped.stderr);
        assert.deepEqual(await sidecar.exited, { code: 0, signal: null });
        app.remove();
    });
});
