// The webhook endpoint of the webhooks part of the benchmark suite, up or down, on 127.0.0.1.
//
// - up: an HTTP server that answers every request 200 as soon as its body has arrived, as a
//   receiver that queues the work for later does.
// - down: a TCP server that accepts connections and never answers them, the worst case for the
//   sidecar's sender: a refused connection fails at once, while this makes each request wait for
//   its whole timeout (5 s) before it fails and is retried.
//
// Prints "endpoint up|down on 127.0.0.1:PORT" once it listens (bench/webhooks/run.sh waits for
// it), and on SIGTERM one JSON line of what it saw, then exits.
//
// Usage: node bench/webhooks/endpoint.mjs up|down PORT

import http from 'node:http';
import net from 'node:net';

const [state, portText] = process.argv.slice(2);
const port = Number(portText);
if (!['up', 'down'].includes(state) || !Number.isInteger(port) || port <= 0) {
    console.error('usage: node bench/webhooks/endpoint.mjs up|down PORT');
    process.exit(2);
}

const seen = { state, connections: 0, requests: 0, events: 0 };
let server;
if (state === 'up') {
    server = http.createServer((request, response) => {
        let body = '';
        request.setEncoding('utf8');
        request.on('data', (chunk) => { body += chunk; });
        request.on('end', () => {
            seen.requests += 1;
            try {
                seen.events += JSON.parse(body).events.length;
            } catch {
                // Not a webhook: answered all the same, and not counted as events.
            }
            response.writeHead(200);
            response.end();
        });
    });
    server.on('connection', () => { seen.connections += 1; });
} else {
    // The sockets are held open and never written to; the sender closes them when it gives up.
    const held = new Set();
    server = net.createServer((socket) => {
        seen.connections += 1;
        held.add(socket);
        socket.on('error', () => {});
        socket.on('close', () => held.delete(socket));
        // Reading keeps the kernel's buffer from filling; what arrives is dropped.
        socket.resume();
    });
}

server.listen(port, '127.0.0.1', () => console.log(`endpoint ${state} on 127.0.0.1:${port}`));

process.on('SIGTERM', () => {
    console.log(JSON.stringify(seen));
    process.exit(0);
});
