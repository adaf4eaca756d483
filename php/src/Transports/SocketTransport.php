<?php

namespace Sidecast\Laravel\Transports;

use Illuminate\Broadcasting\BroadcastException;
use InvalidArgumentException;
use JsonException;
use Sidecast\Laravel\Contracts\Transport;
use Sidecast\Laravel\Wire\Frame;
use UnexpectedValueException;

/**
 * Sends in plain PHP, for hosts without the extension: the same frames over the same socket,
 * synchronously. The connection is persistent, so a php-fpm worker opens it once and keeps it
 * across requests, as the extension does. Plain PHP has no background writer: an event is
 * written before publish() returns, and nothing is buffered while the sidecar is down.
 */
final class SocketTransport implements Transport
{
    /** What this process has done, as the extension counts it. */
    private static array $counters = ['sent' => 0, 'acknowledged' => 0, 'refused' => 0, 'reconnects' => 0];

    /** @var resource|null */
    private $stream = null;

    /** Answers read but not yet used, and the start of the next one. */
    private string $unread = '';

    private int $nextRequestId;

    public function __construct(private string $socket, private float $timeout, private bool $acknowledged = false)
    {
        // Random, so a late answer on a persistent connection, to a request an earlier
        // request of this worker gave up on, cannot pass for the answer to a new one.
        $this->nextRequestId = random_int(1, 0xFFFFFFFF);
    }

    public function publish(array $channels, string $event, string $payload, ?string $socketId, ?bool $acknowledged = null): void
    {
        $acknowledged ??= $this->acknowledged;
        $id = $this->requestId();
        try {
            $frame = $acknowledged
                ? Frame::publishAcked($id, $channels, $event, $payload, $socketId)
                : Frame::publish($channels, $event, $payload, $socketId);
        } catch (InvalidArgumentException $e) {
            throw new BroadcastException("Sidecast: cannot broadcast {$event}: {$e->getMessage()}", 0, $e);
        }

        $this->send($frame, 'event');
        self::$counters['sent']++;
        if (! $acknowledged) {
            return;
        }

        $answer = $this->answer($id, 'ack', 'the event');
        if ($answer['refused'] !== null) {
            self::$counters['refused']++;
            throw new BroadcastException("Sidecast: sidecast at {$this->socket} refused the event: {$answer['refused']}");
        }
        self::$counters['acknowledged']++;
    }

    /** Everything is written before publish() returns: nothing is ever waiting here. */
    public function flush(float $timeout = 1.0): bool
    {
        if (! ($timeout >= 0 && $timeout <= 3600)) {
            throw new InvalidArgumentException("Sidecast: the flush timeout must be a number of seconds from 0 to 3600, {$timeout} given");
        }

        return true;
    }

    public function channels(?string $prefix = null): array
    {
        return $this->query('channels', $prefix ?? '')['channels'] ?? [];
    }

    public function channel(string $name): array
    {
        if ($name === '') {
            throw new InvalidArgumentException('Sidecast: the channel name must not be empty');
        }

        return $this->query('channel', $name);
    }

    public function members(string $presenceChannel): array
    {
        if (! str_starts_with($presenceChannel, 'presence-') || $presenceChannel === 'presence-') {
            throw new InvalidArgumentException("Sidecast: members() needs a presence channel (\"presence-…\"), \"{$presenceChannel}\" given");
        }

        return $this->query('members', $presenceChannel)['members'] ?? [];
    }

    public function stats(): array
    {
        $server = $this->query('stats', '');

        return ['client' => self::$counters + ['dropped' => 0, 'buffered' => 0, 'buffered_bytes' => 0, 'connected' => $this->stream !== null], 'server' => $server];
    }

    /** Asks a question and decodes its JSON answer. */
    private function query(string $question, string $argument): array
    {
        $id = $this->requestId();
        try {
            $frame = Frame::query($id, $question, $argument);
        } catch (InvalidArgumentException $e) {
            throw new InvalidArgumentException("Sidecast: cannot ask about {$argument}: {$e->getMessage()}", 0, $e);
        }
        $this->send($frame, 'question');
        $answer = $this->answer($id, 'result', 'the question');
        try {
            $json = json_decode($answer['json'], true, 512, JSON_THROW_ON_ERROR);
        } catch (JsonException $e) {
            throw $this->broken("sidecast at {$this->socket} answered with JSON PHP cannot read: {$e->getMessage()}");
        }
        if (! $answer['ok']) {
            throw new BroadcastException("Sidecast: sidecast at {$this->socket} cannot answer: ".(is_string($json) ? $json : $answer['json']));
        }

        return is_array($json) ? $json : [];
    }

    /** Writes a frame; once more on a fresh connection if the kept one outlived a sidecar restart. */
    private function send(string $frame, string $what): void
    {
        $failure = $this->write($frame, $what);
        if ($failure instanceof ClosedByPeer) {
            // Nothing of the frame reached the old sidecar's reader as a whole frame.
            self::$counters['reconnects']++;
            $failure = $this->write($frame, $what);
        }
        if ($failure !== null) {
            throw new BroadcastException('Sidecast: '.$failure->getMessage());
        }
    }

    /**
     * Reads answers until the one to request $id. Answers to requests given up on earlier are
     * skipped: the sidecar answers every request, in order.
     *
     * @return array<string, mixed>
     */
    private function answer(int $id, string $kind, string $what): array
    {
        $deadline = microtime(true) + $this->timeout;
        while (true) {
            try {
                $parsed = Frame::parseAnswer($this->unread);
            } catch (UnexpectedValueException $e) {
                throw $this->broken("the process at {$this->socket} answered in a way sidecast does not understand ({$e->getMessage()}); is it a sidecast sidecar of the same version?");
            }
            if ($parsed !== null) {
                [$used, $answer] = $parsed;
                $this->unread = substr($this->unread, $used);
                if ($answer['request_id'] !== $id) {
                    continue;
                }
                if ($answer['kind'] !== $kind) {
                    throw $this->broken("the process at {$this->socket} answered {$what} with an {$answer['kind']}; is it a sidecast sidecar of the same version?");
                }

                return $answer;
            }

            $left = $deadline - microtime(true);
            if ($left <= 0) {
                $maybe = $what === 'the event' ? '; it may still deliver the event' : '';
                throw $this->broken(sprintf('sidecast at %s did not answer within %.3f s%s (raise the "timeout" option if it is just slow)', $this->socket, $this->timeout, $maybe));
            }
            $seconds = (int) $left;
            stream_set_timeout($this->stream, $seconds, (int) (($left - $seconds) * 1e6));
            $chunk = @fread($this->stream, 65536);
            // PHP 8 answers a timed-out read with false, like a failed one.
            if (($chunk === '' || $chunk === false) && stream_get_meta_data($this->stream)['timed_out']) {
                continue;
            }
            if ($chunk === false || $chunk === '') {
                throw $this->broken("sidecast at {$this->socket} closed the connection before answering; it may or may not have taken {$what}");
            }
            $this->unread .= $chunk;
        }
    }

    /** Drops the connection, whose state is unknown after a failure, and says why. */
    private function broken(string $message): BroadcastException
    {
        $this->disconnect();

        return new BroadcastException('Sidecast: '.$message);
    }

    private function requestId(): int
    {
        $id = $this->nextRequestId;
        $this->nextRequestId = $id === 0xFFFFFFFF ? 1 : $id + 1;

        return $id;
    }

    /** Writes the whole frame, connecting first if needed; returns why it could not. */
    private function write(string $frame, string $what): ?SendFailure
    {
        $reused = $this->stream !== null;
        if (! $reused && ($failure = $this->connect()) !== null) {
            return $failure;
        }
        $seconds = (int) $this->timeout;
        stream_set_timeout($this->stream, $seconds, (int) (($this->timeout - $seconds) * 1e6));

        $length = strlen($frame);
        for ($written = 0; $written < $length; $written += $count) {
            $count = @fwrite($this->stream, $written === 0 ? $frame : substr($frame, $written));
            if ($count === false || $count === 0) {
                $timedOut = stream_get_meta_data($this->stream)['timed_out'];
                $reason = error_get_last()['message'] ?? 'the write failed';
                $this->disconnect();

                if ($timedOut) {
                    return new SendFailure(sprintf(
                        'sidecast at %s did not take the %s within %.3f s; it may be overloaded or stopped (raise the "timeout" option if it is just slow)',
                        $this->socket,
                        $what,
                        $this->timeout,
                    ));
                }

                $message = "cannot send the {$what} to sidecast at {$this->socket}: {$reason}";

                return $reused ? new ClosedByPeer($message) : new SendFailure($message);
            }
        }

        return null;
    }

    private function connect(): ?SendFailure
    {
        $untrusted = SocketOwner::problem($this->socket);
        if ($untrusted !== null) {
            return new SendFailure($untrusted);
        }
        $stream = @stream_socket_client(
            'unix://'.$this->socket,
            $errno,
            $errstr,
            $this->timeout,
            STREAM_CLIENT_CONNECT | STREAM_CLIENT_PERSISTENT,
        );
        if ($stream === false) {
            return new SendFailure(self::connectFailure($this->socket, $errno, $errstr));
        }
        $this->stream = $stream;
        $this->unread = '';

        return null;
    }

    private function disconnect(): void
    {
        if ($this->stream !== null) {
            @fclose($this->stream);
            $this->stream = null;
        }
        $this->unread = '';
    }

    /** Why connecting to the sidecar at $path failed, and what to do. */
    public static function connectFailure(string $path, int $errno, string $errstr): string
    {
        return match (true) {
            $errno === 2 || ! file_exists($path) => "sidecast is not listening at {$path} (no such socket file): start it with `sidecast start`, or point SIDECAST_SOCKET at the socket it listens on",
            $errno === 111 => "sidecast is not listening at {$path} (the socket file is left from a sidecar that stopped): start it with `sidecast start`",
            $errno === 11 => "sidecast at {$path} is not accepting connections (its accept queue is full); it may be overloaded or stopped",
            $errno === 13 => "no permission to connect to sidecast at {$path}: the socket is mode 0660, so run PHP as the sidecar's user or in its group",
            default => "cannot connect to sidecast at {$path}: {$errstr} (errno {$errno})",
        };
    }
}
