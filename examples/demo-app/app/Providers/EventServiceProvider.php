<?php

namespace App\Providers;

use App\Listeners\RecordLifecycle;
use Illuminate\Support\Facades\Event;
use Illuminate\Support\ServiceProvider;

class EventServiceProvider extends ServiceProvider
{
    public function boot()
    {
        // The sidecar's lifecycle events, received at SIDECAST_WEBHOOK_ROUTE by the package.
        foreach (RecordLifecycle::EVENTS as $event) {
            Event::listen($event, [RecordLifecycle::class, 'handle']);
        }
    }
}
