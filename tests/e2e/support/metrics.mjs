// The sidecar's /metrics, read through the Prometheus project's own text parser (Python's
// prometheus_client, Debian's python3-prometheus-client), not a parser of our own.

import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

import { ROOT } from './processes.mjs';

const PARSER = join(ROOT, 'tests/e2e/support/prometheus.py');

/** Parses Prometheus text into {"name{label=value,…}": value}; throws what the parser says. */
export function parseMetrics(text) {
    // Debian's Python, which has Debian's parser, whatever `python3` is first on the PATH.
    return JSON.parse(execFileSync('/usr/bin/python3', [PARSER], { input: text, encoding: 'utf8' }));
}

/** Scrapes `url` (a /metrics address) and parses it; `headers` for a key. */
export async function scrape(url, headers = {}) {
    const response = await fetch(url, { headers });
    if (response.status !== 200) throw new Error(`${url} answered ${response.status}: ${await response.text()}`);
    return parseMetrics(await response.text());
}

/** `after[name] - before[name]` for each name of `names` (a missing sample counts as 0). */
export function moved(before, after, names) {
    return Object.fromEntries(names.map((name) => [name, (after[name] ?? 0) - (before[name] ?? 0)]));
}
