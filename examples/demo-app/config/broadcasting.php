<?php

return [
    // The sidecast connection itself needs no entry here: the package adds its defaults
    // (socket from SIDECAST_SOCKET, transport, timeout) under connections.sidecast.
    'default' => env('BROADCAST_DRIVER', 'sidecast'),

    'connections' => [
        // Laravel's stock driver, for apps still set up for laravel-echo-server.
        'redis' => ['driver' => 'redis', 'connection' => 'default'],
        'log' => ['driver' => 'log'],
        'null' => ['driver' => 'null'],
    ],
];
