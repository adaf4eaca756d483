<?php

namespace Sidecast\Laravel\Transports;

use Illuminate\Broadcasting\BroadcastException;
use InvalidArgumentException;
use Sidecast\Laravel\Contracts\Transport;
use Sidecast\Laravel\Wire\Frame;

/**
 * Sends in plain PHP, for hosts without the extension: the same frames over the same socket.
 * The connection is persistent, so a php-fpm worker opens it once and keeps it across
 * requests, as the extension does.
 */
final class SocketTransport implements Transport
{
    /** @var resource|null */
    private $stream = null;

    public function __construct(private string $socket, private float $timeout)
    {
    }

    public function publish(array $channels, string $event, string $payload, ?string $socketId): void
    {
        try {
            $frame = Frame::publish($channels, $event, $payload, $socketId);
        } catch (InvalidArgumentException $e) {
            throw new BroadcastException("Sidecast: cannot broadcast {$event}: {$e->getMessage()}", 0, $e);
        }

        $failure = $this->write($frame);
        if ($failure instanceof ClosedByPeer) {
            // The kept connection outlived a sidecar restart; the frame goes out once more on a
            // fresh one. Nothing of it reached the old sidecar's reader as a whole frame.
            $failure = $this->write($frame);
        }
        if ($failure !== null) {
            throw new BroadcastException('Sidecast: '.$failure->getMessage());
        }
    }

    /** Writes the whole frame, connecting first if needed; returns why it could not. */
    private function write(string $frame): ?SendFailure
    {
        $reused = $this->stream !== null;
        if (! $reused && ($failure = $this->connect()) !== null) {
            return $failure;
        }

        $length = strlen($frame);
        for ($written = 0; $written < $length; $written += $count) {
            $count = @fwrite($this->stream, $written === 0 ? $frame : substr($frame, $written));
            if ($count === false || $count === 0) {
                $timedOut = stream_get_meta_data($this->stream)['timed_out'];
                $reason = error_get_last()['message'] ?? 'the write failed';
                $this->disconnect();

                if ($timedOut) {
                    return new SendFailure(sprintf(
                        'sidecast at %s did not take the event within %.3f s; it may be overloaded or stopped (raise the "timeout" option if it is just slow)',
                        $this->socket,
                        $this->timeout,
                    ));
                }

                $message = "cannot send the event to sidecast at {$this->socket}: {$reason}";

                return $reused ? new ClosedByPeer($message) : new SendFailure($message);
            }
        }

        return null;
    }

    private function connect(): ?SendFailure
    {
        $stream = @stream_socket_client(
            'unix://'.$this->socket,
            $errno,
            $errstr,
            $this->timeout,
            STREAM_CLIENT_CONNECT | STREAM_CLIENT_PERSISTENT,
        );
        if ($stream === false) {
            return new SendFailure($this->describeConnectFailure($errno, $errstr));
        }
        $seconds = (int) $this->timeout;
        stream_set_timeout($stream, $seconds, (int) (($this->timeout - $seconds) * 1e6));
        $this->stream = $stream;

        return null;
    }

    private function disconnect(): void
    {
        if ($this->stream !== null) {
            @fclose($this->stream);
            $this->stream = null;
        }
    }

    private function describeConnectFailure(int $errno, string $errstr): string
    {
        $path = $this->socket;

        return match (true) {
            $errno === 2 || ! file_exists($path) => "sidecast is not listening at {$path} (no such socket file): start it with `sidecast start`, or point SIDECAST_SOCKET at the socket it listens on",
            $errno === 111 => "sidecast is not listening at {$path} (the socket file is left from a sidecar that stopped): start it with `sidecast start`",
            $errno === 11 => "sidecast at {$path} is not accepting connections (its accept queue is full); it may be overloaded or stopped",
            $errno === 13 => "no permission to connect to sidecast at {$path}: the socket is mode 0660, so run PHP as the sidecar's user or in its group",
            default => "cannot connect to sidecast at {$path}: {$errstr} (errno {$errno})",
        };
    }
}
