<?php

namespace Sidecast\Laravel\Transports;

use Illuminate\Broadcasting\BroadcastException;
use InvalidArgumentException;
use Sidecast\Broadcaster;
use Sidecast\BroadcastException as SidecarUnreachable;
use Sidecast\Laravel\Contracts\Transport;
use TypeError;
use ValueError;

/**
 * Goes through the sidecast PHP extension: a background writer per PHP process buffers the
 * events and keeps them across sidecar restarts; queries travel on the same connection.
 */
final class ExtensionTransport implements Transport
{
    private Broadcaster $broadcaster;

    public function __construct(string $socket, float $timeout, bool $acknowledged = false)
    {
        $this->broadcaster = new Broadcaster($socket, ['timeout' => $timeout, 'acknowledged' => $acknowledged]);
    }

    public function publish(array $channels, string $event, string $payload, ?string $socketId, ?bool $acknowledged = null): void
    {
        try {
            $this->broadcaster->broadcast($channels, $event, $payload, $socketId, $acknowledged);
        } catch (SidecarUnreachable|ValueError|TypeError $e) {
            // TypeError: a channel or event name that is not valid UTF-8.
            throw new BroadcastException('Sidecast: '.$e->getMessage(), 0, $e);
        }
    }

    public function flush(float $timeout = 1.0): bool
    {
        return $this->ask(fn () => $this->broadcaster->flush($timeout));
    }

    public function channels(?string $prefix = null): array
    {
        return $this->ask(fn () => $this->broadcaster->channels($prefix));
    }

    public function channel(string $name): array
    {
        return $this->ask(fn () => $this->broadcaster->channel($name));
    }

    public function members(string $presenceChannel): array
    {
        return $this->ask(fn () => $this->broadcaster->members($presenceChannel));
    }

    public function stats(): array
    {
        return $this->ask(fn () => $this->broadcaster->stats());
    }

    /** Runs a call, turning the extension's exceptions into the package's. */
    private function ask(callable $call): mixed
    {
        try {
            return $call();
        } catch (ValueError|TypeError $e) {
            throw new InvalidArgumentException('Sidecast: '.$e->getMessage(), 0, $e);
        } catch (SidecarUnreachable $e) {
            throw new BroadcastException('Sidecast: '.$e->getMessage(), 0, $e);
        }
    }
}
