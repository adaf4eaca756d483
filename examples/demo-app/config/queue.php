<?php

return [
    // ShouldBroadcast events go through the queue; "sync" broadcasts within the request.
    'default' => env('QUEUE_CONNECTION', 'sync'),
    'connections' => [
        'sync' => ['driver' => 'sync'],
    ],
    'failed' => ['driver' => 'null'],
];
