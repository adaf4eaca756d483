// A stand-in for a Laravel app's /broadcasting/auth: refuses `private-denied` (403) and
// allows every other channel; a presence channel's member is the `user` the client's
// `X-User` header names (7 when absent).

import http from 'node:http';

import { freePort } from './processes.mjs';

export async function startAuthApp() {
    const app = http.createServer((request, response) => {
        let body = '';
        request.on('data', (chunk) => { body += chunk; });
        request.on('end', () => {
            const channel = new URLSearchParams(body).get('channel_name') ?? '';
            if (channel === 'private-denied') {
                response.writeHead(403, { 'content-type': 'application/json' });
                response.end('{"message":"This action is unauthorized."}');
                return;
            }
            const user = request.headers['x-user'] ?? '7';
            response.writeHead(200, { 'content-type': 'application/json' });
            response.end(channel.startsWith('presence-')
                ? JSON.stringify({ channel_data: { user_id: user, user_info: { name: `user ${user}` } } })
                : 'true');
        });
    });
    const port = await freePort();
    await new Promise((ok) => app.listen(port, '127.0.0.1', ok));
    return { url: `http://127.0.0.1:${port}`, close: () => app.close() };
}
