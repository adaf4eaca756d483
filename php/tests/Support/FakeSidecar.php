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
