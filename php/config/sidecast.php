<?php

/*
|--------------------------------------------------------------------------
| Sidecast
|--------------------------------------------------------------------------
|
| The keys at the top are the "sidecast" broadcast connection: the service
| provider puts them under broadcasting.connections.sidecast, so
| BROADCAST_DRIVER=sidecast (BROADCAST_CONNECTION=sidecast on Laravel 11+) is
| all an app needs. Keys you set in config/broadcasting.php's own "sidecast"
| connection win over these. "serve" is how `php artisan sidecast:serve`
| starts the sidecar. Publish this file with
| `php artisan vendor:publish --tag=sidecast-config`.
|
*/

return [

    'driver' => 'sidecast',

    /*
    | The Unix socket the sidecar listens on (`sidecast start --socket`, or its
    | SIDECAST_SOCKET, which it also reads from this app's .env). Started in the
    | app's directory without one, the sidecar listens here too. PHP needs
    | permission to connect: the socket is mode 0660 (see --socket-group).
    */
    'socket' => env('SIDECAST_SOCKET') ?: storage_path('sidecast/sidecast.sock'),

    /*
    | How events reach the sidecar: "auto" uses the sidecast PHP extension when it
    | is loaded and plain PHP otherwise; "extension" and "socket" force one.
    | "http", for a PHP process with no sidecar on its host (a queue worker
    | elsewhere), sends them to the sidecar at "url" over its Pusher HTTP API,
    | signed with the app's key and secret below.
    */
    'transport' => env('SIDECAST_TRANSPORT', 'auto'),

    'url' => env('SIDECAST_URL'),

    /*
    | Seconds one broadcast may take to connect and write (acknowledged: to be
    | accepted), and one question to be answered, before it fails.
    */
    'timeout' => (float) env('SIDECAST_TIMEOUT', 1.0),

    /*
    | Whether broadcast() waits until the sidecar has accepted each event, so a
    | refused or undeliverable event throws in the request that sent it. Off, the
    | extension buffers the event and returns at once (and keeps it across a
    | sidecar restart); plain PHP writes it and returns.
    */
    'acknowledged' => env('SIDECAST_ACKNOWLEDGED', false),

    /*
    | The Pusher app Echo's `reverb` / `pusher` broadcasters connect with (the
    | sidecar's --app-id, --app-key, --app-secret). With a key and secret, the
    | auth endpoint answers Pusher clients with a signature; socket.io clients
    | are answered as before. Reverb's variables are read when these are unset.
    */
    'app_id' => env('SIDECAST_APP_ID', env('REVERB_APP_ID')),
    'key' => env('SIDECAST_APP_KEY', env('REVERB_APP_KEY')),
    'secret' => env('SIDECAST_APP_SECRET', env('REVERB_APP_SECRET')),

    /*
    | For private-encrypted- channels: 32 random bytes, base64-encoded
    | (`openssl rand -base64 32`). broadcast() encrypts their payloads with it.
    */
    'encryption_master_key_base64' => env('SIDECAST_ENCRYPTION_MASTER_KEY_BASE64'),

    /*
    | The sidecar's webhooks (`sidecast start --webhook-url`), received at this
    | path and dispatched as Laravel events (Sidecast\Laravel\Events\*), checked
    | against the key and secret above. Null: no route. The route has no
    | middleware (no session, no CSRF): the signature is its authentication.
    */
    'webhooks' => [
        'route' => env('SIDECAST_WEBHOOK_ROUTE'),
    ],

    /*
    | `php artisan sidecast:serve`: the sidecar binary, where Echo clients
    | connect, the app that authorizes private and presence channels (its
    | /broadcasting/auth), the pages allowed to connect, and any other
    | `sidecast start` options. The socket above is passed too, so both sides
    | always agree on it.
    */
    'serve' => [
        'binary' => env('SIDECAST_BINARY', 'sidecast'),
        'host' => env('SIDECAST_HOST', '127.0.0.1'),
        'port' => (int) env('SIDECAST_PORT', 6001),
        'auth_host' => env('SIDECAST_AUTH_HOST', env('APP_URL', 'http://localhost')),
        'allowed_origins' => env('SIDECAST_ALLOWED_ORIGINS', env('APP_URL')),
        // Keep lifecycle events for `php artisan sidecast:listen` (--listener).
        'listener' => (bool) env('SIDECAST_LISTENER', false),
        'options' => [],
    ],

];
