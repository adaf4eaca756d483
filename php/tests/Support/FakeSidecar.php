<?php

namespace Sidecast\Laravel\Tests\Support;

use RuntimeException;

/**
 * A Unix-socket listener standing in for the sidecar's ingest socket, to see the exact bytes a
 * transport writes. Lives in a fresh temporary directory.
 */
final class FakeSidecar
{
    public string $path;

    /** @var resource|null */
    private $server;

    /** @var list<resource> */
    private array $clients = [];

    public function __construct()
    {
        $dir = sys_get_temp_dir().'/sidecast-test-'.bin2hex(random_bytes(6));
        mkdir($dir, 0700);
        $this->path = $dir.'/sidecast.sock';
        $this->listen();
    }

    public function listen(int $backlog = 128): void
    {
        $context = stream_context_create(['socket' => ['backlog' => $backlog]]);
        $server = stream_socket_server('unix://'.$this->path, $errno, $errstr, STREAM_SERVER_BIND | STREAM_SERVER_LISTEN, $context);
        if ($server === false) {
            throw new RuntimeException("cannot listen at {$this->path}: {$errstr}");
        }
        $this->server = $server;
    }

    /** Stops listening and drops every connection, leaving the socket file behind. */
    public function crash(): void
    {
        foreach ($this->clients as $client) {
            fclose($client);
        }
        $this->clients = [];
        fclose($this->server);
        $this->server = null;
    }

    /** Accepts a waiting connection (if any) and reads what arrived within $seconds. */
    public function received(int $bytes, float $seconds = 5.0): string
    {
        $data = '';
        $deadline = microtime(true) + $seconds;
        while (strlen($data) < $bytes && microtime(true) < $deadline) {
            if (($client = @stream_socket_accept($this->server, 0)) !== false) {
                stream_set_blocking($client, false);
                $this->clients[] = $client;
            }
            foreach ($this->clients as $client) {
                $data .= (string) fread($client, 65536);
            }
            usleep(1000);
        }

        return $data;
    }

    /**
     * Reads until $count whole request frames arrived (or $seconds passed) and decodes them:
     * kind, request id (null for a plain PUBLISH) and the publish fields.
     *
     * @return list<array{kind: int, request_id: ?int, channels: list<string>, event: string, socket_id: ?string, payload: string}>
     */
    public function requests(int $count, float $seconds = 5.0): array
    {
        $requests = [];
        $bytes = '';
        $deadline = microtime(true) + $seconds;
        while (count($requests) < $count && microtime(true) < $deadline) {
            $bytes .= $this->received(1, 0.01);
            while (strlen($bytes) >= 4 && strlen($bytes) >= 4 + ($length = unpack('N', $bytes)[1])) {
                $requests[] = self::decode(substr($bytes, 4, $length));
                $bytes = substr($bytes, 4 + $length);
            }
        }

        return $requests;
    }

    private static function decode(string $frame): array
    {
        $kind = ord($frame[1]);
        $at = 2;
        $id = null;
        if ($kind === 2) {
            $id = unpack('N', $frame, $at)[1];
            $at += 4;
        }
        $name = function () use ($frame, &$at): string {
            $length = unpack('n', $frame, $at)[1];
            $value = substr($frame, $at + 2, $length);
            $at += 2 + $length;

            return $value;
        };
        $channels = [];
        for ($n = unpack('n', $frame, $at)[1], $at += 2; $n > 0; $n--) {
            $channels[] = $name();
        }
        $event = $name();
        $socketId = $name();
        $payload = substr($frame, $at + 4, unpack('N', $frame, $at)[1]);

        return ['kind' => $kind, 'request_id' => $id, 'channels' => $channels, 'event' => $event, 'socket_id' => $socketId === '' ? null : $socketId, 'payload' => $payload];
    }

    /** Listens anew with a tiny accept queue and fills it: further connects would wait. */
    public function saturate(): void
    {
        $this->crash();
        unlink($this->path);
        $this->listen(1);
        for ($i = 0; $i < 16; $i++) {
            $client = @stream_socket_client('unix://'.$this->path, $errno, $errstr, 0.1);
            if ($client === false) {
                return;
            }
            $this->clients[] = $client;
        }
        throw new RuntimeException('the accept queue never filled up');
    }

    public function __destruct()
    {
        if ($this->server !== null) {
            $this->crash();
        }
        @unlink($this->path);
        @rmdir(dirname($this->path));
    }
}
