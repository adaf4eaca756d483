<?php

namespace Sidecast\Laravel\Testing;

use Illuminate\Broadcasting\BroadcastException;
use InvalidArgumentException;
use JsonException;
use Sidecast\Laravel\Contracts\Transport;

/**
 * The transport behind Sidecast::fake(): keeps every event the app broadcasts instead of
 * sending it, and answers questions about channels from what the test said they hold.
 */
final class FakeTransport implements Transport
{
    /** @var list<array{channels: list<string>, event: string, payload: array<mixed>, socket: ?string}> */
    public array $broadcasts = [];

    /** @var array<string, int> subscription counts by channel */
    private array $subscribers = [];

    /** @var array<string, list<array{user_id: mixed, user_info: mixed}>> */
    private array $members = [];

    public function publish(array $channels, string $event, string $payload, ?string $socketId, ?bool $acknowledged = null): void
    {
        try {
            $decoded = json_decode($payload, true, 512, JSON_THROW_ON_ERROR);
        } catch (JsonException $e) {
            throw new BroadcastException("Sidecast: cannot broadcast {$event}: its payload is not JSON ({$e->getMessage()})", 0, $e);
        }
        $this->broadcasts[] = ['channels' => array_values($channels), 'event' => $event, 'payload' => (array) $decoded, 'socket' => $socketId];
    }

    public function flush(float $timeout = 1.0): bool
    {
        return true;
    }

    /** Says that $count connections are subscribed to $channel, for channels() and channel(). */
    public function setSubscribers(string $channel, int $count): void
    {
        $this->subscribers[$channel] = $count;
    }

    /** @param  list<array{user_id: mixed, user_info?: mixed}>  $members */
    public function setMembers(string $presenceChannel, array $members): void
    {
        if (! str_starts_with($presenceChannel, 'presence-')) {
            throw new InvalidArgumentException("Sidecast: members are for presence channels (\"presence-…\"), \"{$presenceChannel}\" given");
        }
        $this->members[$presenceChannel] = array_map(fn (array $m) => ['user_id' => $m['user_id'], 'user_info' => $m['user_info'] ?? null], $members);
        $this->subscribers[$presenceChannel] ??= count($members);
    }

    public function channels(?string $prefix = null): array
    {
        $channels = [];
        foreach ($this->subscribers as $name => $count) {
            if ($count > 0 && str_starts_with($name, (string) $prefix)) {
                $channels[$name] = $this->counts($name);
            }
        }

        return $channels;
    }

    public function channel(string $name): array
    {
        if ($name === '') {
            throw new InvalidArgumentException('Sidecast: the channel name must not be empty');
        }

        return $this->counts($name) + ['occupied' => ($this->subscribers[$name] ?? 0) > 0];
    }

    public function members(string $presenceChannel): array
    {
        if (! str_starts_with($presenceChannel, 'presence-') || $presenceChannel === 'presence-') {
            throw new InvalidArgumentException("Sidecast: members() needs a presence channel (\"presence-…\"), \"{$presenceChannel}\" given");
        }

        return $this->members[$presenceChannel] ?? [];
    }

    public function stats(): array
    {
        $occupied = array_filter($this->subscribers);

        return [
            'client' => ['sent' => count($this->broadcasts), 'acknowledged' => count($this->broadcasts), 'refused' => 0, 'dropped' => 0, 'reconnects' => 0, 'buffered' => 0, 'buffered_bytes' => 0, 'connected' => true],
            'server' => ['connections' => array_sum($occupied), 'channels' => count($occupied), 'publications' => count($this->broadcasts), 'deliveries' => 0, 'dropped' => 0],
        ];
    }

    /** @return array{subscription_count: int, user_count?: int} */
    private function counts(string $name): array
    {
        $counts = ['subscription_count' => $this->subscribers[$name] ?? 0];
        if (str_starts_with($name, 'presence-')) {
            $counts['user_count'] = count(array_unique(array_map(fn ($m) => json_encode($m['user_id']), $this->members[$name] ?? [])));
        }

        return $counts;
    }
}
