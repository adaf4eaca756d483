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
 * The sidecar could not take an event: it is not listening at the configured socket, PHP may
 * not connect to it, or it did not read within the timeout. The message says which, and what
 * to do about it.
 */
class BroadcastException extends \RuntimeException
{
}

/**
 * Hands events to the sidecast sidecar over its Unix socket.
 *
 * The connection is opened on the first broadcast() and kept for the life of the PHP process,
 * shared by every instance that uses the same socket.
 */
class Broadcaster
{
    /**
     * @param string|null $socket the sidecar's socket; defaults to the sidecast.socket php.ini setting
     * @param array{timeout?: int|float} $options timeout: seconds one broadcast() may take to
     *        connect and write before it throws (default 1, at most 3600)
     *
     * @throws \ValueError for an empty socket path or an unknown or invalid option
     */
    public function __construct(?string $socket = null, array $options = [])
    {
    }

    /**
     * Broadcasts $event with the JSON $payload on every channel in $channels, except to the
     * client whose socket id is $socketId (Laravel's toOthers()).
     *
     * @param list<string> $channels
     *
     * @throws \ValueError when a value cannot be carried (no channels, a name too long or with
     *         control characters, a payload that is not JSON)
     * @throws BroadcastException when the sidecar cannot be reached
     */
    public function broadcast(array $channels, string $event, string $payload, ?string $socketId = null): void
    {
    }
}
