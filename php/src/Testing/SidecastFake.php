<?php

namespace Sidecast\Laravel\Testing;

use Illuminate\Broadcasting\BroadcastManager;
use Illuminate\Broadcasting\Channel;
use Illuminate\Contracts\Config\Repository;
use PHPUnit\Framework\Assert as PHPUnit;
use Sidecast\Laravel\Sidecast;

/**
 * What the Sidecast facade is after Sidecast::fake(): the app's broadcasts on sidecast
 * connections are kept, not sent, and can be asserted; questions about channels are answered
 * from what the test set with withSubscribers() and withMembers().
 *
 *     Sidecast::fake();
 *     $this->post('/orders/7/ship');
 *     Sidecast::assertBroadcastOn('private-orders.7', OrderShipped::class, fn ($payload) => $payload['id'] === 7);
 *
 * An event is named as Laravel broadcasts it: its broadcastAs(), or else its class name.
 */
class SidecastFake extends Sidecast
{
    public function __construct(private FakeTransport $fake, BroadcastManager $broadcast, Repository $config)
    {
        parent::__construct($broadcast, $config);
    }

    public function transport(): FakeTransport
    {
        return $this->fake;
    }

    /** @param  (callable(array $payload, list<string> $channels, ?string $socketId): bool)|null  $callback */
    public function assertBroadcast(string $event, ?callable $callback = null): void
    {
        PHPUnit::assertTrue(
            $this->broadcasts($event, $callback) !== [],
            "The expected [{$event}] event was not broadcast through sidecast{$this->matching($callback)}.".$this->seen(),
        );
    }

    /** @param  (callable(array $payload, list<string> $channels, ?string $socketId): bool)|null  $callback */
    public function assertBroadcastOn(Channel|string $channel, string $event, ?callable $callback = null): void
    {
        $name = (string) $channel;
        $on = fn (array $payload, array $channels, ?string $socketId) => in_array($name, $channels, true)
            && ($callback === null || $callback($payload, $channels, $socketId));
        PHPUnit::assertTrue(
            $this->broadcasts($event, $on) !== [],
            "The expected [{$event}] event was not broadcast on [{$name}] through sidecast{$this->matching($callback)}.".$this->seen(),
        );
    }

    public function assertBroadcastTimes(string $event, int $times = 1): void
    {
        $count = count($this->broadcasts($event));
        PHPUnit::assertSame($times, $count, "The [{$event}] event was broadcast {$count} times instead of {$times} times.");
    }

    /** @param  (callable(array $payload, list<string> $channels, ?string $socketId): bool)|null  $callback */
    public function assertNotBroadcast(string $event, ?callable $callback = null): void
    {
        PHPUnit::assertSame([], $this->broadcasts($event, $callback), "The unexpected [{$event}] event was broadcast through sidecast{$this->matching($callback)}.");
    }

    public function assertNothingBroadcast(): void
    {
        PHPUnit::assertSame([], $this->fake->broadcasts, 'Events were broadcast through sidecast unexpectedly.'.$this->seen());
    }

    /**
     * The broadcasts kept, of $event (all when null), for which $callback is true.
     *
     * @return list<array{channels: list<string>, event: string, payload: array<mixed>, socket: ?string}>
     */
    public function broadcasts(?string $event = null, ?callable $callback = null): array
    {
        return array_values(array_filter($this->fake->broadcasts, fn (array $b) => ($event === null || $b['event'] === $event)
            && ($callback === null || $callback($b['payload'], $b['channels'], $b['socket']))));
    }

    /** Lets channels(), channel() and occupied() see $count subscriptions on $channel. */
    public function withSubscribers(Channel|string $channel, int $count): static
    {
        $this->fake->setSubscribers((string) $channel, $count);

        return $this;
    }

    /**
     * Lets members() see these users on a presence channel.
     *
     * @param  list<array{user_id: mixed, user_info?: mixed}>  $members
     */
    public function withMembers(Channel|string $presenceChannel, array $members): static
    {
        $this->fake->setMembers((string) $presenceChannel, $members);

        return $this;
    }

    private function matching(?callable $callback): string
    {
        return $callback === null ? '' : ' matching the callback';
    }

    private function seen(): string
    {
        $events = array_map(fn (array $b) => $b['event'].' on '.implode(', ', $b['channels']), $this->fake->broadcasts);

        return $events === [] ? ' Nothing was broadcast.' : ' Broadcast: '.implode('; ', $events).'.';
    }
}
