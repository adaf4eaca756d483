<?php

return [
    'defaults' => ['guard' => 'web'],
    'guards' => [
        'web' => ['driver' => 'session', 'provider' => 'users'],
        // Authorization: Bearer token-N
        'api' => ['driver' => 'token', 'provider' => 'users', 'storage_key' => 'api_token'],
    ],
    'providers' => [
        'users' => ['driver' => 'demo'],
    ],
];
