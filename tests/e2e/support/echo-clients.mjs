// Laravel Echo clients as apps run them: Echo 1.x with socket.io-client 2.x (what
// laravel-echo-server users have) and Echo 2.x with socket.io-client 4.x.

import Echo2 from 'laravel-echo';
import Echo1Module from 'laravel-echo-1';
import io4 from 'socket.io-client';
import io2 from 'socket.io-client-2';
import { sleep } from './processes.mjs';
import { publish, publishFrame } from './wire.mjs';

// laravel-echo 1.x is CommonJS: its class is the `default` export of the module object.
const Echo1 = Echo1Module.default ?? Echo1Module;

/** The event name of the probes `untilSubscribed` sends. */
export const PROBE = 'sidecast-probe';

export const VARIANTS = [
    { name: 'laravel-echo 1.x + socket.io-client 2.x', Echo: Echo1, io: io2 },
    { name: 'laravel-echo 2.x + socket.io-client 4.x', Echo: Echo2, io: io4 },
];

/**
 * A connected Echo client. `auth` and `extraHeaders` are Echo's and socket.io-client's own
 * options: headers for the app's auth endpoint, and headers (a session cookie) for the
 * connection request. `setup(echo)` runs right after `new Echo()`, before the connection is
 * up, as an app's subscriptions do; what it returns is merged into the result.
 * `subscription_error`s are recorded in `errors`. With `reconnect`, the client reconnects
 * quickly after losing the connection (and Echo subscribes again), as apps' clients do with
 * socket.io's defaults; without it, a lost connection stays lost.
 */
export async function openEcho(variant, { url, transports = ['websocket'], auth, extraHeaders, setup, tls, reconnect = false }) {
    const echo = new variant.Echo({
        broadcaster: 'socket.io',
        host: url,
        client: variant.io,
        transports,
        reconnection: reconnect,
        ...(reconnect ? { reconnectionDelay: 50, reconnectionDelayMax: 200, randomizationFactor: 0 } : {}),
        forceNew: true,
        // Node's TLS options, such as `ca`, for a server with a test certificate.
        ...(tls ?? {}),
        ...(auth ? { auth } : {}),
        // socket.io-client 2.x takes extraHeaders for every transport; 4.x as well in Node.
        ...(extraHeaders ? { extraHeaders, transportOptions: { polling: { extraHeaders }, websocket: { extraHeaders } } } : {}),
    });
    const socket = echo.connector.socket;
    const errors = [];
    socket.on('subscription_error', (channel, status) => errors.push({ channel, status }));
    const extra = setup?.(echo) ?? {};
    await new Promise((ok, fail) => {
        const timer = setTimeout(() => fail(new Error(`${variant.name} (${transports}) did not connect to ${url}`)), 10000);
        const done = () => { clearTimeout(timer); ok(); };
        if (socket.connected) done(); else socket.once('connect', done);
    });
    return { ...extra, echo, socket, errors, variant, close: () => echo.disconnect() };
}

/**
 * Counts probes on an Echo channel object (`echo.channel(…)`, `echo.private(…)`,
 * `echo.join(…)`) whose full name is `channel`, for `untilSubscribed` and
 * `afterEverythingSoFar`.
 */
export function probed(echoChannel, channel) {
    const watcher = { channel, probes: 0 };
    echoChannel.listen(`.${PROBE}`, () => { watcher.probes += 1; });
    return watcher;
}

/**
 * A connected Echo client on the public `channel`, recording what each of `listeners` (Echo
 * event names, as an app passes them to listen()) receives.
 */
export async function connectEcho(variant, { url, transports, channel, listeners, reconnect }) {
    const received = [];
    let watcher;
    const opened = await openEcho(variant, {
        url,
        transports,
        reconnect,
        // Subscribing before the connection is up, as apps do, exercises the sidecar's
        // handling of a `subscribe` that arrives with the connection.
        setup: (echo) => {
            const subscription = echo.channel(channel);
            for (const listener of listeners) {
                subscription.listen(listener, (data) => received.push({ listener, data }));
            }
            watcher = probed(subscription, channel);
        },
    });
    return Object.assign(watcher, opened, {
        received,
        describe: `${variant.name} over ${transports.join('+')}`,
    });
}

/**
 * Echo has no acknowledgement for `subscribe`, so a test cannot know when the sidecar has
 * applied it. This publishes probe events on each client's channel until every client has
 * received one: from then on, the client is subscribed.
 */
export async function untilSubscribed(clients, socketPath) {
    const channels = [...new Set(clients.map((client) => client.channel))];
    const probe = publishFrame({ channels, event: PROBE, payload: '{}' });
    const deadline = Date.now() + 10000;
    while (clients.some((client) => client.probes === 0)) {
        if (Date.now() > deadline) throw new Error('clients did not receive probe events within 10 s: not subscribed');
        await publish(socketPath, probe);
        await sleep(50);
    }
}

/** Waits until `condition()` holds; fails with `what` after `timeoutMs`. */
export async function eventually(condition, what, timeoutMs = 10000) {
    const deadline = Date.now() + timeoutMs;
    // `condition` may be async: its promise is awaited, not taken for a truthy value.
    while (!(await condition())) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await sleep(20);
    }
}

/**
 * Resolves once each client has received a probe published now. Each socket receives in the
 * order the hub handed messages to it, so whatever was handed to these clients before is in
 * their records by then: "received nothing" can be asserted without guessing a delay.
 */
export async function afterEverythingSoFar(clients, socketPath) {
    const before = clients.map((client) => client.probes);
    const channels = [...new Set(clients.map((client) => client.channel))];
    await publish(socketPath, publishFrame({ channels, event: PROBE, payload: '{}' }));
    await eventually(() => clients.every((client, i) => client.probes > before[i]), 'the probe to reach every client');
}
