<?php

namespace Sidecast\Laravel\Transports;

use Illuminate\Broadcasting\BroadcastException;
use Sidecast\Laravel\Contracts\Transport;

/**
 * The transport of a connection that cannot work in this PHP (it asks for the extension, which
 * is not loaded): every broadcast and question fails with the reason. Refusing when the
 * connection is made instead would fail every request of the app, since routes/channels.php
 * resolves the broadcaster at boot.
 */
final class UnavailableTransport implements Transport
{
    public function __construct(private string $reason)
    {
    }

    public function publish(array $channels, string $event, string $payload, ?string $socketId, ?bool $acknowledged = null): void
    {
        throw $this->failure();
    }

    public function flush(float $timeout = 1.0): bool
    {
        return true;
    }

    public function channels(?string $prefix = null): array
    {
        throw $this->failure();
    }

    public function channel(string $name): array
    {
        throw $this->failure();
    }

    public function members(string $presenceChannel): array
    {
        throw $this->failure();
    }

    public function stats(): array
    {
        throw $this->failure();
    }

    private function failure(): BroadcastException
    {
        return new BroadcastException("Sidecast: {$this->reason}");
    }
}
