<?php

namespace Sidecast\Laravel;

use Illuminate\Broadcasting\BroadcastException;
use Illuminate\Broadcasting\BroadcastManager;
use Illuminate\Broadcasting\Channel;
use Illuminate\Contracts\Config\Repository;
use InvalidArgumentException;
use Sidecast\Laravel\Contracts\Transport;

/**
 * Asks the sidecar about its channels from Laravel, through the same transport the `sidecast`
 * connection broadcasts with; behind the `Sidecast` facade:
 *
 *     Sidecast::members(new PresenceChannel('room.7'));   // who is online
 *     Sidecast::channel('orders')['subscription_count'];
 *
 * Channels are given as Laravel's channel objects or as the names Echo subscribes to
 * ("presence-room.7", "private-orders.1", "orders").
 */
class Sidecast
{
    public function __construct(private BroadcastManager $broadcast, private Repository $config)
    {
    }

    /**
     * The transport of a sidecast connection: $name, else the default broadcast connection
     * when it uses the sidecast driver, else the connection named "sidecast".
     *
     * @throws InvalidArgumentException when that connection does not use the sidecast driver
     */
    public function connection(?string $name = null): Transport
    {
        $default = $this->config->get('broadcasting.default');
        $name ??= $this->config->get("broadcasting.connections.{$default}.driver") === 'sidecast' ? $default : 'sidecast';
        $broadcaster = $this->broadcast->connection($name);
        if (! $broadcaster instanceof SidecastBroadcaster) {
            throw new InvalidArgumentException("Sidecast: the broadcast connection \"{$name}\" does not use the sidecast driver.");
        }

        return $broadcaster->transport();
    }

    /**
     * The occupied channels whose names start with $prefix, with their subscription counts.
     *
     * @return array<string, array{subscription_count: int, user_count?: int}>
     *
     * @throws BroadcastException when the sidecar cannot answer
     */
    public function channels(?string $prefix = null): array
    {
        return $this->connection()->channels($prefix);
    }

    /**
     * @return array{subscription_count: int, occupied: bool, user_count?: int}
     *
     * @throws BroadcastException when the sidecar cannot answer
     */
    public function channel(Channel|string $channel): array
    {
        return $this->connection()->channel((string) $channel);
    }

    /** Whether anyone is subscribed to $channel. */
    public function occupied(Channel|string $channel): bool
    {
        return $this->channel($channel)['occupied'];
    }

    /**
     * Who is on a presence channel: one entry per user, with the user_id and user_info the
     * channel's authorization callback returned.
     *
     * @return list<array{user_id: mixed, user_info: mixed}>
     *
     * @throws InvalidArgumentException when $channel is not a presence channel
     * @throws BroadcastException when the sidecar cannot answer
     */
    public function members(Channel|string $channel): array
    {
        return $this->connection()->members((string) $channel);
    }

    /**
     * This process's counters (client) and the sidecar's (server): the app's connections,
     * channels and deliveries, and under `server.sidecar` the sidecar's whole census — the same
     * figures as its /metrics and `sidecast status` (docs/monitoring.md).
     *
     * @return array{client: array<string, int|bool>, server: array<string, mixed>}
     */
    public function stats(): array
    {
        return $this->connection()->stats();
    }

    /**
     * Waits until every event this process broadcast has reached the sidecar (the extension
     * buffers them); false if $timeout seconds passed first.
     */
    public function flush(float $timeout = 1.0): bool
    {
        return $this->connection()->flush($timeout);
    }
}
