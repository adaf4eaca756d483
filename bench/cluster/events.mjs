// The event parts of the cluster section: latency on the node that took the events and on the
// others, beside laravel-echo-server's instances; the highest rate each cluster sustains; and
// sidecast's Redis going away and coming back under a steady run.

import { shortfall } from './step.mjs';
import { addedMs, ms, number, percentiles, ratio, table, us } from '../markdown.mjs';

export const VARIANTS = {
    sidecast: 'sidecast',
    'sidecast-redis': 'sidecast via Redis',
    'laravel-echo-server': 'laravel-echo-server',
};

/** sidecast's latency at `rate` events/s on the ingest node and on the others, or null. */
export function crossNode(results, rate) {
    const split = results.find('latency', 'sidecast', rate)?.report?.nodes;
    if (!split) {
        return null;
    }
    const [same, other] = [split.same_node.latency_ms, split.other_node.latency_ms];
    return { same, other, added: other.p50 - same.p50 };
}

export function latencySection(results) {
    const { settings } = results;
    const rates = results.rates('latency');
    const lines = ['### Latency: the node that took the event, the other nodes, laravel-echo-server', ''];
    const durations = rates.map((rate) => {
        const seconds = results.find('latency', 'sidecast', rate)?.report?.duration_s;
        return `${number(seconds)} s at ${number(rate)}`;
    });
    lines.push(`${number(settings.clients)} clients, ${number(settings.channels)} channels (${number(settings.clients / settings.channels)} subscribers each, spread over the ${settings.nodes} nodes), ${durations.join(', ')} events/s, fresh connections each time: ` +
        'p50 / p99 from the event handed to the ingest path to the client reading it. *Same node* are sidecast\'s clients on node 0, which took the events from its Unix socket; *other node* those on nodes 1 and 2, which got them from node 0 through Redis. ' +
        'laravel-echo-server\'s instances, and sidecast\'s nodes in the *via Redis* column, all get each event from Redis, published as Laravel\'s `redis` broadcaster does, so none of their clients is on a node that took it first.', '');
    const floor = results.floor?.redis_rtt_ms;
    const rows = rates.map((rate) => {
        const report = (variant) => results.find('latency', variant, rate)?.report;
        const cross = crossNode(results, rate);
        const lost = Object.keys(VARIANTS).map((variant) => number(report(variant)?.deliveries.lost)).join(' / ');
        return [
            number(rate),
            percentiles(cross?.same),
            percentiles(cross?.other),
            addedMs(cross?.added),
            percentiles(report('sidecast-redis')?.latency_ms),
            percentiles(report('laravel-echo-server')?.latency_ms),
            lost,
        ];
    });
    lines.push(table(['events/s', 'sidecast, same node', 'sidecast, other node', 'other − same, p50', 'sidecast via Redis', 'laravel-echo-server', 'lost (sidecast / via Redis / l-e-s)'], rows), '');
    if (floor) {
        lines.push(`The floor of a hop between nodes here: a round trip to Redis on loopback (\`redis-cli --latency\`, ${number(floor.samples)} PINGs) took ${ms(floor.avg)} on average. A cross-node delivery adds to the same-node path one write to Redis, Redis' write to the other node, and that node's decoding and fan-out.`, '');
    }
    lines.push('What each delivery cost: the CPU time of the three server processes and their redis-server from the first publish to the last delivery, divided by the deliveries (at 10 events/s mostly the idle cost of heartbeats, in 10 ms ticks, over few deliveries).', '');
    const cost = rates.map((rate) => {
        const cpu = (variant) => results.find('latency', variant, rate)?.report?.server?.cpu_per_delivery_us;
        return [number(rate), us(cpu('sidecast')), us(cpu('sidecast-redis')), us(cpu('laravel-echo-server')), ratio(cpu('sidecast'), cpu('laravel-echo-server'))];
    });
    lines.push(table(['events/s', 'sidecast', 'sidecast via Redis', 'laravel-echo-server', 'sidecast ÷ laravel-echo-server'], cost), '');
    return lines;
}

/** A cluster's climb: one decided step per rate (a sustained retry, or else the last run), and the highest sustained. */
export function climbOf(results, variant) {
    const runs = results.all('climb', variant).filter((entry) => entry.report);
    const steps = [];
    for (const rate of [...new Set(runs.map((entry) => entry.rate))]) {
        const atRate = runs.filter((entry) => entry.rate === rate);
        steps.push(atRate.find((entry) => shortfall(entry.report, results.settings.p99_limit_ms) === null) ?? atRate[atRate.length - 1]);
    }
    const sustained = steps.filter((entry) => shortfall(entry.report, results.settings.p99_limit_ms) === null).pop() ?? null;
    return { runs, steps, sustained };
}

export function climbSection(results) {
    const limit = results.settings.p99_limit_ms;
    const lines = ['### The highest event rate each cluster sustains', ''];
    lines.push(`The same clients and channels, the rate raised step by step with fresh connections, judged as in scenario A and more strictly: sustained when every client connected and subscribed, every event was published and at 95 % of the rate or more (a cluster whose ingest path holds the publisher back takes a lower rate than the step's), every delivery arrived exactly once and p99 ≤ ${limit} ms. ` +
        'A rate not sustained is run once more; the climb ends at the first rate not sustained once a lower one was. sidecast is fed through node 0\'s Unix socket, laravel-echo-server through its Redis.', '');
    const climbs = { sidecast: climbOf(results, 'sidecast'), 'laravel-echo-server': climbOf(results, 'laravel-echo-server') };
    const best = (variant) => climbs[variant].sustained?.report;
    const figures = [
        ['highest rate sustained (events/s)', (r) => r?.rate ?? null, (v) => (v === null ? 'none' : number(v))],
        ['deliveries/s there', (r) => r?.deliveries.per_second ?? null, number],
        ['latency p50 / p99 there', (r) => r?.latency_ms, percentiles, false],
        ['server CPU per delivery there (3 processes and Redis)', (r) => r?.server?.cpu_per_delivery_us ?? null, us],
        ['server cores there', (r) => r?.server?.cores_publish ?? null, number],
        ['generator cores there', (r) => r?.generator.cores_publish ?? null, number],
    ];
    lines.push(table(['figure', 'sidecast', 'laravel-echo-server', 'sidecast ÷ laravel-echo-server'], figures.map(([name, pick, format, comparable = true]) => {
        const [ours, theirs] = [pick(best('sidecast')), pick(best('laravel-echo-server'))];
        return [name, format(ours), format(theirs), comparable ? ratio(ours, theirs) : '—'];
    })), '');
    const highest = Math.max(...results.settings.climb_rates);
    for (const variant of Object.keys(climbs)) {
        if (best(variant)?.rate === highest) {
            lines.push(`${VARIANTS[variant]} sustained the highest rate this preset tries, ${number(highest)} events/s: its limit lies higher and was not found${best(variant).warnings.some((w) => w.includes('may be the bottleneck')) ? ' (the generator was near its own limit there)' : ''}.`, '');
        }
    }
    const rows = [];
    for (const variant of Object.keys(climbs)) {
        for (const entry of climbs[variant].runs) {
            const r = entry.report;
            const problem = shortfall(r, limit);
            const split = r.nodes;
            rows.push([
                number(entry.rate) + (entry.attempt > 1 ? ' (again)' : ''),
                VARIANTS[variant],
                number(r.deliveries.per_second),
                percentiles(r.latency_ms),
                variant === 'sidecast' && split ? `${percentiles(split.same_node.latency_ms)}; ${percentiles(split.other_node.latency_ms)}` : '—',
                number(r.deliveries.lost),
                us(r.server?.cpu_per_delivery_us),
                number(r.server?.cores_publish),
                number(r.generator.cores_publish),
                (problem ? `not sustained: ${problem}` : 'sustained') + (r.warnings.some((w) => w.includes('may be the bottleneck')) ? '; generator-bound' : ''),
            ]);
        }
    }
    lines.push('<details><summary>Every step</summary>', '');
    lines.push(table(['events/s', 'cluster', 'deliveries/s', 'p50 / p99', 'same node; other node', 'lost', 'server CPU per delivery', 'server cores', 'generator cores', 'result'], rows), '');
    lines.push('</details>', '');
    return lines;
}

/** sidecast's Redis outage: when deliveries across nodes stopped and came back, against when Redis did. */
export function outageOf(results) {
    const entry = results.find('outage', 'sidecast');
    const split = entry?.report?.nodes;
    const silences = split?.other_node.silences;
    if (!split || !silences?.first_to_unix_ms || silences.first_to_unix_ms < entry.returned_unix_ms) {
        return entry ? { entry, measured: false } : null;
    }
    return {
        entry,
        measured: true,
        firstBack: silences.first_to_unix_ms - entry.returned_unix_ms,
        lastBack: silences.last_to_unix_ms - entry.returned_unix_ms,
        silentFor: silences.longest_ms,
        same: split.same_node,
        other: split.other_node,
    };
}

export function outageSection(results) {
    const outage = outageOf(results);
    if (!outage) {
        return [];
    }
    const { entry } = outage;
    const report = entry.report;
    const lines = ['### sidecast\'s Redis going away and coming back', ''];
    lines.push(`${report ? number(report.clients) : '30'} clients spread over the nodes receive 100 events/s on one channel through node 0's Unix socket; a few seconds in, the cluster's redis-server is stopped (SIGTERM; no persistence, so it comes back empty), and ${results.settings.outage_down_s} s later started again on the same port. ` +
        'The generator notes, by the wall clock, the clients that went 250 ms or more without an event; Redis\' return is the time redis-server logged that it accepts connections.', '');
    if (!report) {
        lines.push(`Not measured: the generator could not complete the run (${entry.error}).`, '');
        return lines;
    }
    if (!outage.measured) {
        lines.push('Not measured: no client on another node fell silent across Redis\' return, so the outage did not fall within the publishing (see the warnings below).', '');
        return lines;
    }
    const rows = [
        ['first delivery on another node after Redis\' return', ms(outage.firstBack)],
        ['the last of the other nodes\' clients to hear again, after Redis\' return', ms(outage.lastBack)],
        ['longest silence of a client on another node', ms(outage.silentFor)],
        ['events lost on the other nodes (delivered late, not at all)', `${number(outage.other.deliveries.lost)} of ${number(outage.other.deliveries.expected)}`],
        ['latency on the other nodes, p50 / p99 / max', `${percentiles(outage.other.latency_ms)} / ${ms(outage.other.latency_ms.max)}`],
        ['node 0\'s clients silent for 250 ms or more', `${number(outage.same.silences?.clients ?? 0)} of ${number(outage.same.clients)} (latency p99 ${ms(outage.same.latency_ms.p99)}): local delivery ${outage.same.silences?.clients ? 'stopped' : 'went on'}`],
    ];
    lines.push(table(['figure', 'value'], rows), '');
    return lines;
}
