// Writes the "webhooks-endpoint" section of docs/benchmarks.md, between
// <!-- webhooks-endpoint:start --> and <!-- webhooks-endpoint:end --> (appended when the file
// has none), from the results bench/webhooks/run.sh left: settings.json, manifest.jsonl (one line
// a round: the endpoint's state, the generator's exit status, the churner's counts, the
// sidecar's webhook figures from /status, what the endpoint saw) and round-N.json
// (sidecast-loadgen's report of round N). The run's circumstances come from BENCH_* environment
// variables set by scripts/bench.sh.
//
// Usage: node bench/webhooks/report.mjs RESULTS_DIR docs/benchmarks.md

import { ms, number, table, us, wrap, writeSection } from '../markdown.mjs';
import { median, readResults, roundReport, spread } from '../rounds.mjs';

const START = '<!-- webhooks-endpoint:start -->';
const END = '<!-- webhooks-endpoint:end -->';

const [resultsDir, documentPath] = process.argv.slice(2);
if (!resultsDir || !documentPath) {
    console.error('usage: node bench/webhooks/report.mjs RESULTS_DIR docs/benchmarks.md');
    process.exit(2);
}

const env = (name) => process.env[name] ?? '?';
const { settings, manifest } = readResults(resultsDir);

const rounds = (count) => `${count} ${count === 1 ? 'round' : 'rounds'}`;
const percent = (fraction) => (fraction === null ? '—' : `${number(fraction * 100, 2)} %`);

/** The churner's count, with its failures and skipped ticks when there were any. */
function churns(churn) {
    if (!churn) {
        return '—';
    }
    const extra = [];
    if (churn.failed > 0) extra.push(`${number(churn.failed)} failed to connect`);
    if (churn.skipped > 0) extra.push(`${number(churn.skipped)} ticks skipped`);
    return `${number(churn.churns)} in ${number(churn.seconds)} s${extra.length > 0 ? ` (${extra.join(', ')})` : ''}`;
}

const rows = [];
const warnings = [];
const p99 = { up: [], down: [] };
const p50 = { up: [], down: [] };
for (const entry of manifest) {
    const hooks = entry.webhooks;
    const webhookCells = hooks
        ? [`${number(hooks.events_sent)} / ${number(hooks.events_dropped)}`, number(hooks.failed_requests)]
        : ['/status did not answer', ''];
    const { report, error } = roundReport(resultsDir, entry);
    if (error) {
        rows.push([String(entry.round), entry.endpoint, `the generator failed (${error})`, '', '', churns(entry.churn), ...webhookCells]);
        continue;
    }
    const { deliveries, server, latency_ms: latency } = report;
    p99[entry.endpoint].push(latency.p99);
    p50[entry.endpoint].push(latency.p50);
    rows.push([
        String(entry.round),
        entry.endpoint,
        `${number(deliveries.delivered)} / ${number(deliveries.expected)}`,
        `${ms(latency.p50)} / **${ms(latency.p99)}**`,
        // The generator's reading of the sidecar's CPU time, first publish to last delivery.
        us((server.cpu_publish_s * 1e6) / deliveries.delivered),
        churns(entry.churn),
        ...webhookCells,
    ]);
    for (const warning of report.warnings) {
        warnings.push(`round ${entry.round} (endpoint ${entry.endpoint}): ${warning}`);
    }
}

// The sender gives a request up after its fifth attempt, some 32 s after the first, and the
// queue holds 1,000 requests: a window shorter than either drops nothing, which the text says.
const downRounds = manifest.filter((entry) => entry.endpoint === 'down' && entry.webhooks);
const nothingDropped = downRounds.length > 0 && downRounds.every((entry) => entry.webhooks.events_dropped === 0);

const up = median(p99.up);
const down = median(p99.down);
const spreadUp = spread(p99.up);
const spreadDown = spread(p99.down);
const floor = spreadUp === null || spreadDown === null ? null : Math.max(spreadUp, spreadDown);
// How much later the slowest 1 % of deliveries arrived with the endpoint down, as a share of up.
const difference = up === null || down === null ? null : down / up - 1;

let conclusion = 'Too few rounds completed to compare the endpoint up and down.';
if (difference !== null && floor === null) {
    conclusion = `With the endpoint down, the p99 latency was ${percent(Math.abs(difference))} ${difference >= 0 ? 'higher' : 'lower'} ` +
        'than with it up; with one round of each there is no floor to compare that with (the full preset has three).';
} else if (difference !== null) {
    const direction = difference >= 0 ? 'higher' : 'lower';
    const relation = Math.abs(difference) <= floor
        ? `within this machine's floor: rounds with the endpoint in one and the same state differed by up to ${percent(floor)}, ` +
            'so this run shows no effect of a dead webhook endpoint on delivery latency that stands out from the drift ' +
            'between rounds of one and the same setup'
        : `larger than this machine's floor, the ${percent(floor)} by which rounds with the endpoint in one and the same state ` +
            'differed at most';
    conclusion = `With the endpoint down, the p99 latency was ${percent(Math.abs(difference))} ${direction} (median against median) ` +
        `than with it up, ${relation}.`;
}

const lines = [
    START,
    '## Webhooks: delivery with the endpoint up and down',
    '',
    `Written by \`${env('BENCH_COMMAND')}\` on ${env('BENCH_DATE')} (${env('BENCH_PRESET')} preset, ${env('BENCH_WEBHOOKS_MINUTES')} minutes), commit \`${env('BENCH_COMMIT')}\`. ` +
        `Machine: ${env('BENCH_CPU')}, ${env('BENCH_CORES')} cores, ${env('BENCH_KERNEL')}; load average ${env('BENCH_LOAD_BEFORE')} at the start, ${env('BENCH_LOAD_AFTER')} at the end. ` +
        `${env('BENCH_SIDECAST_VERSION')}; ${env('BENCH_LOADGEN_VERSION')}. ` +
        'Run `./scripts/bench.sh --only webhooks` to measure again (`--quick` for 1 round of each state with 5 s windows).',
    '',
    'The sidecar sends each webhook URL\'s requests from a queue and a task of their own, so an endpoint that is down ' +
        'should hold up only its own requests, never delivery to clients. Rounds with the endpoint up and with it down ' +
        'take turns, which of them goes first alternating from pair to pair, each against a fresh sidecar that sends ' +
        '`channel_occupied` and `channel_vacated` webhooks (`--lifecycle-grace 0`: each told at once) to ' +
        '`bench/webhooks/endpoint.mjs` on loopback. *Up*, it answers every request 200 at once; *down*, it accepts ' +
        'connections and never answers, the worst case for the sender: each request waits for its 5 s timeout and is ' +
        'retried 0.5, 1, 2 and 4 s later, while the requests behind it wait in the endpoint\'s queue (1,000 requests at ' +
        'most, then dropped). Throughout each round `bench/webhooks/churn.mjs` opens ' +
        `${settings.churn_rate} socket.io clients a second, each subscribing to a channel of its own and leaving ` +
        `${settings.churn_hold_ms} ms later, so that the sidecar has a channel occupied and one vacated to tell every ` +
        `${number(1000 / settings.churn_rate)} ms; meanwhile [\`sidecast-loadgen\`](loadgen.md) connects ${number(settings.clients)} socket.io clients ` +
        `(Engine.IO ${settings.eio}, WebSocket) to ${settings.channels === 1 ? 'one channel' : `${settings.channels} channels`}, publishes ${settings.rate} events/s to it through the ` +
        `sidecar's Unix socket for ${settings.window_seconds} s, checks every delivery and measures its latency, and reads the ` +
        'sidecar\'s CPU time (user + system) at the first publish and once the last delivery arrived; *CPU per delivery* ' +
        'is that time ÷ the deliveries the clients received. *Churns* are the clients that came and went. *Webhook events ' +
        'sent / dropped* and *failed requests* (each retry counts) are what the sidecar\'s own `GET /status` ' +
        '(`vitals.webhooks`) said after the round: with the endpoint up, events sent and no request failed; with it down, ' +
        'none sent and requests failed, or the run fails.' +
        (nothingDropped
            ? ' No round was long enough for the dead endpoint\'s queue to fill or for a request to use up its five ' +
                'attempts (some 32 s), so none dropped any: what the endpoint-down rounds load the sidecar with is ' +
                'requests that hang, time out and are retried, and a queue that grows.'
            : ''),
    '',
    table(
        ['round', 'endpoint', 'delivered', 'latency p50 / p99', 'CPU per delivery', 'churns', 'webhook events sent / dropped', 'failed requests'],
        rows,
    ),
    '',
    `- **Median p99 latency:** ${ms(up)} with the endpoint up (${rounds(p99.up.length)}), ${ms(down)} with it down ` +
        `(${rounds(p99.down.length)}); median p50 ${ms(median(p50.up))} up, ${ms(median(p50.down))} down.`,
    `- **Ratio down ÷ up:** ${difference === null ? '—' : `${number(down / up, 3)}× (the endpoint-down median is ${percent(Math.abs(difference))} ${difference >= 0 ? 'above' : 'below'} the endpoint-up one)`}.`,
    `- **Floor** (max − min over the median of the p99s of one state's own rounds): ${percent(spreadUp)} with the endpoint up, ` +
        `${percent(spreadDown)} with it down.`,
    '',
    conclusion,
];
if (warnings.length > 0) {
    lines.push('', 'The generator warned:', '', ...warnings.map((warning) => `- ${warning}`));
}
lines.push(END);
writeSection(documentPath, START, END, lines.map(wrap).join('\n'));
