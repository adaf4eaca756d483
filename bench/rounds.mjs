// Reading what a part of the benchmark suite that takes turns (bench/metrics, bench/webhooks)
// left in its results directory, and the statistics its report quotes: shared by their
// report.mjs scripts.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** settings.json and manifest.jsonl (one JSON line a round) of `resultsDir`. */
export function readResults(resultsDir) {
    const settings = JSON.parse(readFileSync(join(resultsDir, 'settings.json'), 'utf8'));
    const manifest = readFileSync(join(resultsDir, 'manifest.jsonl'), 'utf8')
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => JSON.parse(line));
    return { settings, manifest };
}

/** The generator's report of round `entry.round`, or the last line of what it said when it failed. */
export function roundReport(resultsDir, entry) {
    const path = join(resultsDir, `round-${entry.round}.json`);
    const text = existsSync(path) ? readFileSync(path, 'utf8').trim() : '';
    if (entry.status === 0 && text !== '') {
        return { report: JSON.parse(text) };
    }
    const stderr = readFileSync(join(resultsDir, `round-${entry.round}.stderr`), 'utf8').trim().split('\n');
    return { error: `status ${entry.status}: ${stderr[stderr.length - 1] || 'no output'}` };
}

export function median(values) {
    if (values.length === 0) {
        return null;
    }
    const sorted = [...values].sort((a, b) => a - b);
    const middle = Math.floor(sorted.length / 2);
    return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** (max − min) ÷ median of the rounds of one setup: how far runs of the same thing drift apart. */
export function spread(values) {
    const middle = median(values);
    return values.length < 2 || !middle ? null : (Math.max(...values) - Math.min(...values)) / middle;
}
