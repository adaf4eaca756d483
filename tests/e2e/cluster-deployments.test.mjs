// The ways a cluster's Redis is deployed: over TLS (rediss://), behind Redis Sentinel
// (redis+sentinel://), and as a Redis Cluster (redis+cluster://, sharded pub/sub), where a
// failover moves a master and the nodes follow it — events cross nodes and presence works
// before and after.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { joinAt, publishAt } from './support/cluster.mjs';
import { VARIANTS, connectEcho, eventually, untilSubscribed } from './support/echo-clients.mjs';
import {
    freePort, redisCli, startLaravel, startRedis, startRedisCluster, startSentinel, startSidecar, stopAll, tempDir,
} from './support/processes.mjs';

after(stopAll);

const scratch = tempDir();
const open = [];
let laravel;
let authHost;

before(async () => {
    const appPort = await freePort();
    authHost = `http://127.0.0.1:${appPort}`;
    laravel = await startLaravel({ sidecar: null, extension: false, port: appPort, workers: 2 });
});

after(async () => {
    for (const client of open) client.close();
    await laravel?.stop();
    scratch.remove();
});

/** A node of a cluster on the Redis at `url`, with short liveness timings. */
function node(name, url) {
    return startSidecar({
        dir: scratch.dir,
        socket: join(scratch.dir, `${name}.sock`),
        args: ['--auth-host', authHost, '--cluster-redis', url, '--cluster-heartbeat', '0.5', '--cluster-dead-after', '2', '--cluster-sweep-every', '0.5'],
        env: { SIDECAST_LOG: 'info,sidecast_cluster=debug' },
    }).then((child) => Object.assign(child, { name }));
}

/**
 * Checks that events and presence cross between `a` and `b`, in `room`, as users `id` and
 * `id + 1`, and that the roster is kept by the Redis at `redisPort` (a node of a Redis
 * Cluster with `cluster`, asked with `redis-cli -c`).
 */
async function crosses(a, b, room, id, redisPort, { cluster = false } = {}) {
    const reader = await connectEcho(VARIANTS[1], { url: b.url, transports: ['websocket'], channel: `news-${room}`, listeners: ['.Sent'] });
    open.push(reader);
    await untilSubscribed([reader], a.socket);
    // Between nodes delivery is at most once: right after a failover the nodes may still be
    // subscribing to the bus channels that moved, and what is sent meanwhile is lost. An event
    // sent every 100 ms must get through, and soon.
    for (const deadline = Date.now() + 10000; !reader.received.some(({ data }) => data.room === room);) {
        if (Date.now() > deadline) throw new Error(`no event from ${a.name} reached ${b.name}`);
        await publishAt(a, [`news-${room}`], 'Sent', { room });
        await new Promise((ok) => setTimeout(ok, 100));
    }

    const watcher = await joinAt(b, id, room);
    const member = await joinAt(a, id + 1, room);
    open.push(watcher, member);
    await eventually(() => watcher.members().join() === `${id},${id + 1}`, `a member on ${a.name} to be seen on ${b.name}`);
    await eventually(() => member.members().join() === `${id},${id + 1}`, `a member on ${b.name} to be seen on ${a.name}`);
    // What a node wrote to a master that was being replaced is written again once it follows
    // the new one: wait for the roster to be whole there.
    const roster = () => redisCli(redisPort, [...(cluster ? ['-c'] : []), 'HLEN', `sidecast:{presence-${room}}:members`]);
    for (const deadline = Date.now() + 10000; (await roster()) !== '2';) {
        if (Date.now() > deadline) throw new Error(`the roster of ${room} is not whole on the Redis at ${redisPort}`);
        await new Promise((ok) => setTimeout(ok, 50));
    }
    for (const client of [reader, watcher, member]) client.close();
}

describe('Redis over TLS', () => {
    test('rediss:// carries events and presence between nodes', async () => {
        const cert = join(scratch.dir, 'redis.crt');
        const key = join(scratch.dir, 'redis.key');
        execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
            '-keyout', key, '-out', cert], { stdio: 'ignore' });
        const tlsPort = await freePort();
        const redis = await startRedis({
            args: ['--tls-port', String(tlsPort), '--tls-cert-file', cert, '--tls-key-file', key, '--tls-ca-cert-file', cert, '--tls-auth-clients', 'no'],
        });
        // The test certificate is self-signed: `#insecure` skips its verification.
        const url = `rediss://127.0.0.1:${tlsPort}/#insecure`;
        const [a, b] = [await node('tls-a', url), await node('tls-b', url)];
        await crosses(a, b, 'chat.tls', 60, redis.port);
        assert.match(await redisCli(redis.port, ['ZCARD', 'sidecast:{nodes}']), /^2$/, 'both registered over TLS');
        for (const n of [a, b]) assert.deepEqual(await n.stop(), { code: 0, signal: null });
        await redis.stop();
    });
});

describe('Redis Sentinel', () => {
    test('the nodes follow a failover: events and presence work before and after', async () => {
        const master = await startRedis();
        const replica = await startRedis({ args: ['--replicaof', '127.0.0.1', String(master.port)] });
        const synced = async () => (await redisCli(replica.port, ['INFO', 'replication'])).includes('master_link_status:up');
        for (const deadline = Date.now() + 10000; !(await synced());) {
            if (Date.now() > deadline) throw new Error('the replica did not sync');
            await new Promise((ok) => setTimeout(ok, 50));
        }
        const sentinel = await startSentinel(scratch.dir, { name: 'sidecast-test', masterPort: master.port });
        const url = `redis+sentinel://127.0.0.1:${sentinel.port}/sidecast-test`;
        const [a, b] = [await node('sentinel-a', url), await node('sentinel-b', url)];
        await crosses(a, b, 'chat.before', 70, master.port);

        await redisCli(sentinel.port, ['SENTINEL', 'FAILOVER', 'sidecast-test']);
        const masterNow = async () => (await redisCli(sentinel.port, ['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'sidecast-test'])).split('\n')[1];
        for (const deadline = Date.now() + 20000; (await masterNow()) !== String(replica.port);) {
            if (Date.now() > deadline) throw new Error('Sentinel did not fail over');
            await new Promise((ok) => setTimeout(ok, 100));
        }
        await crosses(a, b, 'chat.after', 80, replica.port);
        for (const n of [a, b]) assert.deepEqual(await n.stop(), { code: 0, signal: null });
        for (const server of [sentinel, replica, master]) await server.stop();
    });
});

describe('Redis Cluster', () => {
    test('three masters: events and presence cross nodes, and survive a failover', async () => {
        const cluster = await startRedisCluster({ masters: 3, replicas: 1 });
        const url = `redis+cluster://${cluster.ports.slice(0, 3).map((port) => `127.0.0.1:${port}`).join(',')}`;
        const [a, b] = [await node('cluster-a', url), await node('cluster-b', url)];
        await crosses(a, b, 'chat.sharded', 90, cluster.ports[0], { cluster: true });

        // Fail over the master of the next room's keys to its replica.
        const room = 'chat.failover';
        const slot = Number(await redisCli(cluster.ports[0], ['CLUSTER', 'KEYSLOT', `sidecast:{presence-${room}}:members`]));
        const replica = await replicaOfSlot(cluster.ports, slot);
        await redisCli(replica, ['CLUSTER', 'FAILOVER']);
        for (const deadline = Date.now() + 20000; !(await redisCli(replica, ['ROLE'])).startsWith('master');) {
            if (Date.now() > deadline) throw new Error('the replica did not take over');
            await new Promise((ok) => setTimeout(ok, 100));
        }
        await crosses(a, b, room, 92, replica, { cluster: true });
        for (const n of [a, b]) assert.deepEqual(await n.stop(), { code: 0, signal: null });
        await cluster.stop();
    });
});

/** The port of a replica of the master that serves `slot`. */
async function replicaOfSlot(ports, slot) {
    const nodes = (await redisCli(ports[0], ['CLUSTER', 'NODES'])).split('\n').map((line) => line.split(' '));
    const master = nodes.find(([, , flags, , , , , , ...slots]) => flags.includes('master') && slots.some((range) => {
        const [from, to = from] = range.split('-').map(Number);
        return slot >= from && slot <= to;
    }));
    const replica = nodes.find(([, , flags, masterId]) => flags.includes('slave') && masterId === master[0]);
    return Number(replica[1].split(':')[1].split('@')[0]);
}
