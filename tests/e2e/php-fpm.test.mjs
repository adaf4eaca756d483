// The PHP extension under php-fpm (Debian's php8.2-fpm, driven over FastCGI with cgi-fcgi from
// libfcgi-bin). php-fpm runs module start-up once in the master and then forks its workers, so
// the extension must start nothing before a worker first uses it; from then on each worker keeps
// one writer, one answer reader and one connection to the sidecar across all its requests.

import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { VARIANTS, afterEverythingSoFar, connectEcho, eventually, untilSubscribed } from './support/echo-clients.mjs';
import { ROOT, SIDECAST_EXTENSION, sleep, startSidecar, stopAll, tempDir } from './support/processes.mjs';

// Stops whatever a failing test left running, so the file's process can end.
after(stopAll);

const FIXTURES = join(ROOT, 'tests/e2e/fixtures/php-fpm');
const WORKER_SCRIPT = join(FIXTURES, 'worker.php');
const WORKERS = 4;
const BROADCASTS = 200;
// Requests in flight at once: more than there are workers, so that every worker is kept busy.
const CONCURRENCY = 2 * WORKERS;
// Thread names (/proc/<pid>/task/<tid>/comm) of what the extension starts on first use; the
// kernel keeps 15 characters, so "sidecast-answers" reads "sidecast-answer".
const EXTENSION_THREADS = ['sidecast-answer', 'sidecast-writer'];

/** Runs `command` to completion; rejects with its output when it fails. */
function run(command, args, options = {}) {
    return new Promise((ok, fail) => {
        execFile(command, args, { timeout: 15000, ...options }, (error, stdout, stderr) => (error
            ? fail(new Error(`${command} ${args.join(' ')} failed: ${error.message}\n${stdout}${stderr}`))
            : ok(stdout)));
    });
}

/** Names of the threads of process `pid`. */
function threadsOf(pid) {
    return readdirSync(`/proc/${pid}/task`).map((tid) => readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim()).sort();
}

/** Inodes of the sockets process `pid` holds, once each. */
function socketsOf(pid) {
    const inodes = new Set();
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
        let target;
        try {
            target = readlinkSync(`/proc/${pid}/fd/${fd}`);
        } catch (error) {
            if (error.code === 'ENOENT') continue; // closed since the listing
            throw error;
        }
        const socket = /^socket:\[(\d+)\]$/.exec(target);
        if (socket) inodes.add(Number(socket[1]));
    }
    return [...inodes].sort((a, b) => a - b);
}

/**
 * The inodes of the client ends of the connections the sidecar has accepted on `socketPath`:
 * `ss` lists each accepted connection with the socket path as its local address and the peer's
 * socket inode, which is what the connecting process holds.
 */
async function sidecarPeers(socketPath) {
    const rows = (await run('ss', ['-xnH', 'state', 'established'])).split('\n').map((row) => row.trim().split(/\s+/));
    // Columns without the state filter's State column: Netid Recv-Q Send-Q Local Port Peer Port.
    return rows.filter((columns) => columns[3] === socketPath).map((columns) => Number(columns[6])).sort((a, b) => a - b);
}

/** The pids of the direct children of `pid`. */
function childrenOf(pid) {
    return readdirSync(`/proc/${pid}/task`)
        .flatMap((tid) => readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim().split(/\s+/))
        .filter(Boolean)
        .map(Number)
        .sort((a, b) => a - b);
}

// Every php-fpm this file started, stopped again (a no-op if already stopped) at its end.
const stopOnExit = new Set();
after(() => Promise.all([...stopOnExit].map((fpm) => fpm.stop())));

/**
 * Starts php-fpm in the foreground with the fixture configuration, its files in `dir`, and the
 * extension loaded on top of Debian's php.ini and conf.d. Resolves once every worker is forked.
 */
async function startPhpFpm(dir) {
    const log = join(dir, 'php-fpm.log');
    const args = ['-d', `extension=${SIDECAST_EXTENSION}`, '-y', join(FIXTURES, 'php-fpm.conf'), '-F'];
    // php-fpm refuses to start its pool as root unless told it may.
    if (process.getuid() === 0) args.push('-R');
    const env = { ...process.env, FPM_DIR: dir, FPM_WORKERS: String(WORKERS) };
    // Built with systemd support, php-fpm would report to the service manager running the tests.
    delete env.NOTIFY_SOCKET;
    // Its own process group, so that stop() can end workers a lost master would leave behind.
    const child = spawn('php-fpm8.2', args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env });
    let output = '';
    for (const stream of [child.stdout, child.stderr]) stream.on('data', (chunk) => { output += chunk; });
    let ended = false;
    const exited = new Promise((ok) => {
        child.once('exit', (code, signal) => ok({ code, signal }));
        child.once('error', (error) => ok({ error }));
    }).finally(() => { ended = true; });
    const readLog = () => (existsSync(log) ? readFileSync(log, 'utf8') : '');

    const fpm = {
        pid: child.pid,
        socket: join(dir, 'php-fpm.sock'),
        readLog,
        /** SIGQUIT, php-fpm's graceful stop; SIGKILL to the group if it is not over in 15 s. */
        async stop() {
            if (child.pid === undefined) return exited; // never started
            if (!ended) {
                process.kill(child.pid, 'SIGQUIT');
                const timer = setTimeout(() => process.kill(-child.pid, 'SIGKILL'), 15000);
                await exited;
                clearTimeout(timer);
            }
            try {
                process.kill(-child.pid, 'SIGKILL');
            } catch (error) {
                if (error.code !== 'ESRCH') throw error;
            }
            return exited;
        },
    };
    stopOnExit.add(fpm);

    const deadline = Date.now() + 15000;
    while (ended || !(readLog().includes('ready to handle connections') && childrenOf(child.pid).length === WORKERS)) {
        if (ended || Date.now() > deadline) {
            const exit = await fpm.stop();
            throw new Error(`php-fpm did not start ${WORKERS} workers (${exit.error?.message ?? JSON.stringify(exit)});`
                + `\n--- its output:\n${output}\n--- its error_log:\n${readLog()}`);
        }
        await sleep(20);
    }
    return Object.assign(fpm, { workers: childrenOf(child.pid) });
}

/**
 * One FastCGI request for the worker script through cgi-fcgi, which passes its environment as
 * the request's parameters; resolves with the script's JSON report.
 */
async function fpmRequest(fpm, sidecarSocket, queryString) {
    const response = await run('cgi-fcgi', ['-bind', '-connect', fpm.socket], {
        env: {
            PATH: process.env.PATH,
            SCRIPT_FILENAME: WORKER_SCRIPT,
            REQUEST_METHOD: 'GET',
            QUERY_STRING: queryString,
            SIDECAST_SOCKET: sidecarSocket,
        },
    });
    const separator = response.indexOf('\r\n\r\n');
    assert.notEqual(separator, -1, `a CGI response has headers and a body:\n${response}`);
    const headers = response.slice(0, separator);
    const body = response.slice(separator + 4);
    assert.doesNotMatch(headers, /^Status:/im, `the script answered with an error:\n${response}`);
    assert.match(headers, /^Content-Type: application\/json/im, `the script's report, not an error page:\n${response}`);
    return JSON.parse(body);
}

/** The sidecar's own figures, asked by a PHP CLI process of its own. */
async function serverStats(sidecarSocket) {
    const stdout = await run('php', ['-d', `extension=${SIDECAST_EXTENSION}`, '-r',
        'echo json_encode((new Sidecast\\Broadcaster($argv[1]))->stats()["server"]);', sidecarSocket]);
    return JSON.parse(stdout);
}

/** Waits until the async `condition()` holds; fails with `what` after `timeoutMs`. */
async function until(condition, what, timeoutMs = 10000) {
    const deadline = Date.now() + timeoutMs;
    while (!(await condition())) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await sleep(20);
    }
}

/** Elements of `a` that are also in `b`. */
const common = (a, b) => a.filter((x) => b.includes(x));

describe('the extension under php-fpm', () => {
    const scratch = tempDir();
    let sidecar;
    let fpm;
    let listener;
    let masterSockets;
    // Filled by the broadcasting test, checked by the ones after it.
    const reports = [];
    let publicationsBefore;

    before(async () => {
        // At debug level the sidecar logs each publisher connection with the peer's pid.
        sidecar = await startSidecar({ dir: scratch.dir, env: { SIDECAST_LOG: 'debug' } });
        fpm = await startPhpFpm(scratch.dir);
        masterSockets = socketsOf(fpm.pid);
    });

    after(async () => {
        listener?.close();
        await fpm?.stop();
        const exit = await sidecar?.stop();
        scratch.remove();
        assert.deepEqual(exit, { code: 0, signal: null }, 'sidecast exits 0 on SIGTERM');
    });

    test('before first use, neither the master nor any worker has a thread or a socket of the extension\'s', async () => {
        for (const pid of [fpm.pid, ...fpm.workers]) {
            assert.equal(threadsOf(pid).length, 1, `process ${pid} is single-threaded: ${threadsOf(pid)}`);
        }
        for (const pid of fpm.workers) {
            // A worker's sockets are all inherited from the master: the FastCGI listener.
            assert.deepEqual(common(socketsOf(pid), masterSockets), socketsOf(pid), `worker ${pid} has no socket of its own`);
        }
        assert.deepEqual(await sidecarPeers(sidecar.socket), [], 'nothing is connected to the sidecar');

        // A request that only looks at the extension starts nothing either.
        const report = await fpmRequest(fpm, sidecar.socket, '');
        assert.ok(fpm.workers.includes(report.pid), `a worker (${fpm.workers}) answered, not ${report.pid}`);
        assert.equal(report.loaded, true, 'the extension is loaded in the worker');
        assert.equal(report.before.threads.length, 1, `one thread during the request: ${report.before.threads}`);
        assert.equal(threadsOf(report.pid).length, 1, 'one thread after the request');
        assert.deepEqual(await sidecarPeers(sidecar.socket), [], 'still nothing is connected to the sidecar');
    });

    test(`${BROADCASTS} broadcasting requests: every worker loads the extension and keeps one writer, one reader and one connection`, async () => {
        // An Echo client on the channel, to count deliveries in the next test.
        listener = await connectEcho(VARIANTS[1], { url: sidecar.url, transports: ['websocket'], channel: 'fpm', listeners: ['.Ping'] });
        await untilSubscribed([listener], sidecar.socket);
        publicationsBefore = (await serverStats(sidecar.socket)).publications;

        // Requests go out CONCURRENCY at a time until BROADCASTS were made and every worker has
        // answered at least one.
        const deadline = Date.now() + 120000;
        let next = 1;
        let failed = false;
        const everyWorkerAnswered = () => fpm.workers.every((pid) => reports.some((report) => report.pid === pid));
        const lane = async () => {
            while (!failed && (next <= BROADCASTS || !everyWorkerAnswered())) {
                if (Date.now() > deadline) throw new Error(`${reports.length} requests within the deadline, answered by ${new Set(reports.map((r) => r.pid))}`);
                const request = next;
                next += 1;
                try {
                    reports.push({ request, ...await fpmRequest(fpm, sidecar.socket, `request=${request}`) });
                } catch (error) {
                    failed = true;
                    throw error;
                }
            }
        };
        await Promise.all(Array.from({ length: CONCURRENCY }, lane));

        const answeredBy = [...new Set(reports.map((report) => report.pid))].sort((a, b) => a - b);
        assert.deepEqual(answeredBy, fpm.workers, 'the workers forked at start-up answered, every one of them');
        for (const report of reports) {
            assert.equal(report.loaded, true, `request ${report.request}: the extension is loaded`);
            assert.equal(report.flushed, true, `request ${report.request}: flush(5.0) saw the event acknowledged`);
            // `sent` also counts the stats() question; `acknowledged` is checked per worker below.
            const { sent, acknowledged, ...rest } = report.client;
            assert.deepEqual(rest, { refused: 0, dropped: 0, reconnects: 0, buffered: 0, buffered_bytes: 0, connected: true },
                `request ${report.request}: stats()['client']`);
        }

        // The connections the sidecar holds are exactly one per worker; they are still open, as
        // the workers keep them between requests.
        const peers = await sidecarPeers(sidecar.socket);
        assert.equal(peers.length, WORKERS, `the sidecar holds one connection per worker: ${peers}`);
        for (const pid of fpm.workers) {
            const own = reports
                .filter((report) => report.pid === pid)
                .sort((a, b) => a.client.acknowledged - b.client.acknowledged);
            // The counters are the process's: its k-th broadcast is its k-th acknowledgement.
            assert.deepEqual(own.map((report) => report.client.acknowledged), own.map((_, i) => i + 1),
                `worker ${pid}: one acknowledgement per broadcast, counted in the one process`);

            const [first, ...later] = own;
            const main = first.before.threads;
            assert.equal(main.length, 1, `worker ${pid}: one thread until its first broadcast`);
            assert.deepEqual(first.after.threads, [...main, ...EXTENSION_THREADS].sort(),
                `worker ${pid}: the first broadcast starts the writer and the answer reader`);
            const connection = common(first.after.sockets, peers);
            assert.equal(connection.length, 1, `worker ${pid} holds one socket connected to the sidecar`);
            assert.deepEqual(first.after.sockets.filter((inode) => !first.before.sockets.includes(inode)), connection,
                `worker ${pid}: the first broadcast opens that one socket and nothing else`);

            for (const report of later) {
                assert.deepEqual(report.before.threads, first.after.threads, `worker ${pid}, request ${report.request}: the same threads before`);
                assert.deepEqual(report.after.threads, first.after.threads, `worker ${pid}, request ${report.request}: and after`);
                assert.deepEqual(report.after.sockets, report.before.sockets, `worker ${pid}, request ${report.request}: no socket opened`);
                assert.deepEqual(common(report.after.sockets, peers), connection, `worker ${pid}, request ${report.request}: the same connection`);
            }
            assert.deepEqual(threadsOf(pid), first.after.threads, `worker ${pid} keeps its threads between requests`);
        }

        // The sidecar's own record: over the whole run, each worker connected exactly once.
        const connectedPids = [...sidecar.output.matchAll(/publisher connected connection=\d+ peer_pid=Some\((\d+)\)/g)].map((m) => Number(m[1]));
        for (const pid of fpm.workers) {
            assert.equal(connectedPids.filter((p) => p === pid).length, 1, `the sidecar logged one connection from worker ${pid}`);
        }
        // The master ran module start-up and never broadcast: it has started nothing.
        assert.equal(threadsOf(fpm.pid).length, 1, 'the master is still single-threaded');
        assert.deepEqual(socketsOf(fpm.pid), masterSockets, 'the master opened no socket');
    });

    test('the sidecar took every event once and the Echo client received each once', async () => {
        assert.ok(reports.length >= BROADCASTS, `the previous test made ${reports.length} requests`);
        const stats = await serverStats(sidecar.socket);
        assert.equal(stats.publications - publicationsBefore, reports.length, 'one publication per broadcast');

        const received = () => listener.received.map(({ data }) => data.request);
        await eventually(() => received().length >= reports.length, `${reports.length} Ping events to reach the Echo client`);
        // Anything sent twice would have been handed over before this probe arrives.
        await afterEverythingSoFar([listener], sidecar.socket);
        assert.deepEqual(received().sort((a, b) => a - b), reports.map((report) => report.request).sort((a, b) => a - b),
            'each request\'s event exactly once');
    });

    test('a graceful stop (SIGQUIT) ends every worker with code 0 and logs no error', async () => {
        const exit = await fpm.stop();
        assert.deepEqual(exit, { code: 0, signal: null }, 'the master exits 0');
        const log = fpm.readLog();
        for (const pid of fpm.workers) {
            assert.match(log, new RegExp(`child ${pid} exited with code 0 after`), `worker ${pid} ended by itself`);
        }
        assert.doesNotMatch(log, /SIGSEGV|exited on signal|core dumped|WARNING|ERROR|sidecast:/, `a clean log:\n${log}`);
        // Nothing of the workers' is left connected to the sidecar.
        await until(async () => (await sidecarPeers(sidecar.socket)).length === 0, 'the workers\' connections to close');
    });
});
