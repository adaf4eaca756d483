// Writes the "metrics-overhead" section of docs/benchmarks.md, between
// <!-- metrics-overhead:start --> and <!-- metrics-overhead:end --> (appended when the file has
// none), from the results bench/metrics/run.sh left: settings.json, manifest.jsonl (one line a
// round: its build, the generator's exit status, the deliveries the sidecar counted) and
// round-N.json (sidecast-loadgen's report of round N). The run's circumstances come from BENCH_*
// environment variables set by scripts/bench.sh.
//
// Usage: node bench/metrics/report.mjs RESULTS_DIR docs/benchmarks.md

import { ms, number, table, us, wrap, writeSection } from '../markdown.mjs';
import { median, readResults, roundReport, spread } from '../rounds.mjs';

const START = '<!-- metrics-overhead:start -->';
const END = '<!-- metrics-overhead:end -->';

const [resultsDir, documentPath] = process.argv.slice(2);
if (!resultsDir || !documentPath) {
    console.error('usage: node bench/metrics/report.mjs RESULTS_DIR docs/benchmarks.md');
    process.exit(2);
}

const env = (name) => process.env[name] ?? '?';
const { settings, manifest } = readResults(resultsDir);

const percent = (fraction) => (fraction === null ? '—' : `${number(fraction * 100, 2)} %`);

const rows = [];
const warnings = [];
const perDelivery = { on: [], off: [] };
for (const entry of manifest) {
    const { report, error } = roundReport(resultsDir, entry);
    if (error) {
        rows.push([String(entry.round), entry.build, `the generator failed (${error})`, '', '', '', '', '']);
        continue;
    }
    const { deliveries, server } = report;
    // The generator's reading of the sidecar's CPU time, first publish to last delivery.
    const cpuPerDelivery = (server.cpu_publish_s * 1e6) / deliveries.delivered;
    perDelivery[entry.build].push(cpuPerDelivery);
    rows.push([
        String(entry.round),
        entry.build,
        `${number(deliveries.delivered)} / ${number(deliveries.expected)}`,
        number(entry.counted),
        `${number(server.cpu_publish_s)} s`,
        number(server.cores_publish, 2),
        `**${us(cpuPerDelivery)}**`,
        `${ms(report.latency_ms.p50)} / ${ms(report.latency_ms.p99)}`,
    ]);
    for (const warning of report.warnings) {
        warnings.push(`round ${entry.round} (census ${entry.build}): ${warning}`);
    }
}

const on = median(perDelivery.on);
const off = median(perDelivery.off);
const spreadOn = spread(perDelivery.on);
const spreadOff = spread(perDelivery.off);
const floor = spreadOn === null || spreadOff === null ? null : Math.max(spreadOn, spreadOff);
// How much more CPU per delivery the census costs, as a share of the build without it.
const difference = on === null || off === null ? null : on / off - 1;

let conclusion = 'Too few rounds completed to compare the builds.';
if (difference !== null && floor !== null) {
    const direction = difference >= 0 ? 'more' : 'less';
    const relation = Math.abs(difference) <= floor
        ? `within this machine's floor: rounds of one and the same binary differed by up to ${percent(floor)}`
        : `larger than this machine's floor, the ${percent(floor)} by which rounds of one and the same binary differed at most`;
    conclusion = `With the census on, the sidecar spent ${percent(Math.abs(difference))} ${direction} CPU per delivery ` +
        `(median against median) than with it off, ${relation}.`;
}

const lines = [
    START,
    '## Metrics overhead: the census on and off',
    '',
    `Written by \`${env('BENCH_COMMAND')}\` on ${env('BENCH_DATE')} (${env('BENCH_PRESET')} preset, ${env('BENCH_METRICS_MINUTES')} minutes of measuring), commit \`${env('BENCH_COMMIT')}\`. ` +
        `Machine: ${env('BENCH_CPU')}, ${env('BENCH_CORES')} cores, ${env('BENCH_KERNEL')}; load average ${env('BENCH_LOAD_BEFORE')} at the start, ${env('BENCH_LOAD_AFTER')} at the end. ` +
        `${env('BENCH_SIDECAST_VERSION')}; ${env('BENCH_LOADGEN_VERSION')}. ` +
        `Run \`./scripts/bench.sh --only metrics\` to measure again (\`--quick\` for 2 rounds of each build with 5 s windows).`,
    '',
    'Every counter, gauge and histogram of the sidecar (`/metrics`, `/status`, the dashboard) is a relaxed atomic, counted ' +
        'when the `sidecast` crate\'s default feature `census` is on. Two release builds of the same source, each with ' +
        '`cargo build --release -p sidecast` into `target/bench-census/`, one of them with `--no-default-features` (census ' +
        'off: every count a no-op, the hub\'s delivery and drop counts from before `/metrics` included; only its count of ' +
        'publications stays, as shutdown waits on it), take turns, which of them goes first alternating from pair to pair. ' +
        `Each round starts a fresh sidecar; [\`sidecast-loadgen\`](loadgen.md) connects ${number(settings.clients)} socket.io clients ` +
        `(Engine.IO ${settings.eio}, WebSocket) to ${settings.channels === 1 ? 'one channel' : `${settings.channels} channels`}, publishes ${settings.rate} events/s to it through the ` +
        `sidecar's Unix socket for ${settings.window_seconds} s, checks every delivery, and reads the sidecar's CPU time (user + system, ` +
        '`utime + stime` from `/proc/<pid>/stat`) at the first publish and once the last delivery arrived. *CPU per delivery* is that ' +
        'time ÷ the deliveries the clients received. *Counted* is what the sidecar\'s own `GET /status` ' +
        '(`vitals.delivery.deliveries`) said after the round, subscription probes included: the census-off build must count none.',
    '',
    table(
        ['round', 'census', 'delivered', 'counted', 'server CPU', 'cores', 'CPU per delivery', 'latency p50 / p99'],
        rows,
    ),
    '',
    `- **Median CPU per delivery:** ${us(on)} with the census on (${perDelivery.on.length} rounds), ${us(off)} with it off ` +
        `(${perDelivery.off.length} rounds).`,
    `- **Ratio off ÷ on:** ${difference === null ? '—' : `${number(off / on, 3)}× (the census-on median is ${percent(Math.abs(difference))} ${difference >= 0 ? 'above' : 'below'} the census-off one)`}.`,
    `- **Floor** (max − min over the median of one build's own rounds): ${percent(spreadOn)} with the census on, ${percent(spreadOff)} with it off.`,
    '',
    conclusion,
];
if (warnings.length > 0) {
    lines.push('', 'The generator warned:', '', ...warnings.map((warning) => `- ${warning}`));
}
lines.push(END);
writeSection(documentPath, START, END, lines.map(wrap).join('\n'));
