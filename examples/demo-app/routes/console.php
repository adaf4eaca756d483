<?php

use App\Events\ExampleEvent;
use Illuminate\Support\Facades\Artisan;

Artisan::command('demo:fire {message=Hello World!}', function (string $message) {
    event(new ExampleEvent($message));
    $this->info("Fired App\\Events\\ExampleEvent with \"{$message}\" on example-channel.");
})->purpose('Broadcast ExampleEvent on example-channel');
