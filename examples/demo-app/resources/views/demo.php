<!DOCTYPE html>
<html lang="en">
<head>
    <meta charset="utf-8">
    <title>Sidecast demo</title>
    <link rel="icon" href="data:,">
    <style>
        body { font: 16px/1.5 system-ui, sans-serif; max-width: 40rem; margin: 3rem auto; padding: 0 1rem; }
        #status { font-weight: bold; }
        #status.connected { color: #17803d; }
        #events li { font-family: ui-monospace, monospace; }
    </style>
</head>
<body>
    <h1>Sidecast demo</h1>
    <p>Echo: <span id="status">connecting…</span></p>
    <p>
        <input id="message" value="Hello World!" aria-label="message">
        <button id="fire">Fire ExampleEvent</button>
        (or run <code>php artisan demo:fire</code>)
    </p>
    <h2>Events on <code>example-channel</code></h2>
    <ol id="events"></ol>

    <!-- socket.io-client 4.x, which Echo finds as window.io; pusher-js for the reverb broadcaster -->
    <script src="/vendor/socket.io.min.js"></script>
    <script src="/vendor/pusher.min.js"></script>
    <script type="module">
        import Echo from '/vendor/laravel-echo.js';

        // The frontend code from Laravel's broadcasting guide, unchanged: socket.io as
        // laravel-echo-server users have it, or the reverb broadcaster as
        // `php artisan install:broadcasting` writes it.
        window.Echo = <?= $reverb ? 'true' : 'false' ?>
            ? new Echo({
                broadcaster: 'reverb',
                key: <?= json_encode($appKey) ?>,
                wsHost: window.location.hostname,
                wsPort: <?= $sameOrigin ? 'window.location.port || 80' : (int) $echoPort ?>,
                wssPort: <?= $sameOrigin ? 'window.location.port || 443' : (int) $echoPort ?>,
                forceTLS: false,
                enabledTransports: ['ws', 'wss'],
            })
            : new Echo({
                broadcaster: 'socket.io',
                host: <?= $sameOrigin ? 'window.location.origin' : "window.location.hostname + ':".(int) $echoPort."'" ?>,
            });

        window.Echo.channel('example-channel').listen('ExampleEvent', (e) => {
            const item = document.createElement('li');
            item.textContent = e.data;
            document.getElementById('events').append(item);
        });

        const status = document.getElementById('status');
        const show = (connected) => {
            status.textContent = connected ? 'connected as ' + window.Echo.socketId() : 'disconnected';
            status.className = connected ? 'connected' : '';
        };
        if (window.Echo.connector.pusher) {
            window.Echo.connector.pusher.connection.bind('state_change', ({ current }) => show(current === 'connected'));
        } else {
            window.Echo.connector.socket.on('connect', () => show(true));
            window.Echo.connector.socket.on('disconnect', () => show(false));
        }

        document.getElementById('fire').addEventListener('click', () => {
            const message = document.getElementById('message').value;
            fetch('/fire?message=' + encodeURIComponent(message));
        });
    </script>
</body>
</html>
