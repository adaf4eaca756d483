// Pusher-protocol clients for tests: pusher-js 8 as apps use it, and a raw WebSocket that shows
// every message and close code. Subscriptions are signed here with the app's secret, exactly
// as the app's /broadcasting/auth would sign them, so these tests need no Laravel app.

import { createHmac } from 'node:crypto';

import Pusher from 'pusher-js';
import WebSocket from 'ws';

import { eventually } from './echo-clients.mjs';

export const APP = { id: 'e2e-app', key: 'e2e-key', secret: 'e2e-secret' };
export const APP_ARGS = ['--app-id', APP.id, '--app-key', APP.key, '--app-secret', APP.secret];

/** `<key>:<hex HMAC-SHA256>` of `text`, as pusher-http-php signs. */
export function sign(text, { key = APP.key, secret = APP.secret } = {}) {
    return `${key}:${createHmac('sha256', secret).update(text).digest('hex')}`;
}

/**
 * A connected pusher-js client. `member` ({user_id, user_info}) is what presence subscriptions
 * are signed for; `user` ({id, …}) is what `signin()` is signed for. Every error and state
 * change is recorded.
 */
export async function openPusher(port, { key = APP.key, member, user, signWith = {} } = {}) {
    const errors = [];
    const states = [];
    const pusher = new Pusher(key, {
        wsHost: '127.0.0.1',
        wsPort: port,
        forceTLS: false,
        enabledTransports: ['ws'],
        cluster: '',
        disableStats: true,
        channelAuthorization: {
            customHandler: ({ socketId, channelName }, callback) => {
                if (channelName.startsWith('presence-')) {
                    const channelData = JSON.stringify(member);
                    callback(null, { auth: sign(`${socketId}:${channelName}:${channelData}`, signWith), channel_data: channelData });
                } else {
                    callback(null, { auth: sign(`${socketId}:${channelName}`, signWith) });
                }
            },
        },
        userAuthentication: {
            customHandler: ({ socketId }, callback) => {
                const userData = JSON.stringify(user);
                callback(null, { auth: sign(`${socketId}::user::${userData}`, signWith), user_data: userData });
            },
        },
    });
    pusher.connection.bind('error', (error) => errors.push(error));
    pusher.connection.bind('state_change', ({ current }) => states.push(current));
    // Connected, or given up: a refused connection ends `disconnected` with the error recorded.
    await eventually(() => pusher.connection.state === 'connected' || errors.length > 0, 'pusher-js to connect');
    return { pusher, errors, states, socketId: pusher.connection.socket_id, close: () => pusher.disconnect() };
}

/** Subscribes and resolves once `pusher:subscription_succeeded` (or an error) arrives. */
export async function subscribed(client, name) {
    const channel = client.pusher.subscribe(name);
    const outcome = await new Promise((ok) => {
        channel.bind('pusher:subscription_succeeded', (data) => ok({ ok: true, data }));
        channel.bind('pusher:subscription_error', (error) => ok({ ok: false, error }));
    });
    return Object.assign(channel, { outcome });
}

/**
 * A raw WebSocket to the sidecar: every decoded message in `messages` (with `data` parsed when
 * it is a JSON string, as pusher-js does), the close code and reason in `closed`.
 */
export async function openRaw(port, { path = `/app/${APP.key}?protocol=7`, headers = {} } = {}) {
    const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`, { headers });
    const messages = [];
    const closed = new Promise((ok) => ws.on('close', (code, reason) => ok({ code, reason: reason.toString() })));
    ws.on('message', (bytes, binary) => {
        const message = JSON.parse(bytes.toString());
        if (typeof message.data === 'string') {
            try { message.data = JSON.parse(message.data); } catch { /* kept as the string */ }
        }
        messages.push(binary ? { binary: true, ...message } : message);
    });
    await new Promise((ok, fail) => ws.once('open', ok).once('error', fail));
    const raw = {
        ws,
        messages,
        closed,
        send: (message) => ws.send(typeof message === 'string' ? message : JSON.stringify(message)),
        /** The next message (after the `from`-th) for which `predicate` holds. */
        next: async (predicate, from = 0) => {
            let found;
            await eventually(() => (found = messages.slice(from).find(predicate)), 'a message from the sidecar');
            return found;
        },
        close: () => ws.close(),
    };
    const established = await raw.next((m) => m.event === 'pusher:connection_established' || m.event === 'pusher:error');
    raw.socketId = established.data?.socket_id;
    return raw;
}
