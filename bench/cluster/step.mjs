// When a step of the cluster climb counts as sustained: the fan-out rule of
// bench/servers/fanout.mjs (everything connected and subscribed, published, delivered exactly
// once, p99 within the limit), and the events taken at the rate asked for. A cluster whose ingest
// path makes the publisher fall behind (node 0's socket, or the Redis every instance reads from)
// served a lower rate than the step's. Shared by bench/cluster/run.sh, which climbs with it, and
// bench/cluster/events.mjs, which reports the climb.
//
// Usage: node bench/cluster/step.mjs REPORT.json P99_LIMIT_MS
// prints "sustained" and exits 0, or prints "not sustained: <why>" and exits 1, or 2 when the
// cluster also fell behind.

import { fileURLToPath } from 'node:url';
import { judgeFromCommandLine, shortfall as fanoutShortfall } from '../servers/fanout.mjs';

/** The share of the asked rate the events must be published at (the generator's own warning). */
const PUBLISHED_SHARE = 0.95;

/** Why the step in `report` (the generator's JSON report of one run) is not sustained, or null. */
export function shortfall(report, p99LimitMs) {
    const problem = fanoutShortfall(report, p99LimitMs);
    if (problem !== null) {
        return problem;
    }
    if (report.publish.per_second < PUBLISHED_SHARE * report.rate) {
        return `events taken at ${Math.round(report.publish.per_second)}/s of ${report.rate}/s`;
    }
    return null;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
    judgeFromCommandLine(shortfall);
}
