<?php

namespace Sidecast\Laravel\Tests\Support;

use RuntimeException;

/**
 * The real sidecar (target/release/sidecast, built by the test command's set-up), listening on
 * a Unix socket in a fresh temporary directory and on a free loopback port. Stopped by pid.
 */
final class RealSidecar
{
    private const BINARY = __DIR__.'/../../../target/release/sidecast';

    /** @var resource|null */
    private $process = null;

    private string $log;

    public function __construct(public string $path)
    {
        $this->log = dirname($path).'/sidecar.log';
    }

    /** A sidecar for a socket in a new temporary directory, not yet started. */
    public static function inTemporaryDirectory(): self
    {
        $dir = sys_get_temp_dir().'/sidecast-test-'.bin2hex(random_bytes(6));
        mkdir($dir, 0700);

        return new self($dir.'/sidecast.sock');
    }

    /** @param  list<string>  $options  more `sidecast start` options */
    public function start(array $options = []): self
    {
        if (! is_executable(self::BINARY)) {
            throw new RuntimeException('target/release/sidecast is missing: run the test command, which builds it');
        }
        $command = [self::BINARY, 'start', '--socket', $this->path, '--host', '127.0.0.1', '--port', '0', ...$options];
        // The temporary directory holds no laravel-echo-server.json or .env to pick up.
        $this->process = proc_open($command, [0 => ['file', '/dev/null', 'r'], 1 => ['file', $this->log, 'a'], 2 => ['file', $this->log, 'a']], $pipes, dirname($this->path));
        $deadline = microtime(true) + 10;
        while (! str_contains((string) @file_get_contents($this->log), 'sidecast is listening')) {
            if (! proc_get_status($this->process)['running'] || microtime(true) > $deadline) {
                throw new RuntimeException('the sidecar did not start: '.@file_get_contents($this->log));
            }
            usleep(10_000);
        }

        return $this;
    }

    /** Where it serves HTTP: http://127.0.0.1:<port>, from its "listening" line. */
    public function url(): string
    {
        if (! preg_match('~echo=(http://127\.0\.0\.1:\d+)/socket\.io/~', (string) @file_get_contents($this->log), $match)) {
            throw new RuntimeException('the sidecar did not say where it listens: '.@file_get_contents($this->log));
        }

        return $match[1];
    }

    /** Stops it with SIGTERM (a graceful stop: it answers what it read) and waits for it. */
    public function stop(): void
    {
        if ($this->process === null) {
            return;
        }
        proc_terminate($this->process, SIGTERM);
        $deadline = microtime(true) + 10;
        while (proc_get_status($this->process)['running']) {
            if (microtime(true) > $deadline) {
                proc_terminate($this->process, SIGKILL);
            }
            usleep(5_000);
        }
        proc_close($this->process);
        $this->process = null;
        // The next start() waits for its own "listening" line.
        @rename($this->log, $this->log.'.'.bin2hex(random_bytes(3)));
    }

    public function __destruct()
    {
        $this->stop();
        @array_map('unlink', glob(dirname($this->path).'/*') ?: []);
        @rmdir(dirname($this->path));
    }
}
