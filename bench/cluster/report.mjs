// Writes the "cluster" section of docs/benchmarks.md, between <!-- cluster:start --> and
// <!-- cluster:end --> (appended when the file has none; the rest of the file is kept), from the
// results bench/cluster/run.sh left: manifest.jsonl (one line per measurement), N.json
// (sidecast-loadgen's JSON report of measurement N), settings.json and floor.json. The run's
// circumstances come from BENCH_* environment variables set by scripts/bench.sh.
//
// Usage: node bench/cluster/report.mjs RESULTS_DIR docs/benchmarks.md

import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { VARIANTS, climbOf, climbSection, crossNode, latencySection, outageOf, outageSection } from './events.mjs';
import { addedMs, ms, number, ratio, table, wrap, writeSection } from '../markdown.mjs';
import { echoServerLimits, leavingOf, presenceSection } from './presence.mjs';

const START = '<!-- cluster:start -->';
const END = '<!-- cluster:end -->';

const [resultsDir, documentPath] = process.argv.slice(2);
if (!resultsDir || !documentPath) {
    console.error('usage: node bench/cluster/report.mjs RESULTS_DIR docs/benchmarks.md');
    process.exit(2);
}

const readJson = (name) => {
    const path = join(resultsDir, name);
    const text = existsSync(path) ? readFileSync(path, 'utf8').trim() : '';
    return text === '' ? null : JSON.parse(text);
};

function lastLine(text) {
    const lines = text.trim().split('\n');
    return lines[lines.length - 1] || 'no output';
}

/** Every measurement of the run, each with the generator's report, or the error it ended with. */
function readMeasurements() {
    return readFileSync(join(resultsDir, 'manifest.jsonl'), 'utf8')
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => {
            const entry = JSON.parse(line);
            // The memory measurement stops its generator on purpose: its report is not wanted.
            if (entry.measurement !== 'presence-memory') {
                entry.report = entry.status === 0 ? readJson(`${entry.id}.json`) : null;
                entry.error = entry.report ? null : lastLine(readFileSync(join(resultsDir, `${entry.id}.stderr`), 'utf8'));
            }
            return entry;
        });
}

const measurements = readMeasurements();
const results = {
    settings: readJson('settings.json'),
    floor: readJson('floor.json'),
    measurements,
    /** Every measurement of a kind and variant, in order. */
    all: (kind, variant) => measurements.filter((e) => e.measurement === kind && e.variant === variant),
    /** The measurement of a kind and variant (at `rate`, when given). */
    find: (kind, variant, rate) => measurements.find((e) => e.measurement === kind && e.variant === variant && (rate === undefined || e.rate === rate)),
    /** The rates measured for a kind, in order. */
    rates: (kind) => [...new Set(measurements.filter((e) => e.measurement === kind).map((e) => e.rate))].sort((a, b) => a - b),
};
const { settings } = results;

const env = (name) => process.env[name] ?? 'unknown';
const requireHere = createRequire(import.meta.url);
const echoServerVersion = requireHere('../../node_modules/laravel-echo-server/package.json').version;

function header() {
    const quick = settings.preset === 'quick';
    const lines = [
        START,
        '## Several nodes: a sidecast cluster and laravel-echo-server instances on one Redis',
        '',
        `Written by \`${env('BENCH_COMMAND')}\` on ${env('BENCH_DATE')} (${settings.preset} preset, ${env('BENCH_CLUSTER_MINUTES')} minutes), commit \`${env('BENCH_COMMIT')}\`. ` +
            'Run `./scripts/bench.sh --only cluster` to measure again.',
        '',
    ];
    if (quick) {
        lines.push('**A quick trial, not the figures of record:** `--quick` runs each rate for 3–5 s, climbs in coarse steps, and shortens the nodes\' liveness settings (dead after 3 s instead of 15). It shows that every part works and roughly where each stands; the full preset measures again for longer, with the default settings.', '');
    }
    lines.push(
        `Machine: ${env('BENCH_CPU')}, ${env('BENCH_CORES')} cores (\`nproc\`), ${env('BENCH_KERNEL')}. Load average (1, 5, 15 min) ${env('BENCH_LOAD_BEFORE')} when the cluster part started, ${env('BENCH_LOAD_AFTER')} when it ended. ` +
            'Everything runs on this one machine: three nodes, their redis-server, laravel-echo-server\'s three instances and theirs, the demo app and the generator share its cores. So these figures are what the cluster costs and adds, not how it scales: more nodes on the same two cores cannot serve more.',
        '',
        `Versions: sidecast ${env('BENCH_SIDECAST_VERSION').replace('sidecast ', '')}, release build of ${env('BENCH_SIDECAST_BUILT')}; laravel-echo-server ${echoServerVersion} on Node.js ${process.versions.node}; ${env('BENCH_REDIS')}; ${env('BENCH_PHP')}; ${env('BENCH_LOADGEN_VERSION')}.`,
        '',
        '### How it was measured',
        '',
        `Three sidecast nodes (\`sidecast start --cluster-redis redis://127.0.0.1:PORT --cluster-heartbeat ${settings.heartbeat_s} --cluster-dead-after ${settings.dead_after_s} --cluster-sweep-every ${settings.sweep_every_s}\`, each with its own \`--socket\` and port) share one redis-server; three laravel-echo-server instances share another. ` +
            'Each node and each instance reads a `laravel-echo-server.json` of its own, alike but for the port: Laravel\'s Redis channels with the prefix `bench_`, and the demo app as `authHost`. ' +
            'All clients are [`sidecast-loadgen`](loadgen.md)\'s socket.io clients speaking EIO=3 over WebSocket (laravel-echo-server speaks no other), spread round-robin over the three URLs of a cluster; the generator tells apart the deliveries made by the node that took the event from those made by the others. ' +
            'The clusters take turns rate by rate, and server CPU is the three processes and their redis-server together.',
        '',
    );
    return lines;
}

function goals() {
    const rows = [];
    const crossed = results.rates('latency').map((rate) => [rate, crossNode(results, rate)]).filter(([, cross]) => cross);
    if (crossed.length) {
        const rtt = results.floor?.redis_rtt_ms?.avg;
        rows.push(['Delivery to a client on another node adds at most 1 ms to p50 (sidecast, other node − same node)',
            crossed.map(([rate, cross]) => `${addedMs(cross.added)} at ${number(rate)} events/s (${ms(cross.same.p50)} → ${ms(cross.other.p50)})`).join('; ') + (rtt ? `; a Redis round trip here takes ${ms(rtt)}` : ''),
            crossed.every(([, cross]) => cross.added <= 1) ? 'yes' : `no: up to ${addedMs(Math.max(...crossed.map(([, cross]) => cross.added)))}`]);
    }
    const leaving = leavingOf(results, 'sidecast');
    if (leaving) {
        const bound = settings.leave_bound_s * 1000;
        const within = leaving.afterKill !== null && leaving.seen === leaving.expected && leaving.afterKill <= bound;
        const missed = leaving.afterKill === null
            ? 'no: none read'
            : leaving.seen < leaving.expected
                ? `no: ${number(leaving.expected - leaving.seen)} leavings never read`
                : `no: ${ms(leaving.afterKill - bound)} late`;
        rows.push([`A dead node's members leave everywhere within dead-after + sweep-every (${number(settings.dead_after_s)} + ${number(settings.sweep_every_s)} s here), the bound docs/scaling.md gives`,
            `${number(leaving.seen)} of ${number(leaving.expected)} leavings of ${number(leaving.members)} members read; the last ${ms(leaving.afterKill)} after SIGKILL`,
            within ? 'yes' : missed]);
    }
    const climbs = ['sidecast', 'laravel-echo-server'].map((variant) => climbOf(results, variant).sustained?.report);
    if (climbs[0] || climbs[1]) {
        const [ours, theirs] = climbs.map((report) => report?.rate ?? 0);
        const ceiling = Math.max(...settings.climb_rates);
        const atLeast = (rate) => (rate === ceiling ? `at least ${number(rate)}` : number(rate));
        rows.push([`Highest event rate with p99 ≤ ${settings.p99_limit_ms} ms and nothing lost, three nodes against three laravel-echo-server instances (reported, no goal set)`,
            `${atLeast(ours)} against ${atLeast(theirs)} events/s (${number(climbs[0]?.deliveries.per_second)} against ${number(climbs[1]?.deliveries.per_second)} deliveries/s), ${ratio(ours, theirs)}${ours === ceiling ? '; sidecast held the highest rate tried' : ''}`, '—']);
    }
    const outage = outageOf(results);
    if (outage?.measured) {
        rows.push(['Redis comes back: deliveries across nodes resume (reported, no goal set)',
            `first delivery on another node ${ms(outage.firstBack)} after Redis' return; ${number(outage.other.deliveries.lost)} events lost across nodes; node 0's clients kept receiving throughout`, '—']);
    }
    return ['### Goals, and where this run stands', '', table(['goal', 'this run', 'met'], rows), ''];
}

function warningsSection() {
    const items = [];
    for (const entry of measurements) {
        const what = `${entry.measurement}, ${VARIANTS[entry.variant] ?? entry.variant}${entry.rate ? ` at ${number(entry.rate)} events/s${entry.attempt > 1 ? ' (again)' : ''}` : ''}`;
        for (const warning of entry.report?.warnings ?? []) {
            items.push(`- ${what}: ${warning}`);
        }
        if (entry.error) {
            items.push(`- ${what}: the generator could not complete the run (exit status ${entry.status}): ${entry.error}`);
        }
    }
    return ['### Warnings of the generator in this run', '', ...(items.length ? items : ['None.']), ''];
}

function leftOut() {
    return [
        '### Not measured',
        '',
        '- Scale-out itself: on one two-core machine more nodes share the same cores. What several hosts serve together needs several hosts.',
        '- Redis over TLS, Sentinel and Redis Cluster; EIO=4 clients; private channels and whispers across nodes (the end-to-end tests check them, untimed).',
        '- The Laravel app\'s own cost: every join waits for `php -S`, which is no production server.',
        '',
    ];
}

const section = [
    ...header(),
    ...goals(),
    ...latencySection(results),
    ...climbSection(results),
    ...presenceSection(results),
    ...outageSection(results),
    ...echoServerLimits(results),
    ...warningsSection(),
    ...leftOut(),
    END,
].map(wrap).join('\n');

writeSection(documentPath, START, END, section);
console.log(section);
