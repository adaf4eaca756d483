<?php

namespace Sidecast\Laravel\Listener;

use Sidecast\Laravel\Transports\SocketOwner;
use Sidecast\Laravel\Transports\SocketTransport;
use Sidecast\Laravel\Wire\Frame;
use UnexpectedValueException;

/**
 * One connection to the sidecar, turned to listening for lifecycle events
 * (docs/wire-protocol.md, LISTEN): events in, in order, each confirmed once it is handled.
 * The sidecar keeps what is not confirmed and sends it again on the next connection.
 */
final class Connection
{
    /** @var resource */
    private $stream;

    /** Bytes read and not yet used. */
    private string $unread = '';

    /** The last event handled and not yet confirmed to the sidecar. */
    private ?int $toConfirm = null;

    /**
     * @param  resource  $stream
     */
    private function __construct($stream)
    {
        $this->stream = $stream;
    }

    /**
     * Connects to the sidecar at $socket and asks to listen; waits $timeout seconds at most.
     *
     * @throws Unavailable with what is wrong: no sidecar, an untrusted socket, a refusal.
     */
    public static function open(string $socket, float $timeout): self
    {
        $untrusted = SocketOwner::problem($socket);
        if ($untrusted !== null) {
            throw new Unavailable($untrusted);
        }
        $stream = @stream_socket_client('unix://'.$socket, $errno, $errstr, $timeout);
        if ($stream === false) {
            throw new Unavailable(SocketTransport::connectFailure($socket, $errno, $errstr));
        }
        $connection = new self($stream);
        $requestId = random_int(1, 0xFFFFFFFF);
        $connection->write(Frame::listen($requestId));
        $answer = $connection->next($timeout);
        if ($answer === null) {
            $connection->close();
            throw new Unavailable(sprintf('sidecast at %s did not answer within %.1f s', $socket, $timeout));
        }
        if ($answer['kind'] !== 'ack' || $answer['request_id'] !== $requestId) {
            $connection->close();
            throw new Unavailable("the process at {$socket} answered LISTEN with something else; is it a sidecast sidecar of the same version?");
        }
        if ($answer['refused'] !== null) {
            $connection->close();
            throw new Unavailable("sidecast at {$socket} refused to send events: {$answer['refused']}");
        }

        return $connection;
    }

    /**
     * The next event, waiting $wait seconds at most (null if none came):
     * ['seq' => int, 'time_ms' => int, 'missed' => int, 'json' => string].
     *
     * @return array{kind: string, seq: int, time_ms: int, missed: int, json: string}|null
     *
     * @throws Unavailable when the sidecar closed the connection or sent something else.
     */
    public function event(float $wait): ?array
    {
        $event = $this->next($wait);
        if ($event !== null && $event['kind'] !== 'event') {
            throw new Unavailable("the sidecar sent an {$event['kind']} where an event was expected");
        }

        return $event;
    }

    /**
     * Tells the sidecar every event up to $seq is handled: at once if no other event is
     * already here, else with the confirmation of the last of them (one write for a backlog,
     * not one per event).
     *
     * @throws Unavailable when the connection is gone.
     */
    public function confirm(int $seq): void
    {
        $this->toConfirm = $seq;
        if (Frame::parseAnswer($this->unread) === null) {
            $this->sendConfirmation();
        }
    }

    /** Confirms what is handled, if the connection still takes it, and closes it. */
    public function close(): void
    {
        try {
            $this->sendConfirmation();
        } catch (Unavailable) {
            // Gone already: the sidecar sends those events again to the next listener.
        }
        @fclose($this->stream);
    }

    private function sendConfirmation(): void
    {
        if ($this->toConfirm !== null) {
            $this->write(Frame::confirm($this->toConfirm));
            $this->toConfirm = null;
        }
    }

    /** The next frame, or null if none is whole within $wait seconds. */
    private function next(float $wait): ?array
    {
        $deadline = microtime(true) + $wait;
        while (true) {
            try {
                $parsed = Frame::parseAnswer($this->unread);
            } catch (UnexpectedValueException $e) {
                throw new Unavailable("the sidecar sent what this package cannot read: {$e->getMessage()}", 0, $e);
            }
            if ($parsed !== null) {
                [$used, $frame] = $parsed;
                $this->unread = substr($this->unread, $used);

                return $frame;
            }
            // Nothing whole is here: what is handled is confirmed before waiting for more.
            $this->sendConfirmation();
            $left = $deadline - microtime(true);
            if ($left <= 0) {
                return null;
            }
            $read = [$this->stream];
            $none = null;
            $ready = @stream_select($read, $none, $none, (int) $left, (int) (fmod($left, 1) * 1e6));
            if ($ready === false) {
                // Interrupted by a signal: the caller decides whether to go on.
                return null;
            }
            if ($ready === 0) {
                continue;
            }
            $chunk = @fread($this->stream, 65536);
            if ($chunk === false || ($chunk === '' && feof($this->stream))) {
                throw new Unavailable('the sidecar closed the connection');
            }
            $this->unread .= $chunk;
        }
    }

    private function write(string $bytes): void
    {
        while ($bytes !== '') {
            $written = @fwrite($this->stream, $bytes);
            if ($written === false || $written === 0) {
                throw new Unavailable('cannot write to the sidecar: the connection is gone');
            }
            $bytes = substr($bytes, $written);
        }
    }
}
