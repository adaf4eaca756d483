<?php

namespace Sidecast\Laravel\Wire;

use InvalidArgumentException;

/**
 * The plain-PHP twin of crates/wire: builds the frames the sidecar reads from its Unix socket,
 * as specified in docs/wire-protocol.md. Both encoders are checked against the same golden
 * files (crates/wire/golden), so they cannot drift apart.
 */
final class Frame
{
    public const VERSION = 1;

    public const KIND_PUBLISH = 1;

    /** Largest frame the format allows, header included. */
    public const MAX_FRAME_BYTES = 16 * 1024 * 1024;

    public const MAX_CHANNEL_NAME_BYTES = 200;

    public const MAX_EVENT_NAME_BYTES = 255;

    public const MAX_SOCKET_ID_BYTES = 64;

    /**
     * A PUBLISH frame: $event with the JSON text $payload on every channel in $channels,
     * not delivered to the client whose socket id is $socketId.
     *
     * @param  list<string>  $channels
     *
     * @throws InvalidArgumentException when a value cannot be carried; nothing is built.
     */
    public static function publish(array $channels, string $event, string $payload, ?string $socketId = null): string
    {
        if ($channels === []) {
            throw new InvalidArgumentException('an event needs at least one channel');
        }
        if (count($channels) > 0xFFFF) {
            throw new InvalidArgumentException(count($channels).' channels are more than the 65535 one frame can carry');
        }

        $body = pack('n', count($channels));
        foreach ($channels as $channel) {
            if (! is_string($channel)) {
                throw new InvalidArgumentException('channel names must be strings, '.get_debug_type($channel).' given');
            }
            $body .= self::name('channel name', $channel, self::MAX_CHANNEL_NAME_BYTES);
        }
        $body .= self::name('event name', $event, self::MAX_EVENT_NAME_BYTES);
        $body .= $socketId === null ? pack('n', 0) : self::name('socket id', $socketId, self::MAX_SOCKET_ID_BYTES);
        $body .= pack('N', strlen($payload)).$payload;

        $size = 6 + strlen($body);
        if ($size > self::MAX_FRAME_BYTES) {
            throw new InvalidArgumentException("the frame would be {$size} bytes, more than the protocol maximum of ".self::MAX_FRAME_BYTES.' bytes');
        }

        return pack('NCC', strlen($body) + 2, self::VERSION, self::KIND_PUBLISH).$body;
    }

    /** A length-prefixed name, after the checks the sidecar applies to it. */
    private static function name(string $field, string $value, int $max): string
    {
        $length = strlen($value);
        if ($length === 0) {
            throw new InvalidArgumentException("the {$field} must not be empty");
        }
        if ($length > $max) {
            throw new InvalidArgumentException("the {$field} is {$length} bytes long, more than the {$max} bytes allowed");
        }
        if (preg_match('//u', $value) !== 1) {
            throw new InvalidArgumentException("the {$field} must be valid UTF-8");
        }
        if (preg_match('/\p{Cc}/u', $value) === 1) {
            throw new InvalidArgumentException("the {$field} must not contain control characters");
        }

        return pack('n', $length).$value;
    }
}
