// Writes the "soak" section of docs/benchmarks.md, between <!-- soak:start --> and
// <!-- soak:end --> (appended when the file has none), from the results bench/soak/run.sh left:
// settings.json, samples.jsonl (the server's memory, open files and threads over time) and
// window-N.json (sidecast-loadgen's report of window N). The run's circumstances come from
// BENCH_* environment variables set by scripts/bench.sh.
//
// Usage: node bench/soak/report.mjs RESULTS_DIR docs/benchmarks.md

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ms, number, table, wrap, writeSection } from '../markdown.mjs';

const START = '<!-- soak:start -->';
const END = '<!-- soak:end -->';

const [resultsDir, documentPath] = process.argv.slice(2);
if (!resultsDir || !documentPath) {
    console.error('usage: node bench/soak/report.mjs RESULTS_DIR docs/benchmarks.md');
    process.exit(2);
}

const env = (name) => process.env[name] ?? '?';
const settings = JSON.parse(readFileSync(join(resultsDir, 'settings.json'), 'utf8'));
const samples = readFileSync(join(resultsDir, 'samples.jsonl'), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line));
const mib = (bytes) => (bytes === undefined || bytes === null ? '—' : `${number(bytes / 1048576)} MiB`);

/** The generator's report of window `n`, or the last line of what it said when it failed. */
function windowReport(n) {
    const path = join(resultsDir, `window-${n}.json`);
    const text = existsSync(path) ? readFileSync(path, 'utf8').trim() : '';
    if (text !== '') {
        return { report: JSON.parse(text) };
    }
    const stderr = readFileSync(join(resultsDir, `window-${n}.stderr`), 'utf8').trim().split('\n');
    return { error: stderr[stderr.length - 1] || 'no output' };
}

const baseline = samples.find((sample) => sample.window === 0);
const rows = [];
const after = [];
let lost = 0;
let expected = 0;
for (let n = 1; n <= settings.windows; n += 1) {
    const during = samples.filter((sample) => sample.window === n);
    const end = during[during.length - 1];
    after.push(end);
    const { report, error } = windowReport(n);
    if (error) {
        rows.push([String(n), `the generator failed: ${error}`, '', '', '', '', '', '']);
        continue;
    }
    lost += report.deliveries.lost;
    expected += report.deliveries.expected;
    rows.push([
        String(n),
        `${number(report.deliveries.delivered)} / ${number(report.deliveries.expected)}`,
        `${ms(report.latency_ms.p50)} / ${ms(report.latency_ms.p99)}`,
        `${number(report.churn.subscribed)} / ${number(report.churn.planned)}`,
        mib(report.server.rss_ready_bytes),
        mib(end?.rss_bytes),
        `${number(Math.max(...during.map((sample) => sample.open_files)))} / ${number(end?.open_files)}`,
        number(end?.threads),
    ]);
}

const first = after[0];
const last = after[after.length - 1];
const filesBack = after.every((sample) => sample && sample.open_files === baseline.open_files);
const lines = [
    START,
    '## Soak: one server, busy for a long time',
    '',
    `Written by \`${env('BENCH_COMMAND')}\` on ${env('BENCH_DATE')} (${env('BENCH_PRESET')} preset, ${env('BENCH_SOAK_MINUTES')} minutes), commit \`${env('BENCH_COMMIT')}\`. ` +
        `Machine: ${env('BENCH_CPU')}, ${env('BENCH_CORES')} cores, ${env('BENCH_KERNEL')}; load average ${env('BENCH_LOAD_BEFORE')} at the start, ${env('BENCH_LOAD_AFTER')} at the end. ` +
        `${env('BENCH_SIDECAST_VERSION')}, release build of ${env('BENCH_SIDECAST_BUILT')}; ${env('BENCH_LOADGEN_VERSION')}.`,
    '',
    `One sidecast serves ${settings.windows} windows of ${settings.window_seconds} s in a row. In each, ${number(settings.clients)} socket.io clients ` +
        `(Engine.IO 4, WebSocket) connect to ${settings.channels} channels and receive ${settings.rate} events/s, checked one by one, while ` +
        `visitors connect at ${settings.churn_rate}/s, subscribe, stay 1–10 s and leave; then the clients disconnect and the next window ` +
        'connects new ones. The server\'s resident memory, open files and threads are read from `/proc` every 5 s, and after each window ' +
        'once its connections have closed (it is given up to 15 s).',
    '',
    `- **Deliveries:** ${number(expected - lost)} of ${number(expected)} (${number(lost)} lost).`,
    `- **Resident memory after a window:** ${mib(first?.rss_bytes)} after the first, ${mib(last?.rss_bytes)} after the last ` +
        `(${mib(baseline.rss_bytes)} before the first).`,
    `- **Open files after a window:** ${filesBack ? `back to ${baseline.open_files}, the number before the first, every time` : `not always back to ${baseline.open_files}: ${after.map((sample) => sample?.open_files).join(', ')}`}.`,
    '',
    table(
        ['window', 'delivered', 'latency p50 / p99', 'visits subscribed', 'RSS, clients connected', 'RSS after', 'open files: most / after', 'threads after'],
        rows,
    ),
    END,
];
writeSection(documentPath, START, END, lines.map(wrap).join('\n'));
