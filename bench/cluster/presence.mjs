// The presence parts of the cluster section: joins announced across the nodes, the roster each
// joiner is shown, the leavings of a killed node's members, Redis memory per member, and what
// laravel-echo-server's instances do with the same joins and kill.

import { addedMs, ms, number, percentiles, table } from '../markdown.mjs';

/** The leavings after the SIGKILL in the presence measurement of `variant`, timed from the kill. */
export function leavingOf(results, variant) {
    const entry = results.find('presence', variant);
    const leaving = entry?.report?.leaving;
    if (!leaving) {
        return null;
    }
    return {
        members: leaving.members_broken,
        seen: leaving.seen,
        expected: leaving.expected,
        afterKill: leaving.last_unix_ms === null ? null : leaving.last_unix_ms - entry.killed_unix_ms,
    };
}

export function presenceSection(results) {
    const { settings } = results;
    const sidecast = results.find('presence', 'sidecast');
    const echoServer = results.find('presence', 'laravel-echo-server');
    const lines = ['### Presence across nodes', ''];
    lines.push(`The demo Laravel app (\`php -S\`, 4 workers) authorizes \`presence-chat.bench\` for users with a bearer token. One observer per node joins first (users 1 to 3); then joiners follow one at a time, ${number(settings.join_rate)} a second, joiner *j* on node *j* mod 3 as the next user (\`sidecast-loadgen presence\`). ` +
        'Each join is timed from the joiner sending its `subscribe`: to its own `presence:subscribed` (which includes the app\'s authorization), and to each observer reading its `presence:joining`, on the joiner\'s node and on the others. ' +
        `Then the last node is killed (SIGKILL) and the observers left time the \`leaving\` of its members. sidecast's nodes run with heartbeat ${number(settings.heartbeat_s)} s, dead after ${number(settings.dead_after_s)} s, sweep every ${number(settings.sweep_every_s)} s, so a dead node's members should be gone within ${number(settings.leave_bound_s)} s` +
        (settings.preset === 'quick' ? ' (the quick preset\'s shortened settings; the defaults are 3, 15 and 5 s, a bound of 20 s).' : ' (the defaults).'), '');
    const joins = (entry) => entry?.report?.joins;
    const joining = (entry) => entry?.report?.joining;
    const cell = (entry, pick) => (entry?.report ? pick(entry.report) : entry ? `could not run: ${entry.error}` : 'not measured');
    const leaving = { sidecast: leavingOf(results, 'sidecast'), 'laravel-echo-server': leavingOf(results, 'laravel-echo-server') };
    const killed = (variant, entry) => {
        const l = leaving[variant];
        if (!l) {
            return entry?.report ? 'no member\'s connection broke' : '—';
        }
        return `${number(l.seen)} of ${number(l.expected)} read; ` + (l.afterKill === null ? `none within the ${number(variant === 'sidecast' ? settings.hold_s : settings.les_hold_s)} s waited` : `the last ${ms(l.afterKill)} after the kill`);
    };
    const rows = [
        ['joins subscribed', (r) => `${number(r.joins.subscribed)} of ${number(r.joins.planned)}`],
        ['join → own `presence:subscribed`, p50 / p99', (r) => percentiles(r.joins.subscribed_ms)],
        ['join → `joining` on the joiner\'s node, p50 / p99', (r) => percentiles(r.joining.same_node_ms)],
        ['join → `joining` on the other nodes, p50 / p99', (r) => percentiles(r.joining.other_node_ms)],
        ['other nodes − joiner\'s node, p50', (r) => (r.joining.other_node_ms.samples ? addedMs(r.joining.other_node_ms.p50 - r.joining.same_node_ms.p50) : '—')],
        ['`joining` read by the observers', (r) => `${number(r.joining.seen)} of ${number(r.joining.expected)}`],
        ['members listed to the last joiner', (r) => `${number(r.joins.members_listed_last)} of ${number(r.joins.members_present)}`],
        ['after SIGKILL of the last node: its members\' `leaving` on the others', null],
    ].map(([name, pick]) => [
        name,
        pick ? cell(sidecast, pick) : killed('sidecast', sidecast),
        pick ? cell(echoServer, pick) : killed('laravel-echo-server', echoServer),
    ]);
    lines.push(table(['figure', 'sidecast', 'laravel-echo-server'], rows), '');
    const late = leaving.sidecast?.afterKill;
    const documented = settings.leave_bound_s * 1000;
    if (late > documented) {
        const withBeat = documented + settings.heartbeat_s * 1000;
        lines.push(`The last leaving came ${ms(late - documented)} after the bound docs/scaling.md gives (dead-after + sweep-every). A node learns that another is dead from its own heartbeat's answer, and removes the members at its next sweep, so up to one heartbeat more can pass: dead-after + heartbeat + sweep-every is ${number(withBeat / 1000)} s here, which this run ${late <= withBeat ? 'kept' : `also missed, by ${ms(late - withBeat)}`}.`, '');
    }
    if (joins(sidecast) && joining(sidecast)) {
        lines.push('Most of a join is the app\'s authorization (`php -S` booting Laravel for every request), which both servers wait for; the difference between the joiner\'s node and the others is what the cluster adds.', '');
    }
    lines.push(...memorySection(results));
    return lines;
}

function memorySection(results) {
    const samples = [
        results.find('presence-memory', 'sidecast')?.memory,
        results.find('presence', 'sidecast')?.memory,
    ].filter((memory) => memory && memory.members > 0);
    if (!samples.length) {
        return [];
    }
    const limit = results.settings.hash_max_listpack_entries;
    const below = samples.every((memory) => memory.members <= limit);
    const lines = ['**Redis memory per presence member** (sidecast): `MEMORY USAGE … SAMPLES 0` of the roster\'s four keys while the members were present, divided by the members. ' +
        `This Redis keeps a hash of up to ${number(limit)} fields as a compact listpack (\`hash-max-listpack-entries\`), beyond that as a hash table` +
        (below ? ', which costs more per field: the demo app\'s 200 users keep these rosters below that, so a larger channel costs more per member than this.' : '.'), ''];
    const keys = ['members', 'refs', 'sockets', 'meta'];
    const rows = samples.map((memory) => {
        const total = keys.reduce((sum, key) => sum + (memory.keys[key].bytes ?? 0), 0);
        return [
            number(memory.members),
            ...keys.map((key) => `${number(memory.keys[key].bytes)} B (${memory.keys[key].encoding})`),
            `${number(total)} B`,
            `${number(total / memory.members)} B`,
        ];
    });
    lines.push(table(['members', ...keys.map((key) => `\`:${key}\``), 'all four', 'per member'], rows), '');
    return lines;
}

/** What laravel-echo-server's instances on one Redis cannot do, measured here or read in its source. */
export function echoServerLimits(results) {
    const entry = results.find('presence', 'laravel-echo-server');
    const r = entry?.report;
    const lines = ['### What laravel-echo-server cannot do on several instances', ''];
    lines.push('Events work: every instance subscribes to Laravel\'s Redis channels, so each gets every event and delivers it to its own clients (the tables above). Beyond that, instances do not know about each other:', '');
    const measured = r
        ? ` Measured here: of ${number(r.joining.expected)} \`joining\` reads expected, the observers read ${number(r.joining.seen)}, all on the joiner's own instance; the last joiner was listed ${number(r.joins.members_listed_last)} of the ${number(r.joins.members_present)} members present.`
        : '';
    const leaving = leavingOf(results, 'laravel-echo-server');
    const afterKill = leaving
        ? ` Measured here: after the kill, the observers on the other instances read ${number(leaving.seen)} of ${number(leaving.expected)} leavings within ${number(results.settings.les_hold_s)} s.`
        : '';
    lines.push(
        `- **Presence is per instance.** \`presence:joining\` and \`presence:leaving\` go to the sockets of the instance that handled the join or leave only (socket.io 2's in-memory adapter). The member list is kept in Redis, but every join rewrites it with the members connected to that instance (its \`removeInactive\`), dropping everyone else's.${measured}`,
        `- **No cleanup of a dead instance.** There is no heartbeat: the members of an instance that crashed are never announced as leaving; they stay in Redis until some join rewrites the list.${afterKill}`,
        '- **Whispers and the HTTP API are per instance.** Client events (`client-*`) are relayed to the sender\'s instance only; the HTTP API\'s channel list and subscription counts count that instance\'s sockets, and its user lists read the member list in Redis, with the gaps above (read in laravel-echo-server 1.6.3\'s source, not measured).',
        '',
    );
    return lines;
}
