<?php

namespace App\Listeners;

use Sidecast\Laravel\Events\ChannelOccupied;
use Sidecast\Laravel\Events\ChannelVacated;
use Sidecast\Laravel\Events\ClientEventReceived;
use Sidecast\Laravel\Events\MemberAdded;
use Sidecast\Laravel\Events\MemberRemoved;
use Sidecast\Laravel\Events\SubscriptionCountChanged;
use Sidecast\Laravel\Events\UserConnected;
use Sidecast\Laravel\Events\UserDisconnected;

/**
 * What the sidecar tells the app about its channels (docs/lifecycle-events.md), kept as one JSON
 * line per event in the journal GET /lifecycle shows: who came online and went offline, which
 * rooms emptied, what clients sent. An app would mark users offline here instead.
 */
class RecordLifecycle
{
    /** The Laravel events this listener hears. */
    public const EVENTS = [
        ChannelOccupied::class,
        ChannelVacated::class,
        MemberAdded::class,
        MemberRemoved::class,
        ClientEventReceived::class,
        SubscriptionCountChanged::class,
        UserConnected::class,
        UserDisconnected::class,
    ];

    public static function journal(): string
    {
        return env('DEMO_LIFECYCLE_JOURNAL') ?: storage_path('app/lifecycle.jsonl');
    }

    public function handle(object $event): void
    {
        $line = ['name' => class_basename($event)] + get_object_vars($event);
        @mkdir(dirname(self::journal()), 0775, true);
        file_put_contents(self::journal(), json_encode($line)."\n", FILE_APPEND | LOCK_EX);
    }
}
