// Writes the "servers" section of docs/benchmarks.md, between <!-- servers:start --> and
// <!-- servers:end --> (appended when the file has none; the rest of the file is kept), and its
// charts beside it in docs/benchmarks/, from the results bench/servers/run.sh left: manifest.jsonl
// (one line per measurement) and N.json (sidecast-loadgen's JSON report of measurement N).
// The run's circumstances come from BENCH_* environment variables set by scripts/bench.sh.
//
// Usage: node bench/servers/report.mjs RESULTS_DIR docs/benchmarks.md

import { readFileSync, writeFileSync, mkdirSync, existsSync, readdirSync, unlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, basename } from 'node:path';
import { lineChart } from './svg.mjs';
import { shortfall as stepShortfall } from './fanout.mjs';
import { ms, number, ratio, table, wrap, writeSection } from '../markdown.mjs';

const START = '<!-- servers:start -->';
const END = '<!-- servers:end -->';
const P99_LIMIT_MS = 50;

// The server variants bench/servers/run.sh measures, in the order of the tables' columns; `peer`
// is the variant of another server a sidecast one is compared with: laravel-echo-server for
// socket.io clients (connecting the same way), Sockudo for Pusher-protocol clients.
const PEER = 'laravel-echo-server';
const PUSHER_PEER = 'sockudo';
const VARIANTS = {
    'laravel-echo-server': { short: 'laravel-echo-server', color: '#d9822b' },
    'laravel-echo-server-polling': { short: 'laravel-echo-server, polling first', color: '#b5651d' },
    'sidecast-eio3': { short: 'sidecast EIO=3', color: '#1f6fb4', peer: PEER },
    'sidecast-eio3-polling': { short: 'sidecast EIO=3, polling first', color: '#5aa9e6', peer: 'laravel-echo-server-polling' },
    'sidecast-eio4': { short: 'sidecast EIO=4', color: '#2a9d4b', peer: PEER },
    'sidecast-eio3-redis': { short: 'sidecast EIO=3 via Redis', color: '#7a4fb0', peer: PEER },
    sockudo: { short: 'Sockudo', color: '#c0392b' },
    'sidecast-pusher': { short: 'sidecast Pusher', color: '#16a085', peer: PUSHER_PEER },
    'sidecast-pusher-http': { short: 'sidecast Pusher via its HTTP API', color: '#0e6655', peer: PUSHER_PEER },
};
// Left out of the latency charts, which would be unreadable with every variant.
const UNCHARTED = ['sidecast-eio3-redis', 'sidecast-pusher-http'];

const [resultsDir, documentPath] = process.argv.slice(2);
if (!resultsDir || !documentPath) {
    console.error('usage: node bench/servers/report.mjs RESULTS_DIR docs/benchmarks.md');
    process.exit(2);
}
const chartDir = join(dirname(documentPath), basename(documentPath, '.md'));
const chartLink = basename(chartDir);

const measurements = readFileSync(join(resultsDir, 'manifest.jsonl'), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
        const entry = JSON.parse(line);
        const output = readFileSync(join(resultsDir, `${entry.id}.json`), 'utf8').trim();
        entry.report = entry.status === 0 && output !== '' ? JSON.parse(output) : null;
        entry.error = entry.report ? null : lastLine(readFileSync(join(resultsDir, `${entry.id}.stderr`), 'utf8'));
        return entry;
    });

/** The machine's floor (sidecast-loadgen floor's report), or null when it was not measured. */
function readFloor() {
    const path = join(resultsDir, 'floor.json');
    const text = existsSync(path) ? readFileSync(path, 'utf8').trim() : '';
    return text === '' ? null : JSON.parse(text);
}
const floor = readFloor();

/** The measurement of scenario `scenario` with server variant `variant`, or undefined. */
function find(scenario, variant) {
    return measurements.find((entry) => entry.scenario === scenario && entry.variant === variant);
}

function scenarioSizes(prefix) {
    return [...new Set(measurements.filter((entry) => entry.scenario.startsWith(`${prefix}-`)).map((entry) => Number(entry.scenario.slice(prefix.length + 1))))];
}

function variantsOf(scenario) {
    return Object.keys(VARIANTS).filter((variant) => find(scenario, variant));
}

// ---- formatting ----

function lastLine(text) {
    const lines = text.trim().split('\n');
    return lines[lines.length - 1] || 'no output';
}

function kib(bytes) {
    return bytes === null || bytes === undefined ? '—' : `${number(bytes / 1024)} KiB`;
}

function mib(bytes) {
    return `${number(bytes / 1048576)} MiB`;
}

// ---- reading a report ----

/** Why a fan-out step does not count as sustained, or null when it does. */
function shortfall(report) {
    return stepShortfall(report, P99_LIMIT_MS);
}

function isBottleneck(warning) {
    return warning.includes('may be the bottleneck');
}

/** The step of a fan-out at its highest sustained rate, or null. */
function sustainedStep(fanout) {
    if (!fanout?.sustained) {
        return null;
    }
    return stepAt(fanout, fanout.sustained.rate);
}

// ---- sections ----

const env = (name) => process.env[name] ?? 'unknown';
const requireHere = createRequire(import.meta.url);
const echoServerPackage = requireHere('../../node_modules/laravel-echo-server/package.json');
const socketIoVersion = createRequire(requireHere.resolve('laravel-echo-server'))('socket.io/package.json').version;
const memoryTotal = Number(/MemTotal:\s+(\d+)/.exec(readFileSync('/proc/meminfo', 'utf8'))[1]) * 1024;

function header() {
    const preset = env('BENCH_PRESET');
    return [
        START,
        '## Serving Echo clients: sidecast, laravel-echo-server and Sockudo',
        '',
        `Written by \`${env('BENCH_COMMAND')}\` on ${env('BENCH_DATE')} (${preset} preset, ${env('BENCH_SERVERS_MINUTES')} minutes), commit \`${env('BENCH_COMMIT')}\`. ` +
            'Run `./scripts/bench.sh --only servers` to measure again (`--quick` for a short run: fan-out at 1,000 subscribers in coarser steps, 1,000 channels, 1,000 idle connections, shorter churn at 50 visits/s).',
        '',
        `Machine: ${env('BENCH_CPU')}, ${env('BENCH_CORES')} cores (\`nproc\`), ${mib(memoryTotal).replace(' MiB', '')} MiB RAM, ${env('BENCH_KERNEL')}; open files limit ${env('BENCH_OPEN_FILES')} per process. ` +
            `Load average (1, 5, 15 min) ${env('BENCH_LOAD_BEFORE')} when the servers part started, ${env('BENCH_LOAD_AFTER')} when it ended. ` +
            'The server, redis-server and the load generator share these cores, and so does anything else running on this shared machine.',
        '',
        `Versions: sidecast ${env('BENCH_SIDECAST_VERSION').replace('sidecast ', '')}, release build of ${env('BENCH_SIDECAST_BUILT')} from the working tree at commit \`${env('BENCH_COMMIT')}\`; laravel-echo-server ${echoServerPackage.version} (npm, socket.io ${socketIoVersion}) on Node.js ${process.versions.node}; ` +
            `${env('BENCH_SOCKUDO_VERSION') || 'Sockudo not measured'} (crates.io, \`cargo install --locked\`, its release profile); ${env('BENCH_REDIS')}; ${env('BENCH_LOADGEN_VERSION')}.`,
        '',
        '### How it was measured',
        '',
        'Every figure comes from [`sidecast-loadgen`](loadgen.md), one Rust process on the same machine: real socket.io or Pusher-protocol clients over WebSocket, each event stamped when it is handed to the server and timed when a client reads it. ' +
            'laravel-echo-server runs from its own `laravel-echo-server.json` (database `redis`, `keyPrefix` `bench_`, devMode off) and gets events through a real `redis-server`, as `PUBLISH bench_<channel>` in the format of Laravel\'s `redis` broadcaster, which is how its users feed it. ' +
            'sidecast gets them through its Unix socket, and in scenario A at 1,000 subscribers also through the same Redis, from the same config file. ' +
            'laravel-echo-server speaks only socket.io 2 (EIO=3); sidecast is measured with the same EIO=3 clients and, separately, with EIO=4 ones. ' +
            'Sockudo speaks the Pusher protocol; it runs with its default app set from the environment (`SOCKUDO_DEFAULT_APP_*`, metrics off) and gets events through its Pusher HTTP API, signed as Laravel\'s `pusher` driver signs them, one request at a time on a kept-alive connection. ' +
            'sidecast\'s Pusher front end is measured with the same Pusher clients, fed through its Unix socket, and in scenario A at 1,000 subscribers also through its own Pusher HTTP API, as Sockudo is. ' +
            'Each server gets a fresh process for every scenario (a fan-out climb keeps it for all its steps, each with fresh connections), and the servers take turns scenario by scenario, so a burst of load on the machine falls on all of them rather than on one. ' +
            'The ratio columns are sidecast ÷ its peer (laravel-echo-server for socket.io clients, Sockudo for Pusher clients): below 1 is less CPU, memory or latency; above 1 is more throughput.',
        '',
        '*Server CPU per delivery* is the server\'s CPU time (user + system, from `/proc`) from the first publish to the last delivery, divided by the deliveries. ' +
            'On two cores the generator costs about as much CPU per delivery as the server, so from some rate on it, not the server, limits throughput and latency: ' +
            'the generator then warns (*generator-bound* below), and the server\'s CPU per delivery is the figure to compare.',
        '',
    ];
}

function goals() {
    const lines = ['### Goals of the issue, and where this run stands', ''];
    const rows = [];

    const fanout1000 = fanoutResults(1000);
    const peer = fanout1000[PEER];
    const sidecast = fanout1000['sidecast-eio3'];
    if (peer && sidecast) {
        // Compared where both served the rate within the limit, and where both were pushed
        // hardest: a saturated server batches its writes, which lowers its cost per delivery.
        const bothSustained = commonRate(peer, sidecast, (step) => shortfall(step) === null);
        const bothRan = commonRate(peer, sidecast, () => true);
        const cpuAt = (rate) => [stepAt(sidecast, rate).server.cpu_per_delivery_us, stepAt(peer, rate).server.cpu_per_delivery_us];
        const describe = (rate, what) => {
            const [ours, peers] = cpuAt(rate);
            return `${number(ours)} µs against ${number(peers)} µs at ${rate} events/s (${what}), ${ratio(ours, peers)}`;
        };
        const compared = [bothSustained, bothRan].filter((rate, index, all) => rate !== null && all.indexOf(rate) === index);
        const floorNote = floor ? `; this machine's floor, one loopback write per delivery at 100 events/s, is ${number(floor.cpu_per_write_us)} µs (see *The machine's floor*)` : '';
        if (compared.length) {
            rows.push(['A, 1,000 subscribers: server CPU per delivery at most 1/10 of laravel-echo-server\'s (EIO=3)',
                compared.map((rate) => describe(rate, rate === bothSustained ? 'the highest rate both sustained' : 'the highest rate both ran')).join('; ') + floorNote,
                compared.every((rate) => cpuAt(rate)[0] * 10 <= cpuAt(rate)[1]) ? 'yes' : 'no']);
        }
        const peerSustained = peer.sustained?.deliveries_per_second ?? 0;
        const ourSustained = sidecast.sustained?.deliveries_per_second ?? 0;
        const generatorBound = sustainedStep(sidecast) && nextStep(sidecast)?.warnings.some(isBottleneck);
        rows.push(['A, 1,000 subscribers: sustained deliveries/s at p99 ≤ 50 ms well above laravel-echo-server\'s (counted as met from 2×)',
            `${number(ourSustained)} against ${number(peerSustained)} deliveries/s (${sidecast.sustained?.rate ?? 'no'} against ${peer.sustained?.rate ?? 'no'} events/s), ${ratio(ourSustained, peerSustained)}${generatorBound ? '; sidecast\'s next step was generator-bound' : ''}`,
            ourSustained >= 2 * peerSustained && ourSustained > 0 ? 'yes' : 'no']);
    }

    const fanout5000 = fanoutResults(5000);
    if (fanout5000['sidecast-eio3']) {
        const ours = fanout5000['sidecast-eio3'].sustained;
        const peers = fanout5000[PEER]?.sustained;
        const lowest = (fanout) => fanout?.steps[0];
        const atLowest = (fanout) => (lowest(fanout) ? `; at ${number(lowest(fanout).rate)} events/s p99 ${ms(lowest(fanout).latency_ms.p99)}, ${number(lowest(fanout).server.cpu_per_delivery_us)} µs of CPU per delivery` : '');
        rows.push(['A, 5,000 subscribers: p99 ≤ 50 ms at 20 events/s or more (100,000 deliveries/s); laravel-echo-server at no rate',
            `sidecast (EIO=3) sustained ${ours ? `${ours.rate} events/s (${number(ours.deliveries_per_second)} deliveries/s, p99 ${ms(ours.p99_ms)})` : 'no rate'}${atLowest(fanout5000['sidecast-eio3'])}. ` +
                `laravel-echo-server sustained ${peers ? `${peers.rate} events/s (p99 ${ms(peers.p99_ms)})` : 'no rate'}${atLowest(fanout5000[PEER])}`,
            ours && ours.rate >= 20 ? 'yes' : 'no']);
    } else {
        rows.push(['A, 5,000 subscribers: p99 ≤ 50 ms at 20 events/s or more', 'not measured by this preset', '—']);
    }

    const idle10000 = find('idle-10000', 'sidecast-eio3')?.report;
    const idle10000v4 = find('idle-10000', 'sidecast-eio4')?.report;
    const idle10000polling = find('idle-10000', 'sidecast-eio3-polling')?.report;
    const idleLargest = idle10000 ?? find(`idle-${Math.max(...scenarioSizes('idle'))}`, 'sidecast-eio3')?.report;
    if (idle10000) {
        const perConnection = idle10000.server.rss_per_connection_bytes;
        rows.push(['C: at most 8 KiB of server RSS per idle connection at 10,000 connections',
            `WebSocket clients: ${kib(perConnection)} (EIO=3), ${kib(idle10000v4?.server.rss_per_connection_bytes)} (EIO=4), laravel-echo-server ${kib(find('idle-10000', PEER)?.report?.server.rss_per_connection_bytes)}; ` +
                `polling first, then upgraded: ${kib(idle10000polling?.server.rss_per_connection_bytes)} (EIO=3), laravel-echo-server ${kib(find('idle-10000', 'laravel-echo-server-polling')?.report?.server.rss_per_connection_bytes)}`,
            [idle10000, idle10000v4, idle10000polling].every((report) => report && report.server.rss_per_connection_bytes <= 8192) ? 'yes' : 'no']);
        const held = ['sidecast-eio3', 'sidecast-eio4'].map((variant) => find('idle-10000', variant)?.report).filter(Boolean);
        const clean = held.every((report) => report.connect.connected === 10000 && report.connect.failed === 0 && report.connections.broken === 0 && report.connect.unconfirmed_subscriptions === 0);
        rows.push(['10,000 concurrent connections held with no errors',
            held.map((report) => `${report.protocol}: ${report.connect.connected} connected, ${report.connect.failed} failed, ${report.connections.broken} broken, ${report.connect.unconfirmed_subscriptions} unconfirmed`).join('; '),
            clean ? 'yes' : 'no']);
    } else if (idleLargest) {
        rows.push(['C: at most 8 KiB of server RSS per idle connection at 10,000 connections',
            `not measured by this preset; ${kib(idleLargest.server.rss_per_connection_bytes)} at ${idleLargest.connect.connected} connections`, '—']);
        rows.push(['10,000 concurrent connections held with no errors', 'not measured by this preset', '—']);
    }

    if (sidecast) {
        const at100 = stepAt(sidecast, 100);
        rows.push(['1,000 subscribers at 100 events/s: latency p50 ≤ 1 ms, p99 ≤ 5 ms (ingest to client)',
            (at100 ? `p50 ${ms(at100.latency_ms.p50)}, p99 ${ms(at100.latency_ms.p99)} (EIO=3, Unix socket)${at100.warnings.some(isBottleneck) ? '; generator-bound' : ''}` : 'sidecast did not reach 100 events/s in this run') +
                (floor ? `; one thread writing one event to 1,000 loopback connections, with no server, takes ${ms(floor.fan_out_ms_p50)} (median)` : ''),
            at100 && at100.latency_ms.p50 <= 1 && at100.latency_ms.p99 <= 5 ? 'yes' : 'no']);
    }
    lines.push(table(['goal', 'this run', 'met'], rows), '');
    lines.push('laravel-echo-server\'s figures quoted in the issue (40,000–50,000 deliveries/s sustained at 1,000 subscribers, no rate at 5,000, about 15 KiB per connection) came from another run on this kind of machine; the tables below hold this run\'s.', '');
    return lines;
}

/** The goals of the Pusher protocol issue: CPU per delivery against the floor, idle memory, and sustained throughput against every peer. */
function pusherGoals() {
    const ours = 'sidecast-pusher';
    if (!measurements.some((entry) => entry.variant === ours)) {
        return [];
    }
    const lines = ['### Goals of the Pusher protocol issue, and where this run stands', ''];
    const rows = [];
    const fanout1000 = fanoutResults(1000);
    const cpuAt = (variant, rate) => stepAt(fanout1000[variant], rate)?.server.cpu_per_delivery_us;
    if (floor) {
        const cost = cpuAt(ours, floor.rate);
        const sockudo = cpuAt(PUSHER_PEER, floor.rate);
        rows.push([`server CPU per delivery at 1,000 subscribers × ${number(floor.rate)} events/s within 1.3× the machine's floor`,
            cost === undefined
                ? `sidecast's Pusher front end did not run at ${number(floor.rate)} events/s`
                : `${number(cost)} µs against a floor of ${number(floor.cpu_per_write_us)} µs: ${ratio(cost, floor.cpu_per_write_us)}` +
                    (sockudo === undefined ? '' : `; Sockudo ${number(sockudo)} µs (${ratio(sockudo, floor.cpu_per_write_us)})`) +
                    `; sidecast's socket.io front end (EIO=3) ${number(cpuAt('sidecast-eio3', floor.rate))} µs`,
            cost !== undefined && cost <= 1.3 * floor.cpu_per_write_us ? 'yes' : 'no']);
    }
    const largest = Math.max(...scenarioSizes('idle'));
    const idle = (variant) => find(`idle-${largest}`, variant)?.report?.server.rss_per_connection_bytes;
    rows.push([`RSS per idle Pusher connection ≤ 8 KiB at 10,000 connections${largest === 10000 ? '' : ` (this preset: ${number(largest)})`}`,
        `${kib(idle(ours))}; Sockudo ${kib(idle(PUSHER_PEER))}; sidecast socket.io (EIO=3) ${kib(idle('sidecast-eio3'))}, laravel-echo-server ${kib(idle(PEER))}`,
        largest === 10000 ? (idle(ours) <= 8192 ? 'yes' : 'no') : '—']);
    for (const subscribers of scenarioSizes('fanout').sort((a, b) => a - b)) {
        const results = fanoutResults(subscribers);
        const sustained = (variant) => results[variant]?.sustained;
        const describe = (variant) => (sustained(variant) ? `${number(sustained(variant).deliveries_per_second)} deliveries/s (${number(sustained(variant).rate)} events/s)` : 'no rate');
        const peers = [PEER, PUSHER_PEER].filter((variant) => results[variant]);
        const ourRate = sustained(ours)?.deliveries_per_second ?? 0;
        const ahead = ourRate > 0 && peers.every((variant) => ourRate > (sustained(variant)?.deliveries_per_second ?? 0));
        const generatorBound = sustainedStep(results[ours]) && nextStep(results[ours])?.warnings.some(isBottleneck);
        rows.push([`${number(subscribers)} subscribers: sustained deliveries/s at p99 ≤ ${P99_LIMIT_MS} ms ahead of every peer in the run`,
            `sidecast Pusher ${describe(ours)}${generatorBound ? ' (its next step generator-bound)' : ''}; ` + peers.map((variant) => `${VARIANTS[variant].short} ${describe(variant)}`).join('; '),
            results[ours] ? (ahead ? 'yes' : 'no') : '—']);
    }
    lines.push(table(['goal', 'this run', 'met'], rows), '');
    return lines;
}

// ---- the floor ----

function floorSection() {
    if (!floor) {
        return [];
    }
    const lines = ['### The machine\'s floor: one write per delivery', ''];
    lines.push(`\`sidecast-loadgen floor\` writes a ${floor.frame_bytes}-byte WebSocket frame (the size of a benchmark tick as a server sends it to an EIO=3 client) to each of ${number(floor.connections)} loopback TCP connections, ${number(floor.rate)} times a second, from one thread, with no server at all; the other ends are read the way the generator's clients read theirs. ` +
        'It reports the writing thread\'s CPU time per write. On loopback that includes the receiving side\'s kernel TCP work, which the kernel does in the sender\'s context, just as it does for a server in scenario A.', '');
    const fanout = fanoutResults(1000);
    const perDelivery = (variant) => stepAt(fanout[variant], floor.rate)?.server.cpu_per_delivery_us;
    const rows = [
        ['frames written, received', `${number(floor.writes)}, ${number(floor.bytes_received / floor.frame_bytes)}`],
        ['CPU per write', `${number(floor.cpu_per_write_us)} µs`],
        [`one event to all ${number(floor.connections)} connections, wall time`, `p50 ${ms(floor.fan_out_ms_p50)}, p99 ${ms(floor.fan_out_ms_p99)}`],
    ];
    for (const variant of [PEER, 'sidecast-eio3', 'sidecast-eio4', PUSHER_PEER, 'sidecast-pusher']) {
        const cost = fanout[variant] ? perDelivery(variant) : undefined;
        if (cost !== undefined) {
            rows.push([`${VARIANTS[variant].short}: server CPU per delivery at ${number(floor.rate)} events/s, 1,000 subscribers`, `${number(cost)} µs, ${ratio(cost, floor.cpu_per_write_us)} the floor`]);
        }
    }
    lines.push(table(['figure', 'value'], rows), '');
    lines.push('A server that writes each delivery with a `write` of its own cannot spend less than this per delivery, however little work it does itself; it goes below only by writing several events to a connection at once, which happens when events come faster than it writes them (see sidecast\'s CPU per delivery at higher rates in scenario A). ' +
        'So where 1/10 of laravel-echo-server\'s CPU per delivery is below the floor, no server that writes each event as it comes can meet that goal at that rate on this machine. ' +
        'Likewise one event to 1,000 subscribers is 1,000 writes: spread over two cores, which the generator also needs to read them, the last subscriber is reached no sooner than about half the one-thread time above after the event was handed over.', '');
    return lines;
}

// ---- scenario A ----

/**
 * Scenario A's climbs at `subscribers`, by server variant: {steps, runs, sustained, error}. `runs`
 * are all the generator's reports in order, retries included; `steps` one per rate, the run that
 * decided it (a sustained retry, or else the last run); `sustained` the highest rate sustained
 * ({rate, deliveries_per_second, p99_ms, server_cpu_per_delivery_us}) or null; `error` the
 * generator's error when a run could not complete.
 */
function fanoutResults(subscribers) {
    const scenario = `fanout-${subscribers}`;
    const results = {};
    for (const variant of variantsOf(scenario)) {
        const entries = measurements.filter((entry) => entry.scenario === scenario && entry.variant === variant);
        const runs = entries.filter((entry) => entry.report).map((entry) => ({ ...entry.report, attempt: entry.attempt }));
        const steps = [];
        for (const rate of [...new Set(runs.map((run) => run.rate))]) {
            const atRate = runs.filter((run) => run.rate === rate);
            steps.push(atRate.find((run) => shortfall(run) === null) ?? atRate[atRate.length - 1]);
        }
        const best = steps.filter((step) => shortfall(step) === null).pop();
        results[variant] = {
            runs,
            steps,
            sustained: best ? { rate: best.rate, deliveries_per_second: best.deliveries.per_second, p99_ms: best.latency_ms.p99, server_cpu_per_delivery_us: best.server.cpu_per_delivery_us } : null,
            error: entries.find((entry) => !entry.report)?.error ?? null,
        };
    }
    return results;
}

function stepAt(fanout, rate) {
    return fanout?.steps.find((step) => step.rate === rate) ?? null;
}

function nextStep(fanout) {
    const index = fanout.steps.findIndex((step) => step.rate === fanout.sustained?.rate);
    return fanout.steps[index + 1] ?? null;
}

/** The highest publish rate at which the steps of both fan-outs pass `accept`, or null. */
function commonRate(a, b, accept) {
    const rates = a.steps.filter(accept).map((step) => step.rate).filter((rate) => stepAt(b, rate) && accept(stepAt(b, rate)));
    return rates.length ? Math.max(...rates) : null;
}

function fanoutSection(subscribers) {
    const scenario = `fanout-${subscribers}`;
    const variants = variantsOf(scenario);
    const results = fanoutResults(subscribers);
    const peerOf = (variant) => results[VARIANTS[variant].peer];
    const hasPeer = (variant) => Boolean(peerOf(variant));
    const lines = [`### A. Fan-out: one channel, ${subscribers.toLocaleString('en-US')} subscribers`, ''];
    const anyRun = Object.values(results).flatMap((fanout) => fanout.runs)[0];
    if (anyRun) {
        lines.push(`Publish rates tried in order, ${number(anyRun.duration_s)} s each with fresh connections. A rate is sustained when every client connected and subscribed, every event was published, every delivery arrived exactly once, and p99 ≤ ${P99_LIMIT_MS} ms. A rate not sustained is run once more (both runs are listed under *Every step*), so that one burst of other load on the shared machine does not decide it. The climb ends at the first rate not sustained once a lower rate was; while none has been, it goes on until the server falls behind (deliveries lost, events unpublished, or p99 above ${10 * P99_LIMIT_MS} ms): with thousands of subscribers, writing each event to every socket on its own can take longer than the limit at a low rate, where a higher rate batches the writes.`, '');
    }

    const summaryRows = [];
    const figures = [
        ['highest rate sustained (events/s)', (fanout) => fanout?.sustained?.rate ?? null, (value) => (value === null ? 'none' : number(value))],
        ['deliveries/s at that rate', (fanout) => sustainedStep(fanout)?.deliveries.per_second ?? null, number],
        ['latency p50 there', (fanout) => sustainedStep(fanout)?.latency_ms.p50 ?? null, ms],
        ['latency p90 there', (fanout) => sustainedStep(fanout)?.latency_ms.p90 ?? null, ms],
        ['latency p99 there', (fanout) => sustainedStep(fanout)?.latency_ms.p99 ?? null, ms],
        ['latency max there', (fanout) => sustainedStep(fanout)?.latency_ms.max ?? null, ms],
        ['server CPU per delivery there', (fanout) => sustainedStep(fanout)?.server.cpu_per_delivery_us ?? null, (value) => (value === null ? '—' : `${number(value)} µs`)],
        ['server cores there', (fanout) => sustainedStep(fanout)?.server.cores_publish ?? null, number],
        ['generator cores there', (fanout) => sustainedStep(fanout)?.generator.cores_publish ?? null, number],
    ];
    for (const [name, pick, format] of figures) {
        const cells = [name];
        for (const variant of variants) {
            const value = pick(results[variant]);
            cells.push(results[variant].error && !results[variant].steps.length ? `could not run: ${results[variant].error}` : format(value));
            if (hasPeer(variant)) {
                const peer = peerOf(variant);
                cells.push(sustainedStep(peer) || name.startsWith('highest') ? ratio(value, pick(peer)) : '—');
            }
        }
        summaryRows.push(cells);
    }
    const summaryHeader = ['figure'];
    for (const variant of variants) {
        summaryHeader.push(VARIANTS[variant].short);
        if (hasPeer(variant)) {
            summaryHeader.push(`÷ ${VARIANTS[VARIANTS[variant].peer].short}`);
        }
    }
    lines.push(table(summaryHeader, summaryRows), '');

    lines.push(`![Latency p50 and p99 against publish rate, ${subscribers} subscribers](${chartLink}/fanout-${subscribers}.svg)`, '');

    const stepRows = [];
    const rates = [...new Set(Object.values(results).flatMap((fanout) => fanout.steps.map((step) => step.rate)))].sort((a, b) => a - b);
    for (const rate of rates) {
        for (const variant of variants) {
            const peerAtRate = stepAt(peerOf(variant), rate);
            for (const step of results[variant].runs.filter((run) => run.rate === rate)) {
                const problem = shortfall(step);
                stepRows.push([
                    number(rate) + (step.attempt > 1 ? ' (again)' : ''),
                    VARIANTS[variant].short,
                    number(step.deliveries.per_second),
                    ms(step.latency_ms.p50),
                    ms(step.latency_ms.p90),
                    ms(step.latency_ms.p99),
                    ms(step.latency_ms.max),
                    number(step.deliveries.lost),
                    `${number(step.server.cpu_per_delivery_us)} µs`,
                    peerAtRate ? ratio(step.server.cpu_per_delivery_us, peerAtRate.server.cpu_per_delivery_us) : '—',
                    number(step.server.cores_publish),
                    number(step.generator.cores_publish),
                    (problem ? `not sustained: ${problem}` : 'sustained') + (step.warnings.some(isBottleneck) ? '; generator-bound' : ''),
                ]);
            }
        }
    }
    for (const variant of variants) {
        if (results[variant].error) {
            stepRows.push(['—', VARIANTS[variant].short, ...Array(10).fill(''), `could not run: ${results[variant].error}`]);
        }
    }
    lines.push('<details><summary>Every step</summary>', '');
    lines.push(table(['events/s', 'server', 'deliveries/s', 'p50', 'p90', 'p99', 'max', 'lost', 'server CPU per delivery', 'CPU ÷ peer at this rate', 'server cores', 'generator cores', 'result'], stepRows), '');
    lines.push('</details>', '');

    writeChart(`fanout-${subscribers}.svg`, lineChart({
        title: `Fan-out to ${subscribers.toLocaleString('en-US')} subscribers of one channel: latency`,
        xLabel: 'publish rate (events/s), logarithmic',
        yLabel: 'latency (ms), logarithmic',
        xLog: true,
        yLog: true,
        references: [{ y: P99_LIMIT_MS, label: `p99 limit ${P99_LIMIT_MS} ms` }],
        series: variants.filter((variant) => !UNCHARTED.includes(variant) && results[variant].steps.length).flatMap((variant) => ['p99', 'p50'].map((percentile) => ({
            name: `${VARIANTS[variant].short} ${percentile}`,
            color: VARIANTS[variant].color,
            dashed: percentile === 'p50',
            points: results[variant].steps.map((step) => ({ x: step.rate, y: step.latency_ms[percentile], hollow: shortfall(step) !== null })),
        }))),
        note: ['solid: p99, dashed: p50', 'ring: step not sustained', `(${env('BENCH_DATE')})`],
    }));
    return lines;
}

// ---- scenario B ----

function channelsSection(channels) {
    const scenario = `channels-${channels}`;
    const variants = variantsOf(scenario);
    const reports = Object.fromEntries(variants.map((variant) => [variant, find(scenario, variant).report]));
    const any = Object.values(reports).find(Boolean);
    const lines = [`### B. Many channels: ${channels.toLocaleString('en-US')} channels with one subscriber each`, ''];
    if (any) {
        lines.push(`${number(any.rate)} events/s for ${number(any.duration_s)} s, round-robin over the channels, so every event is one delivery and the server's cost per event (routing, encoding) is not shared by many subscribers.`, '');
    }
    const figures = [
        ['connected (failed)', (r) => `${number(r.connect.connected)} (${r.connect.failed})`, null],
        ['events published', (r) => `${number(r.publish.published)} of ${number(r.publish.planned)}`, null],
        ['deliveries/s', (r) => r.deliveries.per_second, number],
        ['lost', (r) => r.deliveries.lost, number],
        ['latency p50', (r) => r.latency_ms.p50, ms],
        ['latency p90', (r) => r.latency_ms.p90, ms],
        ['latency p99', (r) => r.latency_ms.p99, ms],
        ['latency max', (r) => r.latency_ms.max, ms],
        ['server CPU per delivery', (r) => r.server.cpu_per_delivery_us, (value) => `${number(value)} µs`],
        ['server cores', (r) => r.server.cores_publish, number],
        ['server RSS per connection', (r) => r.server.rss_per_connection_bytes, kib],
        ['generator cores', (r) => r.generator.cores_publish, number],
    ];
    lines.push(comparisonTable(scenario, variants, reports, figures), '');
    return lines;
}

/** Figures (rows) × servers (columns) with a ratio column after every sidecast column. */
function comparisonTable(scenario, variants, reports, figures) {
    const peerOf = (variant) => (variants.includes(VARIANTS[variant].peer) ? VARIANTS[variant].peer : null);
    const header = ['figure'];
    for (const variant of variants) {
        header.push(VARIANTS[variant].short);
        if (peerOf(variant)) {
            header.push(`÷ ${VARIANTS[VARIANTS[variant].peer].short}`);
        }
    }
    const rows = figures.map(([name, pick, format]) => {
        const cells = [name];
        for (const variant of variants) {
            const report = reports[variant];
            if (!report) {
                cells.push(`could not run: ${find(scenario, variant).error}`);
            } else {
                const value = pick(report);
                cells.push(format ? format(value) : value);
            }
            const peer = peerOf(variant);
            if (peer) {
                cells.push(format && report && reports[peer] ? ratio(pick(report), pick(reports[peer])) : '—');
            }
        }
        return cells;
    });
    return table(header, rows);
}

// ---- scenario C ----

function idleSection(sizes) {
    const lines = ['### C. Idle memory: subscribed connections doing nothing but heartbeats', ''];
    lines.push('All clients subscribe to one channel, prove it with a probe event, then stay idle. RSS per connection is (RSS once every client is subscribed − RSS of the fresh server) ÷ connections. ' +
        'The *polling first* columns are clients that start as socket.io-client does by default: the session opened and the namespace joined over HTTP long polling, then upgraded to a WebSocket (each polling request on its own HTTP connection, closed after its answer, so only the upgraded sessions remain); they are compared with laravel-echo-server\'s clients that did the same.', '');
    for (const size of sizes) {
        const scenario = `idle-${size}`;
        const variants = variantsOf(scenario);
        const reports = Object.fromEntries(variants.map((variant) => [variant, find(scenario, variant).report]));
        lines.push(`**${size.toLocaleString('en-US')} connections**`, '');
        lines.push(comparisonTable(scenario, variants, reports, [
            ['connected, failed, broken, unconfirmed', (r) => `${number(r.connect.connected)}, ${r.connect.failed}, ${r.connections.broken}, ${r.connect.unconfirmed_subscriptions}`, null],
            ['connect rate', (r) => r.connect.per_second, (value) => `${number(value)}/s`],
            ['server CPU to accept and subscribe them', (r) => r.server.cpu_connect_s, (value) => `${number(value)} s`],
            ['server RSS fresh → all subscribed', (r) => `${mib(r.server.rss_start_bytes)} → ${mib(r.server.rss_ready_bytes)}`, null],
            ['RSS all subscribed', (r) => r.server.rss_ready_bytes, mib],
            ['RSS per connection', (r) => r.server.rss_per_connection_bytes, kib],
        ]), '');
    }
    lines.push(`![Server RSS against idle connections](${chartLink}/idle-memory.svg)`, '');
    const variants = Object.keys(VARIANTS).filter((variant) => sizes.some((size) => find(`idle-${size}`, variant)?.report));
    writeChart('idle-memory.svg', lineChart({
        title: 'Server memory with idle subscribed connections',
        xLabel: 'idle subscribed connections',
        yLabel: 'server RSS (MiB)',
        xLog: false,
        yLog: false,
        series: variants.map((variant) => {
            const reports = sizes.map((size) => find(`idle-${size}`, variant)?.report).filter(Boolean);
            // The fresh server of the smallest run stands for zero connections.
            const fresh = { x: 0, y: reports[0].server.rss_start_bytes / 1048576 };
            return {
                name: VARIANTS[variant].short,
                color: VARIANTS[variant].color,
                points: [fresh, ...reports.map((report) => ({ x: report.connect.connected, y: report.server.rss_ready_bytes / 1048576 }))],
            };
        }),
        note: ['at 0: the fresh server', `(${env('BENCH_DATE')})`],
    }));
    return lines;
}

// ---- scenario D ----

function churnSection() {
    const scenario = 'churn-1000';
    const variants = variantsOf(scenario);
    const reports = Object.fromEntries(variants.map((variant) => [variant, find(scenario, variant).report ?? null]));
    const any = Object.values(reports).find(Boolean);
    const lines = ['### D. Churn: clients coming and going while events flow', ''];
    if (any) {
        const churn = any.churn;
        lines.push(`${number(any.clients)} clients stay subscribed to one channel and receive ${number(any.rate)} events/s for ${number(any.duration_s)} s, while visitors connect to the same channel, ${number(churn.rate)} a second, each proving its subscription by its first event (a probe every 100 ms while one waits, which the steady clients ignore), staying ${number(churn.stay_min_s)}–${number(churn.stay_max_s)} s and leaving with a close frame (the generator's \`scenario churn\`). The figures are the steady clients'; the server's CPU covers the churn as well.`, '');
    }
    lines.push(comparisonTable(scenario, variants, reports, [
        ['steady clients: delivered of expected', (r) => `${number(r.deliveries.delivered)} of ${number(r.deliveries.expected)}`, null],
        ['lost', (r) => r.deliveries.lost, number],
        ['latency p50', (r) => r.latency_ms.p50, ms],
        ['latency p90', (r) => r.latency_ms.p90, ms],
        ['latency p99', (r) => r.latency_ms.p99, ms],
        ['latency max', (r) => r.latency_ms.max, ms],
        ['server CPU per delivery (churn included)', (r) => r.server.cpu_per_delivery_us, (value) => `${number(value)} µs`],
        ['server cores', (r) => r.server.cores_publish, number],
        ['visits: connected of planned', (r) => `${number(r.churn.connected)} of ${number(r.churn.planned)}`, null],
        ['visits: connects per second', (r) => r.churn.connects_per_second, number],
        ['visits: subscribed, left', (r) => `${number(r.churn.subscribed)}, ${number(r.churn.left)}`, null],
        ['visits: connect errors, failed subscriptions, broken, cut short', (r) => `${r.churn.connect_errors}, ${r.churn.failed_subscriptions}, ${r.churn.broken}, ${r.churn.cut_short}`, null],
        ['server RSS after the visitors left, against before', (r) => mibChange(r.churn.server_rss_growth_bytes), null],
    ]), '');
    return lines;
}

/** A change of RSS in bytes, signed, in MiB; a dash when the server was not sampled. */
function mibChange(bytes) {
    if (bytes === null || bytes === undefined) {
        return '—';
    }
    const mib = bytes / 1048576;
    return `${mib >= 0 ? '+' : ''}${mib.toFixed(1)} MiB`;
}

// ---- the rest ----

function warningsSection() {
    const lines = ['### Warnings of the generator in this run', ''];
    const items = [];
    for (const entry of measurements) {
        for (const warning of entry.report?.warnings ?? []) {
            items.push(`- ${entry.scenario}, ${VARIANTS[entry.variant].short}${entry.rate ? ` at ${number(entry.rate)} events/s${entry.attempt > 1 ? ' (again)' : ''}` : ''}: ${warning}`);
        }
        if (!entry.report) {
            items.push(`- ${entry.scenario}, ${VARIANTS[entry.variant].short}: the generator could not complete the run (exit status ${entry.status}): ${entry.error}`);
        }
    }
    lines.push(...(items.length ? items : ['None.']), '');
    return lines;
}

function leftOut() {
    return [
        '### Not measured',
        '',
        '- Clients that stay on HTTP long polling: the generator\'s polling clients only start on it and upgrade.',
        '- Clients spread over several generator processes (`--processes`): on two cores more processes add no CPU, so the suite runs the generator as one.',
        '- Private and presence channels: every scenario uses public channels, which no server has to authorize.',
        '- Reverb and Soketi, the other Pusher-protocol servers: Reverb is a Composer package (`laravel/reverb`) and Packagist cannot be reached from this machine; Soketi runs on uWebSockets.js 20.10, which supports Node.js up to 18, and this machine has Node.js 20.',
        ...(env('BENCH_SOCKUDO_MISSING') !== 'unknown' && env('BENCH_SOCKUDO_MISSING') !== '' ? [`- Sockudo: ${env('BENCH_SOCKUDO_MISSING')}.`] : []),
        '',
    ];
}

const chartsWritten = new Set();

function writeChart(name, svg) {
    mkdirSync(chartDir, { recursive: true });
    writeFileSync(join(chartDir, name), svg);
    chartsWritten.add(name);
}

/** Removes the fan-out charts of an earlier run that measured sizes this run did not. */
function removeStaleCharts() {
    for (const name of readdirSync(chartDir)) {
        if (/^fanout-\d+\.svg$/.test(name) && !chartsWritten.has(name)) {
            unlinkSync(join(chartDir, name));
        }
    }
}

const section = [
    ...header(),
    ...goals(),
    ...pusherGoals(),
    ...floorSection(),
    ...scenarioSizes('fanout').sort((a, b) => a - b).flatMap(fanoutSection),
    ...scenarioSizes('channels').flatMap(channelsSection),
    ...idleSection(scenarioSizes('idle').sort((a, b) => a - b)),
    ...(scenarioSizes('churn').length ? churnSection() : []),
    ...warningsSection(),
    ...leftOut(),
    END,
].map(wrap).join('\n');

writeSection(documentPath, START, END, section);
removeStaleCharts();
console.log(section);
