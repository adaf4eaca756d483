<?php

namespace Sidecast\Laravel\Contracts;

use Illuminate\Broadcasting\BroadcastException;

/**
 * The one seam between the driver and the sidecar: hand over one event. The service provider
 * picks the implementation once; the broadcaster never knows which it has.
 */
interface Transport
{
    /**
     * @param  list<string>  $channels  channel names as Laravel formats them
     * @param  string  $payload  the event's data as JSON text
     * @param  string|null  $socketId  the client to leave out (toOthers), if any
     *
     * @throws BroadcastException when the event cannot be carried or the sidecar cannot be reached
     */
    public function publish(array $channels, string $event, string $payload, ?string $socketId): void;
}
