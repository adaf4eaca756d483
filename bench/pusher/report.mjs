// Turns bench/pusher's results (one JSON line per measurement) into the "pusher" section of
// docs/benchmarks.md.
//
// Usage: node bench/pusher/report.mjs RESULTS.jsonl docs/benchmarks.md

import { readFileSync } from 'node:fs';

import { number, ratio, table, wrap, writeSection } from '../markdown.mjs';

const [resultsPath, documentPath] = process.argv.slice(2);
const results = readFileSync(resultsPath, 'utf8').trim().split('\n').map((line) => JSON.parse(line));
const env = process.env;

const counts = [...new Set(results.map((r) => r.connections))].sort((a, b) => a - b);
const of = (kind, connections) => results.find((r) => r.kind === kind && r.connections === connections);
const kib = (bytes) => (bytes === undefined ? '—' : `${number(bytes / 1024)} KiB`);
const rows = counts.map((connections) => {
    const pusher = of('pusher', connections);
    const socketio = of('socketio', connections);
    return [
        number(connections),
        kib(pusher?.bytes_per_connection),
        kib(socketio?.bytes_per_connection),
        ratio(socketio?.bytes_per_connection, pusher?.bytes_per_connection),
    ];
});

const start = '<!-- pusher:start -->';
const end = '<!-- pusher:end -->';
const lines = [
    start,
    '## Pusher protocol: idle memory per connection',
    '',
    `Run: \`${env.BENCH_COMMAND}\`, ${env.BENCH_DATE}, commit ${env.BENCH_COMMIT}; ${env.BENCH_CPU}, ${env.BENCH_CORES} cores, ${env.BENCH_KERNEL}.`,
    '',
    'One sidecast process per measurement; the clients connect one after another, each subscribes to one of 100 public channels, and the server\'s resident memory (VmRSS) is read before the first and 3 s after the last (`bench/pusher/idle.mjs`). The Pusher clients are raw WebSockets speaking the protocol (and answering pings), the socket.io clients socket.io-client 4 over WebSocket, as Echo subscribes. The goal for the Pusher front end is at most 8 KiB per idle connection at 10,000 connections.',
    '',
    table(['connections', 'Pusher front end', 'socket.io front end', 'socket.io ÷ Pusher'], rows),
    '',
    'Not measured here yet: CPU per delivery and sustained deliveries per second of the Pusher front end against Sockudo and Reverb (sidecast-loadgen does not speak the Pusher protocol yet).',
    end,
];
writeSection(documentPath, start, end, lines.map(wrap).join('\n'));
