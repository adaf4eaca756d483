<?php

namespace Sidecast\Laravel\Contracts;

use Illuminate\Broadcasting\BroadcastException;
use InvalidArgumentException;

/**
 * The one seam between the driver and the sidecar: hand over events, and ask the sidecar about
 * its channels. The service provider picks the implementation once (the extension, or plain
 * PHP); the broadcaster never knows which it has.
 */
interface Transport
{
    /**
     * @param  list<string>  $channels  channel names as Laravel formats them
     * @param  string  $payload  the event's data as JSON text
     * @param  string|null  $socketId  the client to leave out (toOthers), if any
     * @param  bool|null  $acknowledged  wait until the sidecar accepted the event; null: the
     *                                   connection's "acknowledged" setting
     *
     * @throws BroadcastException when the event cannot be carried, or cannot be handed over
     *                            (acknowledged: was refused or not accepted in time)
     */
    public function publish(array $channels, string $event, string $payload, ?string $socketId, ?bool $acknowledged = null): void;

    /**
     * Waits until everything handed over has reached the sidecar.
     *
     * @return bool false if $timeout seconds passed first
     */
    public function flush(float $timeout = 1.0): bool;

    /**
     * The occupied channels whose names start with $prefix.
     *
     * @return array<string, array{subscription_count: int, user_count?: int}>
     *
     * @throws BroadcastException when the sidecar cannot answer
     */
    public function channels(?string $prefix = null): array;

    /**
     * @return array{subscription_count: int, occupied: bool, user_count?: int}
     *
     * @throws InvalidArgumentException for an empty name
     * @throws BroadcastException when the sidecar cannot answer
     */
    public function channel(string $name): array;

    /**
     * The users on a presence channel, one entry per user.
     *
     * @return list<array{user_id: mixed, user_info: mixed}>
     *
     * @throws InvalidArgumentException when the name does not start with "presence-"
     * @throws BroadcastException when the sidecar cannot answer
     */
    public function members(string $presenceChannel): array;

    /**
     * This process's counters (client) and the sidecar's (server).
     *
     * @return array{client: array<string, int|bool>, server: array<string, int>}
     *
     * @throws BroadcastException when the sidecar cannot answer
     */
    public function stats(): array;
}
