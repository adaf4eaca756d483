// Starting and stopping the real parts an end-to-end test needs: the sidecast binary, the demo
// Laravel app under `php -S`, and artisan. Everything binds to 127.0.0.1 on a port the kernel
// picked, lives in a fresh temporary directory, and is stopped by its pid.

import { spawn, execFile } from 'node:child_process';
import { createReadStream, mkdtempSync, rmSync, existsSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(fileURLToPath(import.meta.url), '../../../..');
export const DEMO_APP = join(ROOT, 'examples/demo-app');
export const SIDECAST_BIN = process.env.SIDECAST_BIN ?? join(ROOT, 'target/release/sidecast');
export const SIDECAST_EXTENSION = process.env.SIDECAST_EXTENSION ?? join(ROOT, 'target/release/libsidecast.so');

for (const [what, path] of [['the sidecast binary', SIDECAST_BIN], ['the PHP extension', SIDECAST_EXTENSION],
    ['the demo app\'s vendor/ (composer update)', join(DEMO_APP, 'vendor/autoload.php')]]) {
    if (!existsSync(path)) {
        throw new Error(`${what} is missing at ${path}: run ./scripts/test.sh, which builds it`);
    }
}

/** A port nobody listens on right now. */
export async function freePort() {
    const server = createServer();
    await new Promise((ok, fail) => server.once('error', fail).listen(0, '127.0.0.1', ok));
    const { port } = server.address();
    await new Promise((ok) => server.close(ok));
    return port;
}

/** A fresh directory, removed by the returned function. */
export function tempDir() {
    const dir = mkdtempSync(join(tmpdir(), 'sidecast-e2e-'));
    return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Every child still running, so a test file can stop whatever a failed test left behind. */
const running = new Set();

/** Stops every child this process started that is still running. */
export async function stopAll() {
    await Promise.all([...running].map((child) => child.stop()));
}

/** A child process whose output is kept, with a way to wait for a line and to stop it. */
class Child {
    constructor(command, args, options) {
        this.output = '';
        // Its own process group, so that stop() also ends what it forked (php -S workers
        // outlive a signalled master otherwise).
        this.process = spawn(command, args, { ...options, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
        this.pid = this.process.pid;
        running.add(this);
        this.exited = new Promise((ok) => this.process.once('exit', (code, signal) => {
            running.delete(this);
            ok({ code, signal });
        }));
        for (const stream of [this.process.stdout, this.process.stderr]) {
            stream.setEncoding('utf8');
            stream.on('data', (chunk) => { this.output += chunk; });
        }
    }

    /** Resolves once the output contains `text`; rejects if the process exits first. */
    async waitForOutput(text, timeoutMs = 15000) {
        const deadline = Date.now() + timeoutMs;
        let exited = false;
        this.exited.then(() => { exited = true; });
        while (!this.output.includes(text)) {
            if (exited) throw new Error(`process exited before printing "${text}":\n${this.output}`);
            if (Date.now() > deadline) throw new Error(`no "${text}" within ${timeoutMs} ms:\n${this.output}`);
            await sleep(20);
        }
    }

    /**
     * Sends `signal` to the process and waits for its exit (SIGKILL after `graceMs`), then ends
     * whatever else is left in its process group.
     */
    async stop(signal = 'SIGTERM', graceMs = 5000) {
        if (this.process.exitCode === null && this.process.signalCode === null) {
            process.kill(this.pid, signal);
            const timer = setTimeout(() => process.kill(this.pid, 'SIGKILL'), graceMs);
            await this.exited;
            clearTimeout(timer);
        }
        try {
            process.kill(-this.pid, 'SIGKILL');
        } catch (error) {
            if (error.code !== 'ESRCH') throw error;
        }
        return this.exited;
    }
}

export const sleep = (ms) => new Promise((ok) => setTimeout(ok, ms));

/** Starts `command` with `args` as a kept child (output, `waitForOutput`, `stop`). */
export function startProcess(command, args, options = {}) {
    return new Child(command, args, { ...options, env: { ...process.env, ...(options.env ?? {}) } });
}

/**
 * Starts `sidecast start` on a free port and a socket in `dir`; resolves once it listens.
 * `launcher` is a command line that runs it (`['sh', '-c', 'ulimit -Sn 1024; exec "$0" "$@"']`).
 */
export async function startSidecar({ dir, port, socket = join(dir, 'sidecast.sock'), args = [], env = {}, launcher = [] }) {
    port ??= await freePort();
    const command = [...launcher, SIDECAST_BIN, 'start', '--host', '127.0.0.1', '--port', String(port), '--socket', socket, ...args];
    const child = new Child(command[0], command.slice(1), {
        env: { ...process.env, SIDECAST_LOG: process.env.SIDECAST_LOG ?? 'info', ...env },
    });
    await child.waitForOutput('sidecast is listening');
    return Object.assign(child, { port, socket, url: `http://127.0.0.1:${port}` });
}

/**
 * Starts `sidecast start` in `cwd` the way a laravel-echo-server user would, with nothing but
 * `args` on the command line; `env` adds variables. Resolves once it listens.
 */
export async function startSidecastIn(cwd, { args = [], env = {} } = {}) {
    const child = new Child(SIDECAST_BIN, ['start', ...args], {
        cwd,
        env: { ...process.env, SIDECAST_LOG: process.env.SIDECAST_LOG ?? 'info', ...env },
    });
    await child.waitForOutput('sidecast is listening');
    return child;
}

/** Runs `sidecast` with `args` to completion, in `cwd`, with `input` on its stdin. */
export function runSidecast(args, { cwd, env = {}, input } = {}) {
    return new Promise((ok) => {
        const child = execFile(SIDECAST_BIN, args, { cwd, env: { ...process.env, ...env }, timeout: 15000 },
            (error, stdout, stderr) => ok({ code: error?.code ?? 0, stdout, stderr }));
        if (input !== undefined) child.stdin.end(input);
    });
}

/**
 * A redis-server on a free loopback port, with no persistence; resolves once it is ready.
 * `args` are added to its command line (`--replicaof …`, TLS files).
 */
export async function startRedis({ port, args = [] } = {}) {
    port ??= await freePort();
    // A directory of its own: a replica writes the master's data there (dump.rdb), and the
    // next server started in the same directory would load it.
    const dir = mkdtempSync(join(tmpdir(), 'sidecast-redis-'));
    const child = new Child('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', ...args], {});
    child.exited.then(() => rmSync(dir, { recursive: true, force: true }));
    await child.waitForOutput('Ready to accept connections');
    return Object.assign(child, { port });
}

/**
 * A Redis Cluster of `masters` masters, each with `replicas` replicas, on free loopback ports
 * (each server also needs its port + 10000 for the cluster bus). Resolves once every slot is
 * covered; `servers` are the redis-server children, `ports` their ports.
 */
export async function startRedisCluster({ masters = 3, replicas = 0 } = {}) {
    const ports = [];
    while (ports.length < masters * (1 + replicas)) {
        const port = await freePort();
        if (port < 55000 && !ports.includes(port) && await portIsFree(port + 10000)) ports.push(port);
    }
    const servers = [];
    for (const port of ports) {
        servers.push(await startRedis({
            port,
            args: ['--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`, '--cluster-node-timeout', '2000'],
        }));
    }
    await new Promise((ok, fail) => {
        execFile('redis-cli', ['--cluster', 'create', ...ports.map((port) => `127.0.0.1:${port}`),
            '--cluster-replicas', String(replicas), '--cluster-yes'], { timeout: 30000 },
        (error, stdout, stderr) => (error ? fail(new Error(`redis-cli --cluster create: ${stdout}${stderr}`)) : ok()));
    });
    const ready = async (port) => {
        const nodes = await redisCli(port, ['CLUSTER', 'NODES']);
        const replicasKnown = nodes.split('\n').filter((line) => (line.split(' ')[2] ?? '').includes('slave')).length;
        return (await redisCli(port, ['CLUSTER', 'INFO'])).includes('cluster_state:ok') && replicasKnown === masters * replicas;
    };
    for (const port of ports) {
        for (const deadline = Date.now() + 15000; !(await ready(port));) {
            if (Date.now() > deadline) throw new Error(`the Redis Cluster is not ready at ${port}`);
            await sleep(100);
        }
    }
    return { servers, ports, stop: () => Promise.all(servers.map((server) => server.stop())) };
}

async function portIsFree(port) {
    const server = createServer();
    const free = await new Promise((ok) => server.once('error', () => ok(false)).listen(port, '127.0.0.1', () => ok(true)));
    if (free) await new Promise((ok) => server.close(ok));
    return free;
}

/** A Redis Sentinel watching the master at `masterPort` as `name`, quick to fail over. */
export async function startSentinel(dir, { name, masterPort }) {
    const port = await freePort();
    const file = join(dir, `sentinel-${port}.conf`);
    writeFileSync(file, [
        `port ${port}`,
        'bind 127.0.0.1',
        `dir ${dir}`,
        `sentinel monitor ${name} 127.0.0.1 ${masterPort} 1`,
        `sentinel down-after-milliseconds ${name} 1000`,
        `sentinel failover-timeout ${name} 5000`,
    ].join('\n'));
    const child = new Child('redis-server', [file, '--sentinel'], {});
    await child.waitForOutput(`+monitor master ${name}`);
    return Object.assign(child, { port });
}

/** `redis-cli -p <port> ...args`, with the file `input` on its stdin; resolves with its output. */
export function redisCli(port, args, input) {
    return new Promise((ok, fail) => {
        const child = execFile('redis-cli', ['-p', String(port), ...args], { timeout: 10000, maxBuffer: 64 * 1024 * 1024 },
            (error, stdout, stderr) => (error ? fail(new Error(`redis-cli ${args.join(' ')}: ${stderr}`)) : ok(stdout.trim())));
        if (input !== undefined) createReadStream(input).pipe(child.stdin);
    });
}

/** PHP arguments that load the extension, or nothing for the plain-PHP transport. */
function phpArgs(extension) {
    return extension ? ['-d', `extension=${SIDECAST_EXTENSION}`] : [];
}

/** Environment of the demo app, pointed at a sidecar. */
export function appEnv(sidecar, extra = {}) {
    return {
        ...process.env,
        BROADCAST_DRIVER: 'sidecast',
        ...(sidecar ? { SIDECAST_SOCKET: sidecar.socket, SIDECAST_PORT: String(sidecar.port) } : {}),
        ...extra,
    };
}

/**
 * Serves the demo Laravel app with `php -S`; resolves once it answers. `workers` > 1 lets it
 * answer requests in parallel (PHP_CLI_SERVER_WORKERS).
 */
export async function startLaravel({ sidecar, extension, port, workers = 1, env = {} }) {
    port ??= await freePort();
    const child = new Child('php', [...phpArgs(extension), '-S', `127.0.0.1:${port}`, '-t', 'public', 'server.php'], {
        cwd: DEMO_APP,
        env: appEnv(sidecar, { ...(workers > 1 ? { PHP_CLI_SERVER_WORKERS: String(workers) } : {}), ...env }),
    });
    const url = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 15000;
    for (;;) {
        try {
            const response = await fetch(`${url}/`);
            if (response.ok) break;
            throw new Error(`GET / answered ${response.status}: ${await response.text()}`);
        } catch (error) {
            if (Date.now() > deadline || child.process.exitCode !== null) {
                await child.stop();
                throw new Error(`the Laravel app did not come up: ${error.message}\n${child.output}`);
            }
            await sleep(50);
        }
    }
    return Object.assign(child, { port, url });
}

/** Runs `php artisan ...args` in the demo app; rejects with its output when it fails. */
export function artisan(args, { sidecar, extension, env = {} }) {
    return new Promise((ok, fail) => {
        execFile('php', [...phpArgs(extension), 'artisan', ...args], { cwd: DEMO_APP, env: appEnv(sidecar, env), timeout: 30000 },
            (error, stdout, stderr) => (error ? fail(new Error(`artisan ${args.join(' ')} failed: ${stdout}${stderr}`)) : ok(stdout)));
    });
}

/** Starts a long-running `php artisan ...args` in the demo app (`sidecast:listen`) as a kept child. */
export function startArtisan(args, { sidecar, extension, env = {} }) {
    return new Child('php', [...phpArgs(extension), 'artisan', ...args], { cwd: DEMO_APP, env: appEnv(sidecar, env) });
}

/**
 * Starts `php [extension] script ...args` with `env` added; the child's output is kept and
 * `exited` resolves with its exit status.
 */
export function startPhp(script, args = [], { extension, env = {}, cwd = ROOT } = {}) {
    return new Child('php', [...phpArgs(extension), script, ...args], { cwd, env: { ...process.env, ...env } });
}
