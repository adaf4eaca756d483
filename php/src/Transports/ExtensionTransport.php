<?php

namespace Sidecast\Laravel\Transports;

use Illuminate\Broadcasting\BroadcastException;
use Sidecast\Broadcaster;
use Sidecast\BroadcastException as SidecarUnreachable;
use Sidecast\Laravel\Contracts\Transport;
use TypeError;
use ValueError;

/**
 * Sends through the sidecast PHP extension, which keeps one connection per PHP process.
 */
final class ExtensionTransport implements Transport
{
    private Broadcaster $broadcaster;

    public function __construct(string $socket, float $timeout)
    {
        $this->broadcaster = new Broadcaster($socket, ['timeout' => $timeout]);
    }

    public function publish(array $channels, string $event, string $payload, ?string $socketId): void
    {
        try {
            $this->broadcaster->broadcast($channels, $event, $payload, $socketId);
        } catch (SidecarUnreachable|ValueError|TypeError $e) {
            // TypeError: a channel or event name that is not valid UTF-8.
            throw new BroadcastException('Sidecast: '.$e->getMessage(), 0, $e);
        }
    }
}
