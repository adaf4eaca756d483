// The whole single-host path: ExampleEvent fired in Laravel (from a route and from artisan) →
// the sidecast driver → the PHP extension or plain PHP → the Unix socket → sidecast → Echo
// clients of both generations, over WebSocket and over polling.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { PROBE, VARIANTS, afterEverythingSoFar, connectEcho, eventually, untilSubscribed } from './support/echo-clients.mjs';
import { artisan, startLaravel, startSidecar, stopAll, tempDir } from './support/processes.mjs';

// Stops whatever a failing test left running, so the file's process can end.
after(stopAll);

// The two ways apps name the event in listen(): relative to Echo's `App.Events` namespace, and
// the fully qualified class name with a leading dot.
const LISTENERS = ['ExampleEvent', '.App\\Events\\ExampleEvent'];

for (const [transport, transportClass] of [['extension', 'ExtensionTransport'], ['plain PHP', 'SocketTransport']]) {
    const extension = transport === 'extension';

    describe(`Laravel → sidecast → Echo, ${transport} transport`, () => {
        const scratch = tempDir();
        let sidecar;
        let laravel;
        const listeners = [];
        let bystanders = [];

        before(async () => {
            sidecar = await startSidecar({ dir: scratch.dir });
            laravel = await startLaravel({ sidecar, extension });
            for (const variant of VARIANTS) {
                for (const transports of [['websocket'], ['polling'], ['polling', 'websocket']]) {
                    listeners.push(await connectEcho(variant, { url: sidecar.url, transports, channel: 'example-channel', listeners: LISTENERS }));
                }
                bystanders.push(await connectEcho(variant, { url: sidecar.url, transports: ['websocket'], channel: 'another-channel', listeners: LISTENERS }));
            }
            await untilSubscribed([...listeners, ...bystanders], sidecar.socket);
        });

        after(async () => {
            for (const client of [...listeners, ...bystanders]) client.close();
            await laravel?.stop();
            const exit = await sidecar?.stop();
            scratch.remove();
            assert.deepEqual(exit, { code: 0, signal: null }, 'sidecast exits 0 on SIGTERM');
        });

        async function expectDelivered(message, to = listeners) {
            const expected = { data: message, socket: null };
            for (const client of to) {
                await eventually(
                    () => client.received.filter((r) => r.data.data === message).length === LISTENERS.length,
                    `${client.describe} to receive "${message}" once per listener`,
                );
                const got = client.received.filter((r) => r.data.data === message);
                assert.deepEqual(got, LISTENERS.map((listener) => ({ listener, data: expected })), client.describe);
            }
            // Everyone on example-channel has it, so the hub has handed it to whoever it was
            // going to; a probe sent now reaches each bystander after anything sent before it.
            await afterEverythingSoFar(bystanders, sidecar.socket);
            for (const client of bystanders) {
                assert.deepEqual(client.received, [], `${client.describe} on another-channel receives nothing`);
            }
        }

        test('ExampleEvent fired from a route reaches every Echo client on the channel, exactly', async () => {
            const response = await fetch(`${laravel.url}/fire?message=${encodeURIComponent('Hello World!')}`);
            assert.equal(response.status, 200, await response.clone().text());
            assert.equal((await response.json()).transport, transportClass, 'the driver picked the expected transport');
            await expectDelivered('Hello World!');
        });

        test('ExampleEvent fired from artisan reaches every Echo client on the channel, exactly', async () => {
            const output = await artisan(['demo:fire', 'Hello from artisan'], { sidecar, extension });
            assert.match(output, /Fired App\\Events\\ExampleEvent/);
            await expectDelivered('Hello from artisan');
        });

        test('toOthers() leaves out exactly the client whose X-Socket-ID sent the request', async () => {
            const sender = listeners[0];
            const response = await fetch(`${laravel.url}/fire?to_others=1&message=not+for+the+sender`, {
                headers: { 'X-Socket-ID': sender.echo.socketId() },
            });
            assert.equal(response.status, 200);
            const expected = { data: 'not for the sender', socket: sender.echo.socketId() };
            for (const client of listeners.slice(1)) {
                await eventually(() => client.received.some((r) => r.data.data === expected.data), `${client.describe} to receive it`);
                assert.deepEqual(client.received.filter((r) => r.data.data === expected.data).map((r) => r.data), [expected, expected]);
            }
            await afterEverythingSoFar([sender], sidecar.socket);
            assert.equal(sender.received.filter((r) => r.data.data === expected.data).length, 0, 'the sender receives nothing');
        });

        test('payloads keep their bytes: unicode, quotes and markup arrive unchanged', async () => {
            const message = 'caf\u00e9 \u2615 \ud83d\ude80 "quoted" <b>&amp;</b> \\ back';
            const response = await fetch(`${laravel.url}/fire?message=${encodeURIComponent(message)}`);
            assert.equal(response.status, 200);
            await expectDelivered(message);
        });

        test('after Echo leaves the channel, the client receives nothing more from it', async () => {
            const leaver = listeners.at(-1);
            leaver.echo.leave('example-channel');
            // A socket's events are applied in the order it sent them, so once a subscription
            // sent after the leave is in effect, the leave is too.
            const marker = { channel: 'after-leave-marker', probes: 0 };
            leaver.echo.channel(marker.channel).listen(`.${PROBE}`, () => { marker.probes += 1; });
            await untilSubscribed([marker], sidecar.socket);

            await fetch(`${laravel.url}/fire?message=after+leave`);
            await expectDelivered('after leave', listeners.slice(0, -1));
            await afterEverythingSoFar([marker], sidecar.socket);
            assert.equal(leaver.received.filter((r) => r.data.data === 'after leave').length, 0);
        });
    });
}
