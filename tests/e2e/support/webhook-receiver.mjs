// A webhook receiver for end-to-end tests: an HTTP server on a free loopback port that records
// every request and answers 200, or 500 to the first `failing` ones.

import http from 'node:http';

import { freePort } from './processes.mjs';

/** Records every request; answers `failing` of them with 500 first. */
export async function startReceiver() {
    const receiver = { requests: [], failing: 0 };
    const server = http.createServer((request, response) => {
        let body = '';
        request.on('data', (chunk) => { body += chunk; });
        request.on('end', () => {
            const status = receiver.failing > 0 ? 500 : 200;
            if (status === 500) receiver.failing -= 1;
            receiver.requests.push({ headers: request.headers, body, at: Date.now(), status });
            response.writeHead(status);
            response.end();
        });
    });
    const port = await freePort();
    await new Promise((ok) => server.listen(port, '127.0.0.1', ok));
    return Object.assign(receiver, {
        url: `http://127.0.0.1:${port}/pusher/webhooks`,
        close: () => server.close(),
        /** Every event of the requests answered 200, in order. */
        delivered() {
            return this.requests.filter((r) => r.status === 200).flatMap((r) => JSON.parse(r.body).events);
        },
    });
}
