<?php

namespace Sidecast\Laravel\Tests\Support;

use Sidecast\Laravel\Contracts\Transport;

/** Keeps what the broadcaster hands over and what is asked, and answers from $answers. */
final class RecordingTransport implements Transport
{
    /** @var list<array{channels: list<string>, event: string, payload: string, socketId: ?string, acknowledged: ?bool}> */
    public array $published = [];

    /** @var list<array{0: string, 1: mixed}> */
    public array $asked = [];

    /** @param  array<string, mixed>  $answers  by method name */
    public function __construct(private array $answers = [])
    {
    }

    public function publish(array $channels, string $event, string $payload, ?string $socketId, ?bool $acknowledged = null): void
    {
        $this->published[] = compact('channels', 'event', 'payload', 'socketId', 'acknowledged');
    }

    public function flush(float $timeout = 1.0): bool
    {
        return $this->recorded('flush', $timeout);
    }

    public function channels(?string $prefix = null): array
    {
        return $this->recorded('channels', $prefix);
    }

    public function channel(string $name): array
    {
        return $this->recorded('channel', $name);
    }

    public function members(string $presenceChannel): array
    {
        return $this->recorded('members', $presenceChannel);
    }

    public function stats(): array
    {
        return $this->recorded('stats', null);
    }

    private function recorded(string $method, mixed $argument): mixed
    {
        $this->asked[] = [$method, $argument];

        return $this->answers[$method];
    }
}
