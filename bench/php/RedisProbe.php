<?php

namespace Sidecast\Bench;

use RuntimeException;

/**
 * Watches the bench redis-server from the side, over its own raw connection, so the benchmark
 * cannot time a path that silently fails: how many EVALs the server ran (Laravel's redis
 * broadcaster publishes through one EVAL per broadcast), and what a pattern subscriber receives.
 */
final class RedisProbe
{
    /** @var resource */
    private $stream;

    public function __construct(private int $port)
    {
        $stream = @stream_socket_client("tcp://127.0.0.1:{$port}", $errno, $errstr, 5.0);
        if ($stream === false) {
            throw new RuntimeException("cannot connect to the bench redis-server on port {$port}: {$errstr}");
        }
        stream_set_timeout($stream, 5);
        $this->stream = $stream;
    }

    /** EVAL calls since the server started (INFO commandstats). */
    public function evalCalls(): int
    {
        $this->send(['INFO', 'commandstats']);
        $info = $this->reply();
        if (! is_string($info)) {
            throw new RuntimeException('redis-server answered INFO commandstats with '.var_export($info, true));
        }

        return preg_match('/^cmdstat_eval:calls=(\d+)/m', $info, $match) ? (int) $match[1] : 0;
    }

    /**
     * Subscribes to every channel, runs $publish, and returns the [channel, message] pairs that
     * arrive within $seconds, stopping once $expected have.
     *
     * @return list<array{0: string, 1: string}>
     */
    public function capture(\Closure $publish, int $expected, float $seconds = 5.0): array
    {
        $this->send(['PSUBSCRIBE', '*']);
        $confirmation = $this->reply();
        if (! is_array($confirmation) || $confirmation[0] !== 'psubscribe') {
            throw new RuntimeException('redis-server did not confirm PSUBSCRIBE: '.var_export($confirmation, true));
        }

        $publish();

        $messages = [];
        $deadline = microtime(true) + $seconds;
        while (count($messages) < $expected && microtime(true) < $deadline) {
            $message = $this->reply();
            if ($message === null) {
                break;
            }
            if (is_array($message) && $message[0] === 'pmessage') {
                $messages[] = [$message[2], $message[3]];
            }
        }

        return $messages;
    }

    /** @param list<string> $arguments */
    private function send(array $arguments): void
    {
        $command = '*'.count($arguments)."\r\n";
        foreach ($arguments as $argument) {
            $command .= '$'.strlen($argument)."\r\n{$argument}\r\n";
        }
        fwrite($this->stream, $command);
    }

    /** Reads one RESP reply; null when none arrived within the stream timeout. */
    private function reply(): string|int|array|null
    {
        $line = fgets($this->stream);
        if ($line === false) {
            return null;
        }
        $type = $line[0];
        $rest = substr($line, 1, -2);

        return match ($type) {
            '+' => $rest,
            ':' => (int) $rest,
            '-' => throw new RuntimeException("redis-server answered with an error: {$rest}"),
            '$' => $rest === '-1' ? null : substr(stream_get_contents($this->stream, (int) $rest + 2), 0, -2),
            '*' => $this->elements((int) $rest),
            default => throw new RuntimeException("unexpected RESP reply: {$line}"),
        };
    }

    /** The $count elements of an array reply (a negative count is RESP's null array). */
    private function elements(int $count): array
    {
        $elements = [];
        for ($i = 0; $i < $count; $i++) {
            $elements[] = $this->reply();
        }

        return $elements;
    }
}
