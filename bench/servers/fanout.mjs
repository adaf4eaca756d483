// When a fan-out step counts as sustained: the rule of sidecast-loadgen's `scenario fanout`
// preset (docs/loadgen.md), shared by bench/servers/run.sh, which climbs the publish rates with
// it, and bench/servers/report.mjs, which reports the climb.
//
// Usage: node bench/servers/fanout.mjs REPORT.json P99_LIMIT_MS
// prints "sustained" and exits 0, or prints "not sustained: <why>" and exits 1, or 2 when the
// server also fell behind (see `fellBehind`).

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Why the step in `report` (the generator's JSON report of one run) is not sustained, or null. */
export function shortfall(report, p99LimitMs) {
    if (report.connect.connected < report.clients) {
        return `${report.clients - report.connect.connected} clients not connected`;
    }
    if (report.connect.unconfirmed_subscriptions > 0) {
        return `${report.connect.unconfirmed_subscriptions} subscriptions unconfirmed`;
    }
    if (report.publish.published < report.publish.planned) {
        return `${report.publish.published} of ${report.publish.planned} events published`;
    }
    const { lost, duplicates, foreign } = report.deliveries;
    if (lost > 0 || duplicates > 0 || foreign > 0) {
        return `${lost} lost, ${duplicates} duplicates, ${foreign} foreign deliveries`;
    }
    if (report.latency_ms.p99 > p99LimitMs) {
        return `p99 above ${p99LimitMs} ms`;
    }
    return null;
}

/**
 * Whether the server could not keep up with the step's rate at all: deliveries lost, events
 * unpublished, or p99 latency above ten times the limit. A step can miss the limit without
 * that: below some rate every event is written to every socket on its own, and with thousands
 * of subscribers that alone can take longer than the limit, where higher rates batch writes.
 */
export function fellBehind(report, p99LimitMs) {
    return report.deliveries.lost > 0 || report.publish.published < report.publish.planned || report.latency_ms.p99 > 10 * p99LimitMs;
}

/**
 * The command line of a step rule: judges the report named on the command line with
 * `shortfall`, prints the verdict and exits 0 (sustained), 1 (not), or 2 (fell behind too).
 */
export function judgeFromCommandLine(shortfallOf) {
    const [file, limit] = process.argv.slice(2);
    const report = JSON.parse(readFileSync(file, 'utf8'));
    const problem = shortfallOf(report, Number(limit));
    if (problem === null) {
        console.log('sustained');
        process.exit(0);
    }
    const behind = fellBehind(report, Number(limit));
    console.log(`not sustained: ${problem}${behind ? ' (fell behind)' : ''}`);
    process.exit(behind ? 2 : 1);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
    judgeFromCommandLine(shortfall);
}
