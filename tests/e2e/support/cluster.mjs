// A cluster of sidecars for end-to-end tests: one redis-server, and nodes that each run from a
// laravel-echo-server.json of their own (HTTP API client, Laravel's redis broadcaster on the
// same Redis, and the `sidecast.cluster` section reusing databaseConfig.redis), with short
// liveness timings so that a dead node is noticed within seconds.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { VARIANTS, afterEverythingSoFar, eventually, openEcho, probed } from './echo-clients.mjs';
import { freePort, startLaravel, startRedis, startSidecar } from './processes.mjs';
import { publish, publishFrame } from './wire.mjs';

export const API = { appId: 'cluster-app', key: 'cluster-api-key-0123' };
export const LARAVEL_PREFIX = 'laravel_database_';

/** Liveness of the test cluster: a silent node is dead after 2 s, looked for every 0.5 s. */
export const TIMINGS = { heartbeatMs: 500, deadAfterMs: 2000, sweepEveryMs: 500 };
/** The longest a dead node's members may take to leave: dead after + one sweep + slack. */
export const LEAVE_BOUND_MS = TIMINGS.deadAfterMs + TIMINGS.sweepEveryMs + 2500;

/** Starts node `name` of the cluster on Redis at `redisPort`; `authHost` authorizes channels. */
export async function startNode(scratch, name, { redisPort, authHost, port, env = {} }) {
    const dir = join(scratch, name);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'laravel-echo-server.json'), JSON.stringify({
        authHost,
        host: '127.0.0.1',
        clients: [API],
        databaseConfig: { redis: { host: '127.0.0.1', port: redisPort, keyPrefix: LARAVEL_PREFIX } },
        sidecast: { cluster: { redis: 'databaseConfig', ...TIMINGS } },
    }));
    const node = await startSidecar({
        dir,
        port,
        socket: join(dir, 'sidecast.sock'),
        args: ['--dir', dir],
        env: { SIDECAST_LOG: 'info,sidecast_cluster=debug,sidecast_socketio=debug,sidecast_auth=debug', ...env },
    });
    return Object.assign(node, { name, dir });
}

/**
 * Starts a redis-server, `names.length` nodes on it (with `env` added to each one's), and the
 * demo Laravel app (4 workers) that authorizes their channels and broadcasts through the first
 * node. `stop()` stops them all and resolves with the nodes' exits.
 */
export async function startCluster(scratch, names, { env = {} } = {}) {
    const redis = await startRedis();
    const appPort = await freePort();
    const nodes = [];
    for (const name of names) {
        nodes.push(await startNode(scratch, name, { redisPort: redis.port, authHost: `http://127.0.0.1:${appPort}`, env }));
    }
    const laravel = await startLaravel({ sidecar: nodes[0], extension: true, port: appPort, workers: 4 });
    const stop = async () => {
        await laravel.stop();
        const exits = await Promise.all(nodes.map((node) => node.stop()));
        await redis.stop();
        return exits;
    };
    return { redis, laravel, nodes, stop };
}

/** Publishes an event on `channels` through a node's Unix socket. */
export function publishAt(node, channels, event, payload, socketId = null) {
    return publish(node.socket, publishFrame({ channels, event, payload: JSON.stringify(payload), socketId }));
}

/** Publishes through a node's HTTP API, as laravel-echo-server's API took it. */
export async function publishOverApi(node, channel, name, data, socketId) {
    const response = await fetch(`${node.url}/apps/${API.appId}/events?auth_key=${API.key}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ channel, name, data, ...(socketId ? { socket_id: socketId } : {}) }),
    });
    if (response.status !== 200) throw new Error(`API answered ${response.status}: ${await response.text()}`);
}

/** GET on a node's HTTP API: [status, JSON body, headers]. */
export async function askApi(node, path) {
    const separator = path.includes('?') ? '&' : '?';
    const response = await fetch(`${node.url}/apps/${API.appId}${path}${separator}auth_key=${API.key}`);
    return [response.status, await response.json(), response.headers];
}

/**
 * Resolves once every client has everything published so far on every node: a probe from each
 * node arrives after whatever that node sent before (one ordered writer per node), so what is
 * still in flight from any node has arrived by then.
 */
export async function afterEverythingEverywhere(clients, nodes) {
    for (const node of nodes) await afterEverythingSoFar(clients, node.socket);
}

/** Waits until `node` is subscribed to the bus (a restarted node, a restarted Redis). */
export async function untilListening(node, times = 1) {
    await eventually(() => node.output.split('listening to the other nodes').length > times, `${node.name} to listen to the bus`, 15000);
}

/**
 * User `id` joins presence channel `room` through `node` (bearer token of the demo app),
 * recording what Echo tells it; `members()` is the member list as it stands for this client.
 */
export async function joinAt(node, id, room, variant = VARIANTS[id % 2]) {
    const seen = { here: [], joining: [], leaving: [], log: [] };
    const client = await openEcho(variant, {
        url: node.url,
        auth: { headers: { Authorization: `Bearer token-${id}` } },
        setup: (echo) => {
            const channel = echo.join(room)
                .here((users) => {
                    seen.here.push(users.map((u) => u.id));
                    seen.log.push(['=', users.map((u) => u.id)]);
                })
                .joining((user) => {
                    seen.joining.push(user.id);
                    seen.log.push(['+', user.id]);
                })
                .leaving((user) => {
                    seen.leaving.push(user.id);
                    seen.log.push(['-', user.id]);
                });
            return { watcher: probed(channel, `presence-${room}`), channel };
        },
    });
    const members = () => {
        let present = new Set();
        for (const [sign, who] of seen.log) {
            if (sign === '=') present = new Set(who);
            else if (sign === '+') present.add(who);
            else present.delete(who);
        }
        return [...present].sort((a, b) => a - b);
    };
    return Object.assign(client, { seen, id, node: node.name, members });
}
