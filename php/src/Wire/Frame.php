<?php

namespace Sidecast\Laravel\Wire;

use InvalidArgumentException;
use UnexpectedValueException;

/**
 * The plain-PHP twin of crates/wire: builds the frames the sidecar reads from its Unix socket
 * and reads its answers, as specified in docs/wire-protocol.md. Both implementations are
 * checked against the same golden files (crates/wire/golden), so they cannot drift apart.
 */
final class Frame
{
    public const VERSION = 1;

    public const KIND_PUBLISH = 1;

    public const KIND_PUBLISH_ACKED = 2;

    public const KIND_QUERY = 3;

    /** Turns the connection to receiving lifecycle events (`sidecast:listen`); answered by an ACK. */
    public const KIND_LISTEN = 4;

    /** The listener has handled every event up to a sequence number; not answered. */
    public const KIND_CONFIRM = 5;

    public const KIND_ACK = 128;

    public const KIND_RESULT = 129;

    /** A lifecycle event, to a listening connection. */
    public const KIND_EVENT = 130;

    /** The questions a QUERY asks, by name, and their codes on the wire. */
    public const QUESTIONS = ['channels' => 1, 'channel' => 2, 'members' => 3, 'stats' => 4];

    /** Largest answer accepted from the sidecar; its answers are small JSON documents. */
    public const MAX_ANSWER_BYTES = 16 * 1024 * 1024;

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
        return self::frame(self::KIND_PUBLISH, self::publishBody($channels, $event, $payload, $socketId));
    }

    /**
     * A PUBLISH_ACKED frame: a PUBLISH that the sidecar answers with an ACK carrying $requestId.
     *
     * @param  list<string>  $channels
     *
     * @throws InvalidArgumentException when a value cannot be carried; nothing is built.
     */
    public static function publishAcked(int $requestId, array $channels, string $event, string $payload, ?string $socketId = null): string
    {
        return self::frame(self::KIND_PUBLISH_ACKED, self::requestId($requestId).self::publishBody($channels, $event, $payload, $socketId));
    }

    /**
     * A QUERY frame asking $question ("channels", "channel", "members" or "stats") about
     * $argument (a name prefix, a channel name, or nothing).
     *
     * @throws InvalidArgumentException for an unknown question or an argument that cannot be carried.
     */
    public static function query(int $requestId, string $question, string $argument = ''): string
    {
        $code = self::QUESTIONS[$question] ?? throw new InvalidArgumentException("unknown question \"{$question}\"; the questions are ".implode(', ', array_keys(self::QUESTIONS)));
        if (strlen($argument) > 0xFFFF) {
            throw new InvalidArgumentException('the argument is '.strlen($argument).' bytes long, more than the 65535 bytes allowed');
        }
        if (preg_match('//u', $argument) !== 1) {
            throw new InvalidArgumentException('the argument must be valid UTF-8');
        }

        return self::frame(self::KIND_QUERY, self::requestId($requestId).pack('Cn', $code, strlen($argument)).$argument);
    }

    /**
     * A LISTEN frame: from its ACK on, the sidecar sends lifecycle events on this connection.
     *
     * @throws InvalidArgumentException for a request id that is not 32-bit.
     */
    public static function listen(int $requestId): string
    {
        return self::frame(self::KIND_LISTEN, self::requestId($requestId));
    }

    /**
     * A CONFIRM frame: every lifecycle event up to $seq is handled.
     *
     * @throws InvalidArgumentException for a negative sequence number.
     */
    public static function confirm(int $seq): string
    {
        if ($seq < 0) {
            throw new InvalidArgumentException("a sequence number is not negative, {$seq} given");
        }

        return self::frame(self::KIND_CONFIRM, pack('J', $seq));
    }

    /**
     * Reads the first frame the sidecar sent in $buffer: null while it is incomplete, else the
     * number of bytes it took and the frame, one of
     * ['kind' => 'ack', 'request_id' => int, 'refused' => ?string],
     * ['kind' => 'result', 'request_id' => int, 'ok' => bool, 'json' => string] and
     * ['kind' => 'event', 'seq' => int, 'time_ms' => int, 'missed' => int, 'json' => string].
     *
     * @return array{0: int, 1: array<string, mixed>}|null
     *
     * @throws UnexpectedValueException when the bytes are not an answer from a sidecar of this version.
     */
    public static function parseAnswer(string $buffer): ?array
    {
        if (strlen($buffer) < 4) {
            return null;
        }
        $length = unpack('N', $buffer)[1];
        if ($length < 2 || $length + 4 > self::MAX_ANSWER_BYTES) {
            throw new UnexpectedValueException("an answer of {$length} bytes is not possible");
        }
        if (strlen($buffer) < 4 + $length) {
            return null;
        }
        ['version' => $version, 'kind' => $kind] = unpack('Cversion/Ckind', $buffer, 4);
        if ($version !== self::VERSION) {
            throw new UnexpectedValueException("the answer is in wire protocol version {$version}, this package speaks version ".self::VERSION);
        }
        $body = substr($buffer, 6, $length - 2);

        $answer = match ($kind) {
            self::KIND_ACK => self::ack($body),
            self::KIND_RESULT => self::result($body),
            self::KIND_EVENT => self::event($body),
            default => throw new UnexpectedValueException("a frame of kind {$kind} is not an answer"),
        };

        return [4 + $length, $answer];
    }

    /** @return array{kind: string, request_id: int, refused: ?string} */
    private static function ack(string $body): array
    {
        if (strlen($body) < 7) {
            throw new UnexpectedValueException('the ACK is truncated');
        }
        ['id' => $id, 'status' => $status, 'length' => $length] = unpack('Nid/Cstatus/nlength', $body);
        if (strlen($body) !== 7 + $length || $status > 1) {
            throw new UnexpectedValueException('the ACK is malformed');
        }

        return ['kind' => 'ack', 'request_id' => $id, 'refused' => $status === 1 ? substr($body, 7) : null];
    }

    /** @return array{kind: string, request_id: int, ok: bool, json: string} */
    private static function result(string $body): array
    {
        if (strlen($body) < 9) {
            throw new UnexpectedValueException('the RESULT is truncated');
        }
        ['id' => $id, 'status' => $status, 'length' => $length] = unpack('Nid/Cstatus/Nlength', $body);
        if (strlen($body) !== 9 + $length || $status > 1) {
            throw new UnexpectedValueException('the RESULT is malformed');
        }

        return ['kind' => 'result', 'request_id' => $id, 'ok' => $status === 0, 'json' => substr($body, 9)];
    }

    /** @return array{kind: string, seq: int, time_ms: int, missed: int, json: string} */
    private static function event(string $body): array
    {
        if (strlen($body) < 24) {
            throw new UnexpectedValueException('the EVENT is truncated');
        }
        ['seq' => $seq, 'time' => $time, 'missed' => $missed, 'length' => $length] = unpack('Jseq/Jtime/Nmissed/Nlength', $body);
        if (strlen($body) !== 24 + $length) {
            throw new UnexpectedValueException('the EVENT is malformed');
        }

        return ['kind' => 'event', 'seq' => $seq, 'time_ms' => $time, 'missed' => $missed, 'json' => substr($body, 24)];
    }

    /** @param  list<string>  $channels */
    private static function publishBody(array $channels, string $event, string $payload, ?string $socketId): string
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
        return $body.pack('N', strlen($payload)).$payload;
    }

    private static function frame(int $kind, string $body): string
    {
        $size = 6 + strlen($body);
        if ($size > self::MAX_FRAME_BYTES) {
            throw new InvalidArgumentException("the frame would be {$size} bytes, more than the protocol maximum of ".self::MAX_FRAME_BYTES.' bytes');
        }

        return pack('NCC', strlen($body) + 2, self::VERSION, $kind).$body;
    }

    private static function requestId(int $requestId): string
    {
        if ($requestId < 0 || $requestId > 0xFFFFFFFF) {
            throw new InvalidArgumentException("a request id is a 32-bit unsigned number, {$requestId} given");
        }

        return pack('N', $requestId);
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
