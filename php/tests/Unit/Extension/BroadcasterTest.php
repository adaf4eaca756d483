<?php

namespace Sidecast\Laravel\Tests\Unit\Extension;

use PHPUnit\Framework\TestCase;
use Sidecast\Broadcaster;
use Sidecast\BroadcastException;
use Sidecast\Laravel\Tests\Support\FakeSidecar;
use Sidecast\Laravel\Tests\Support\RealSidecar;
use TypeError;
use ValueError;

/**
 * Sidecast\Broadcaster itself: its arguments, settings, buffer and process life. Runs in the
 * test command's pass with the extension loaded.
 */
final class BroadcasterTest extends TestCase
{
    /** Header, request id, channel count, ["c"], "E", no socket id, payload length. */
    private const ACKED_OVERHEAD = 6 + 4 + 2 + 3 + 3 + 2 + 4;

    private const MAX_FRAME_BYTES = 16 * 1024 * 1024;

    protected function setUp(): void
    {
        if (! extension_loaded('sidecast')) {
            $this->markTestSkipped('the sidecast extension is not loaded in this run');
        }
    }

    private static function absentSocket(): string
    {
        return sys_get_temp_dir().'/sidecast-absent-'.bin2hex(random_bytes(6)).'.sock';
    }

    public function test_wrong_types_are_type_errors_naming_the_argument(): void
    {
        $broadcaster = new Broadcaster(self::absentSocket());
        foreach ([
            [fn () => $broadcaster->broadcast('orders', 'E', '{}'), 'argument `channels`'],
            [fn () => $broadcaster->broadcast([['nested']], 'E', '{}'), 'Argument #1 ($channels) must contain only strings, array given at key 0'],
            [fn () => $broadcaster->broadcast(['orders', 'x' => 42], 'E', '{}'), 'Argument #1 ($channels) must contain only strings, int given at key x'],
            [fn () => $broadcaster->broadcast(['orders'], 'E', ['not' => 'a string']), 'argument `payload`'],
            [fn () => $broadcaster->broadcast(['orders'], 'E', '{}', null, 'yes please'), 'argument `acknowledged`'],
            [fn () => $broadcaster->flush('soon'), 'argument `timeout`'],
            [fn () => new Broadcaster(self::absentSocket(), 'not an array'), 'argument `options`'],
        ] as $i => [$call, $message]) {
            try {
                $call();
                $this->fail("call {$i} was accepted");
            } catch (TypeError $e) {
                $this->assertStringContainsString($message, $e->getMessage(), "call {$i}");
            }
        }
    }

    public function test_values_sidecast_cannot_carry_are_value_errors_naming_the_argument(): void
    {
        $broadcaster = new Broadcaster(self::absentSocket());
        foreach ([
            [fn () => $broadcaster->broadcast([], 'E', '{}'), 'Argument #1 ($channels) is invalid'],
            [fn () => $broadcaster->broadcast([''], 'E', '{}'), 'Argument #1 ($channels) is invalid'],
            [fn () => $broadcaster->broadcast([str_repeat('c', 201)], 'E', '{}'), 'Argument #1 ($channels) is invalid'],
            [fn () => $broadcaster->broadcast(['c'], "E\n", '{}'), 'Argument #2 ($event) is invalid'],
            [fn () => $broadcaster->broadcast(['c'], 'E', '{}', str_repeat('s', 65)), 'Argument #4 ($socketId) is invalid'],
            [fn () => $broadcaster->broadcast(['c'], 'E', '{"a":'), 'Argument #3 ($payload) must be JSON'],
            [fn () => $broadcaster->broadcast(['c'], 'E', "\"caf\xe9\""), 'Argument #3 ($payload) must be JSON: it is not valid UTF-8'],
            [fn () => $broadcaster->broadcast(["caf\xe9"], 'E', '{}'), 'Argument #1 ($channels) is invalid: the channel name at key 0 is not valid UTF-8'],
            [fn () => $broadcaster->broadcast(['c'], 'E', "\"a\0b\""), 'Argument #3 ($payload) must be JSON'],
            [fn () => $broadcaster->broadcast(['c'], 'E', random_bytes(64)."\xff"), 'Argument #3 ($payload) must be JSON'],
            [fn () => $broadcaster->flush(-1), 'Argument #1 ($timeout) must be a number of seconds from 0 to 3600'],
            [fn () => $broadcaster->flush(NAN), 'Argument #1 ($timeout) must be a number of seconds from 0 to 3600'],
            [fn () => $broadcaster->channel(''), 'Argument #1 ($name) must not be empty'],
            [fn () => $broadcaster->members('private-orders'), 'must be a presence channel'],
            [fn () => new Broadcaster(''), 'Argument #1 ($socket) must not be empty'],
        ] as $i => [$call, $message]) {
            try {
                $call();
                $this->fail("case {$i} was accepted");
            } catch (ValueError $e) {
                $this->assertStringContainsString($message, $e->getMessage(), "case {$i}");
            }
        }
    }

    public function test_a_payload_at_the_frame_limit_is_carried_whole_and_one_byte_more_is_refused(): void
    {
        $sidecar = new FakeSidecar;
        $broadcaster = new Broadcaster($sidecar->path);
        $largest = '"'.str_repeat('x', self::MAX_FRAME_BYTES - self::ACKED_OVERHEAD - 2).'"';

        try {
            $broadcaster->broadcast(['c'], 'E', $largest.' ');
            $this->fail('a frame over the limit was accepted');
        } catch (ValueError $e) {
            $this->assertStringContainsString('Argument #3 ($payload) is invalid', $e->getMessage());
        }

        $broadcaster->broadcast(['c'], 'E', $largest);
        $received = $sidecar->requests(1, 20.0);
        $this->assertCount(1, $received);
        $this->assertSame(strlen($largest), strlen($received[0]['payload']));
        $this->assertSame(md5($largest), md5($received[0]['payload']));
    }

    public function test_payloads_are_binary_safe_every_byte_arrives_as_it_was_given(): void
    {
        $sidecar = new FakeSidecar;
        $broadcaster = new Broadcaster($sidecar->path);
        // Control characters, NUL escapes and multi-byte text inside valid JSON; no byte may be
        // cut at a NUL or re-encoded on the way.
        $payloads = [
            json_encode(['bytes' => base64_encode(random_bytes(512))]),
            json_encode(['text' => "a\u{0}b\u{1}c\u{7f}é日本🙂"], JSON_UNESCAPED_UNICODE),
            '{"nul":"\\u0000","tab":"\t"}',
        ];
        foreach ($payloads as $payload) {
            $broadcaster->broadcast(['c'], 'E', $payload);
        }

        $received = $sidecar->requests(count($payloads), 10.0);
        $this->assertSame($payloads, array_column($received, 'payload'));
    }

    public function test_invalid_options_name_the_option_and_what_it_takes(): void
    {
        foreach ([
            [['timeout' => 0], 'option "timeout" must be a number of seconds greater than 0 and at most 3600, 0 given'],
            [['timeout' => 'soon'], 'option "timeout" must be a number of seconds greater than 0 and at most 3600, "soon" given'],
            [['timeout' => INF], 'option "timeout" must be a number of seconds'],
            [['acknowledged' => 'yes'], 'option "acknowledged" must be true or false, "yes" given'],
            [['overflow' => 'ignore'], 'option "overflow" must be "drop" or "throw", "ignore" given'],
            [['overflow' => []], 'option "overflow" must be "drop" or "throw", array given'],
            [['retries' => 3], 'unknown option "retries"; the known options are "timeout", "acknowledged" and "overflow"'],
        ] as [$options, $message]) {
            try {
                new Broadcaster(self::absentSocket(), $options);
                $this->fail("{$message} was accepted");
            } catch (ValueError $e) {
                $this->assertStringContainsString($message, $e->getMessage());
            }
        }
    }

    /** @dataProvider invalidIniValues */
    public function test_invalid_ini_values_name_the_directive(string $directive, string $value, string $message): void
    {
        $old = ini_set($directive, $value);
        $this->assertNotFalse($old, "{$directive} can be set at run time");
        try {
            new Broadcaster(self::absentSocket());
            $this->fail("{$directive}={$value} was accepted");
        } catch (ValueError $e) {
            $this->assertSame($message, $e->getMessage());
        } finally {
            ini_set($directive, $old);
        }
    }

    public static function invalidIniValues(): array
    {
        return [
            ['sidecast.timeout', '0', 'sidecast.timeout in php.ini must be a number of seconds greater than 0 and at most 3600, "0" given'],
            ['sidecast.acknowledged', 'perhaps', 'sidecast.acknowledged in php.ini must be On or Off, "perhaps" given'],
            ['sidecast.buffer_bytes', '12 parsecs', 'sidecast.buffer_bytes in php.ini must be a size from 1K to 1G, such as 8M, "12 parsecs" given'],
            ['sidecast.buffer_frames', '-5', 'sidecast.buffer_frames in php.ini must be a whole number from 1 to 10000000, "-5" given'],
            ['sidecast.overflow', 'block', 'sidecast.overflow in php.ini must be "drop" or "throw", "block" given'],
        ];
    }

    public function test_the_shutdown_timeout_can_only_be_set_in_php_ini(): void
    {
        $this->assertFalse(ini_set('sidecast.shutdown_timeout', '5'));
    }

    public function test_without_a_sidecar_broadcasts_are_buffered_and_arrive_once_it_starts(): void
    {
        $sidecar = RealSidecar::inTemporaryDirectory();
        $broadcaster = new Broadcaster($sidecar->path, ['timeout' => 5.0]);

        $started = microtime(true);
        for ($i = 0; $i < 500; $i++) {
            $broadcaster->broadcast(['orders'], 'Shipped', json_encode(['i' => $i]));
        }
        // Returned without waiting for the 5 s connect timeout.
        $this->assertLessThan(2.0, microtime(true) - $started);
        $this->assertFalse($broadcaster->flush(0.05));

        $sidecar->start();
        $this->assertTrue($broadcaster->flush(10.0));
        $this->assertSame(500, $broadcaster->stats()['server']['publications']);
        $sidecar->stop();
    }

    public function test_acknowledged_without_a_sidecar_throws_within_the_timeout_naming_the_socket(): void
    {
        $socket = self::absentSocket();
        $broadcaster = new Broadcaster($socket, ['timeout' => 0.3, 'acknowledged' => true]);

        $started = microtime(true);
        try {
            $broadcaster->broadcast(['orders'], 'Shipped', '{}');
            $this->fail('an acknowledged broadcast without a sidecar returned');
        } catch (BroadcastException $e) {
            $this->assertStringContainsString("sidecast is not listening at {$socket} (no such socket file)", $e->getMessage());
            $this->assertStringContainsString('nothing was sent within 0.300 s', $e->getMessage());
            $this->assertInstanceOf(\RuntimeException::class, $e);
        }
        $this->assertLessThan(5.0, microtime(true) - $started);
        // The event was taken back out of the buffer: nothing is left to flush.
        $this->assertTrue($broadcaster->flush(0.0));
    }

    public function test_a_full_buffer_drops_with_a_warning_or_throws_as_configured(): void
    {
        $sidecar = RealSidecar::inTemporaryDirectory();
        // The first instance to use a socket sizes its buffer.
        $old = ini_set('sidecast.buffer_frames', '3');
        try {
            $dropping = new Broadcaster($sidecar->path);
        } finally {
            ini_set('sidecast.buffer_frames', $old);
        }
        $warnings = [];
        set_error_handler(function (int $type, string $message) use (&$warnings) {
            $warnings[] = [$type, $message];

            return true;
        });
        try {
            for ($i = 0; $i < 5; $i++) {
                $dropping->broadcast(['orders'], 'Shipped', json_encode(['i' => $i]));
            }
        } finally {
            restore_error_handler();
        }
        $this->assertCount(2, $warnings);
        $this->assertSame(E_WARNING, $warnings[0][0]);
        $this->assertStringContainsString("Sidecast\\Broadcaster::broadcast(): the buffer for sidecast at {$sidecar->path} is full (3 events", $warnings[0][1]);
        $this->assertStringContainsString('the event was dropped', $warnings[0][1]);

        $throwing = new Broadcaster($sidecar->path, ['overflow' => 'throw']);
        try {
            $throwing->broadcast(['orders'], 'Shipped', '{}');
            $this->fail('a full buffer took the event');
        } catch (BroadcastException $e) {
            $this->assertStringContainsString('raise sidecast.buffer_frames or sidecast.buffer_bytes', $e->getMessage());
        }

        $sidecar->start();
        $this->assertTrue($dropping->flush(10.0));
        $stats = $dropping->stats();
        $this->assertSame(3, $stats['server']['publications']);
        $this->assertGreaterThanOrEqual(3, $stats['client']['dropped']);
        $sidecar->stop();
    }

    public function test_a_forked_child_starts_its_own_writer_and_the_parent_keeps_its_own(): void
    {
        $sidecar = RealSidecar::inTemporaryDirectory()->start();
        $broadcaster = new Broadcaster($sidecar->path, ['timeout' => 5.0]);
        $broadcaster->broadcast(['orders'], 'FromParent', '{}', null, true);

        $pid = pcntl_fork();
        if ($pid === 0) {
            // The parent's writer threads do not exist here; this must neither hang nor write
            // into the parent's connection. The child's success shows in the count below.
            try {
                $broadcaster->broadcast(['orders'], 'FromChild', '{}', null, true);
            } finally {
                // No PHPUnit shutdown (nor the sidecar's destructor) in the child.
                posix_kill(posix_getpid(), SIGKILL);
            }
        }
        pcntl_waitpid($pid, $status);

        $broadcaster->broadcast(['orders'], 'FromParentAgain', '{}', null, true);
        $this->assertSame(3, $broadcaster->stats()['server']['publications']);
        $sidecar->stop();
    }

    public function test_a_cli_script_that_ends_right_after_broadcasting_delivers_everything(): void
    {
        $sidecar = RealSidecar::inTemporaryDirectory()->start();
        $script = sprintf('$b = new Sidecast\Broadcaster(%s); for ($i = 0; $i < 2000; $i++) { $b->broadcast(["orders"], "E", "{\"i\":$i}"); }', var_export($sidecar->path, true));

        [$status, , $stderr] = self::php($script);

        $this->assertSame(0, $status, $stderr);
        $this->assertSame('', $stderr);
        $this->assertSame(2000, (new Broadcaster($sidecar->path))->stats()['server']['publications']);
        $sidecar->stop();
    }

    public function test_what_cannot_be_delivered_by_the_end_of_php_is_reported_on_stderr(): void
    {
        $socket = self::absentSocket();
        $script = sprintf('$b = new Sidecast\Broadcaster(%s); $b->broadcast(["orders"], "E", "{}"); $b->broadcast(["orders"], "E", "{}");', var_export($socket, true));

        $started = microtime(true);
        [$status, , $stderr] = self::php($script, ['-d', 'sidecast.shutdown_timeout=0.2']);

        $this->assertSame(0, $status);
        $this->assertStringContainsString("sidecast: 2 events (", $stderr);
        $this->assertStringContainsString("were not delivered to {$socket} before PHP ended (sidecast.shutdown_timeout = 0.200 s): sidecast is not listening at {$socket}", $stderr);
        $this->assertLessThan(5.0, microtime(true) - $started);
    }

    public function test_phpinfo_shows_the_settings_and_this_processs_counters(): void
    {
        ob_start();
        phpinfo(INFO_MODULES);
        $info = ob_get_clean();

        foreach (['sidecast support', 'sidecast.socket', 'sidecast.buffer_bytes', 'sidecast.overflow', 'sidecast.shutdown_timeout', 'Events sent', 'Events acknowledged', 'Events dropped (buffer full)', 'Reconnects'] as $row) {
            $this->assertStringContainsString($row, $info);
        }
    }

    /**
     * Runs PHP code in a fresh process with this very extension build.
     *
     * @return array{0: int, 1: string, 2: string} exit status, stdout, stderr
     */
    private static function php(string $code, array $arguments = []): array
    {
        preg_match('~\s(/\S*libsidecast\.so)$~m', (string) file_get_contents('/proc/self/maps'), $match);
        $command = array_merge([PHP_BINARY, '-n', '-d', 'extension='.$match[1]], $arguments, ['-r', $code]);
        $process = proc_open($command, [1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes);
        $stdout = stream_get_contents($pipes[1]);
        $stderr = stream_get_contents($pipes[2]);

        return [proc_close($process), $stdout, $stderr];
    }
}
