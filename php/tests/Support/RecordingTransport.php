<?php

namespace Sidecast\Laravel\Tests\Support;

use Sidecast\Laravel\Contracts\Transport;

/** Keeps what the broadcaster hands over, for assertions. */
final class RecordingTransport implements Transport
{
    /** @var list<array{channels: list<string>, event: string, payload: string, socketId: ?string}> */
    public array $published = [];

    public function publish(array $channels, string $event, string $payload, ?string $socketId): void
    {
        $this->published[] = compact('channels', 'event', 'payload', 'socketId');
    }
}
