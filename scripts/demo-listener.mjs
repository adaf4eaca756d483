// The demo's terminal witness: a Laravel Echo client (2.x, socket.io-client 4.x) that prints
// every ExampleEvent it receives on example-channel.
import Echo from 'laravel-echo';
import io from 'socket.io-client';

const echo = new Echo({ broadcaster: 'socket.io', host: process.argv[2], client: io });
echo.connector.socket.on('connect', () => console.log(`  [echo] connected as ${echo.socketId()}`));
echo.channel('example-channel').listen('ExampleEvent', (e) => console.log(`  [echo] ExampleEvent received: ${JSON.stringify(e)}`));
