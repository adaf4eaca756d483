// Raw access to the sidecar's Unix socket for tests: PUBLISH frames built as
// docs/wire-protocol.md specifies them, and a way to write arbitrary bytes.

import { connect } from 'node:net';

/** One PUBLISH frame (version 1, kind 1). */
export function publishFrame({ channels, event, payload, socketId = null }) {
    const short = (text) => {
        const bytes = Buffer.from(text, 'utf8');
        const length = Buffer.alloc(2);
        length.writeUInt16BE(bytes.length);
        return [length, bytes];
    };
    const count = Buffer.alloc(2);
    count.writeUInt16BE(channels.length);
    const payloadBytes = Buffer.from(payload, 'utf8');
    const payloadLength = Buffer.alloc(4);
    payloadLength.writeUInt32BE(payloadBytes.length);
    const body = Buffer.concat([
        count,
        ...channels.flatMap(short),
        ...short(event),
        ...(socketId === null ? [Buffer.alloc(2)] : short(socketId)),
        payloadLength,
        payloadBytes,
    ]);
    const header = Buffer.alloc(6);
    header.writeUInt32BE(body.length + 2);
    header.writeUInt8(1, 4);
    header.writeUInt8(1, 5);
    return Buffer.concat([header, body]);
}

/**
 * Connects to the socket at `path`, writes `bytes`, and resolves with whether the sidecar
 * closed the connection within `timeoutMs` (it should, for garbage).
 */
export function writeToSocket(path, bytes, { timeoutMs = 3000 } = {}) {
    return new Promise((ok, fail) => {
        const socket = connect(path);
        let closedByPeer = false;
        const timer = setTimeout(() => { socket.destroy(); ok({ closedByPeer }); }, timeoutMs);
        socket.on('error', (error) => {
            if (error.code === 'EPIPE' || error.code === 'ECONNRESET') return;
            clearTimeout(timer);
            fail(error);
        });
        socket.on('end', () => { closedByPeer = true; });
        socket.on('close', () => { clearTimeout(timer); ok({ closedByPeer }); });
        socket.on('connect', () => socket.write(bytes));
    });
}

/** Writes frames on one connection and closes it once they are flushed. */
export function publish(path, ...frames) {
    return new Promise((ok, fail) => {
        const socket = connect(path, () => socket.end(Buffer.concat(frames)));
        socket.on('error', fail);
        socket.on('close', ok);
    });
}
