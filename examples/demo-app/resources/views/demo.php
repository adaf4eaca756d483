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

    <!-- socket.io-client 4.x, which Echo finds as window.io -->
    <script src="/vendor/socket.io.min.js"></script>
    <script type="module">
        import Echo from '/vendor/laravel-echo.js';

        // The frontend code from Laravel's broadcasting guide, unchanged.
        window.Echo = new Echo({
            broadcaster: 'socket.io',
            host: window.location.hostname + ':<?= (int) $echoPort ?>',
        });

        window.Echo.channel('example-channel').listen('ExampleEvent', (e) => {
            const item = document.createElement('li');
            item.textContent = e.data;
            document.getElementById('events').append(item);
        });

        const status = document.getElementById('status');
        const socket = window.Echo.connector.socket;
        socket.on('connect', () => {
            status.textContent = 'connected as ' + window.Echo.socketId();
            status.className = 'connected';
        });
        socket.on('disconnect', () => {
            status.textContent = 'disconnected';
            status.className = '';
        });

        document.getElementById('fire').addEventListener('click', () => {
            const message = document.getElementById('message').value;
            fetch('/fire?message=' + encodeURIComponent(message));
        });
    </script>
</body>
</html>
