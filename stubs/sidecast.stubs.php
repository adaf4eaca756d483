<?php

/**
 * Stubs of the sidecast PHP extension (crates/ext), for IDEs and static analysis.
 *
 * php/tests/Unit/StubsTest.php compares this file with the loaded extension by reflection
 * (classes, parents, methods, parameter names, types and defaults, constants, functions), so
 * it cannot drift from what the extension really declares.
 */

namespace Sidecast;

/**
 * The sidecar could not take an event or answer a question: it is not listening at the
 * configured socket, PHP may not connect to it, it refused the event, it did not answer within
 * the timeout, or the buffer was full (with the "throw" overflow policy). The message says
 * which, names the socket, and says what to do about it.
 */
class BroadcastException extends \RuntimeException
{
}

/**
 * Hands events to the sidecast sidecar over its Unix socket.
 *
 * Each PHP process has one background writer per socket, started on first use and shared by
 * every instance: broadcast() buffers the event and returns, the writer sends it and keeps it
 * until the sidecar acknowledges it, sending it again after a reconnect.
 */
class Broadcaster
{
    /**
     * @param string|null $socket the sidecar's socket; defaults to the sidecast.socket php.ini setting
     * @param array{timeout?: int|float, acknowledged?: bool, overflow?: 'drop'|'throw'} $options
     *        override the php.ini settings sidecast.timeout (seconds to connect, write or wait
     *        for an answer; at most 3600), sidecast.acknowledged (broadcast() waits for the
     *        sidecar to accept each event) and sidecast.overflow (what a full buffer does)
     *
     * @throws \ValueError for an empty socket path, an unknown or invalid option, or an
     *         invalid php.ini setting
     */
    public function __construct(?string $socket = null, array $options = [])
    {
    }

    /**
     * Broadcasts $event with the JSON $payload on every channel in $channels, except to the
     * client whose socket id is $socketId (Laravel's toOthers()).
     *
     * Returns once the event is buffered; when acknowledged ($acknowledged, else the
     * instance's setting), once the sidecar has accepted it.
     *
     * @param list<string> $channels
     *
     * @throws \ValueError when a value cannot be carried (no channels, a name too long or with
     *         control characters, a payload that is not JSON or too large)
     * @throws BroadcastException when acknowledged and the sidecar refused the event or did not
     *         accept it within the timeout, or when the buffer is full and the overflow policy
     *         is "throw"
     */
    public function broadcast(array $channels, string $event, string $payload, ?string $socketId = null, ?bool $acknowledged = null): void
    {
    }

    /**
     * Why this process's writer for the socket cannot deliver right now, or null: the last
     * error while it is not connected to the sidecar (events wait in the buffer meanwhile). It
     * asks the sidecar nothing, so it may follow every broadcast().
     */
    public function problem(): ?string
    {
    }

    /**
     * problem() for a log: at most once every $interval seconds for this process and socket
     * (the writer outlives requests, so a php-fpm worker counts across its requests), null in
     * between and while there is no problem.
     *
     * @throws \ValueError for an interval below 0 or above 86400
     */
    public function problemToReport(float $interval = 60.0): ?string
    {
    }

    /**
     * Waits until the sidecar has accepted every event this process buffered for this socket.
     *
     * @return bool false if $timeout seconds passed first
     *
     * @throws \ValueError for a timeout below 0 or above 3600
     */
    public function flush(float $timeout = 1.0): bool
    {
    }

    /**
     * The occupied channels whose names start with $prefix.
     *
     * @return array<string, array{subscription_count: int, user_count?: int}>
     *
     * @throws BroadcastException when the sidecar does not answer
     */
    public function channels(?string $prefix = null): array
    {
    }

    /**
     * One channel's figures; user_count only for a presence channel.
     *
     * @return array{subscription_count: int, occupied: bool, user_count?: int}
     *
     * @throws \ValueError for an empty name
     * @throws BroadcastException when the sidecar does not answer or the name is invalid
     */
    public function channel(string $name): array
    {
    }

    /**
     * The users on a presence channel, one entry per user.
     *
     * @return list<array{user_id: mixed, user_info: mixed}>
     *
     * @throws \ValueError when the name does not start with "presence-"
     * @throws BroadcastException when the sidecar does not answer
     */
    public function members(string $presenceChannel): array
    {
    }

    /**
     * This process's counters for the socket (client: sent, acknowledged, refused, dropped,
     * reconnects, buffered, buffered_bytes, connected) and the sidecar's (server: connections,
     * channels, publications, deliveries, dropped).
     *
     * @return array{client: array<string, int|bool>, server: array<string, int>}
     *
     * @throws BroadcastException when the sidecar does not answer
     */
    public function stats(): array
    {
    }
}
