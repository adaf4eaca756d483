<?php

namespace Sidecast\Laravel\Tests\Unit\Transports;

use Illuminate\Broadcasting\BroadcastException;
use InvalidArgumentException;
use PHPUnit\Framework\TestCase;
use Sidecast\Laravel\Contracts\Transport;
use Sidecast\Laravel\Tests\Support\FakeSidecar;
use Sidecast\Laravel\Transports\ExtensionTransport;
use Sidecast\Laravel\Transports\SocketTransport;
use Sidecast\Laravel\Transports\TransportFactory;

/**
 * Both transports against a listening Unix socket that records what arrives and never answers.
 * The extension transport runs when the suite is started with the extension loaded (the test
 * command runs the suite both ways). What needs answers runs against the real sidecar, in
 * SidecarTest.
 */
final class TransportTest extends TestCase
{
    private FakeSidecar $sidecar;

    protected function setUp(): void
    {
        $this->sidecar = new FakeSidecar;
    }

    public static function transports(): array
    {
        $transports = ['plain PHP' => ['socket']];
        if (extension_loaded('sidecast')) {
            $transports['extension'] = ['extension'];
        }

        return $transports;
    }

    private function transport(string $kind, float $timeout = 1.0, ?string $socket = null, bool $acknowledged = false): Transport
    {
        return TransportFactory::make(['socket' => $socket ?? $this->sidecar->path, 'transport' => $kind, 'timeout' => $timeout, 'acknowledged' => $acknowledged]);
    }

    /** @dataProvider transports */
    public function test_it_writes_the_documented_frames(string $kind): void
    {
        $transport = $this->transport($kind);
        $transport->publish(['orders', 'private-orders.1'], 'Shipped', '{"id":1}', 'sock1');
        $transport->publish(['orders'], 'Shipped', '{"id":2}', null);

        $requests = $this->sidecar->requests(2);
        // Plain PHP writes PUBLISH; the extension's writer sends PUBLISH_ACKED, to learn which
        // events the sidecar has taken.
        $this->assertSame([$kind === 'socket' ? 1 : 2, $kind === 'socket' ? 1 : 2], array_column($requests, 'kind'));
        $this->assertSame([
            [['orders', 'private-orders.1'], 'Shipped', 'sock1', '{"id":1}'],
            [['orders'], 'Shipped', null, '{"id":2}'],
        ], array_map(fn ($r) => [$r['channels'], $r['event'], $r['socket_id'], $r['payload']], $requests));
        if ($kind === 'extension') {
            $this->assertNotSame($requests[0]['request_id'], $requests[1]['request_id']);
        }
    }

    /** @dataProvider transports */
    public function test_payloads_are_binary_safe(string $kind): void
    {
        $payload = json_encode(['text' => "caf\u{e9} \u{1F600}", 'nul' => "a\0b"], JSON_THROW_ON_ERROR);
        $this->transport($kind)->publish(['orders'], 'Shipped', $payload, null);

        $this->assertSame($payload, $this->sidecar->requests(1)[0]['payload'] ?? null);
    }

    /** @dataProvider transports */
    public function test_it_sends_on_a_fresh_connection_after_the_sidecar_restarted(string $kind): void
    {
        $transport = $this->transport($kind);
        $transport->publish(['orders'], 'First', '{}', null);
        $this->assertSame(['First'], array_column($this->sidecar->requests(1), 'event'));

        $this->sidecar->crash();
        @unlink($this->sidecar->path);
        $this->sidecar->listen();

        $transport->publish(['orders'], 'Second', '{}', null);
        // This sidecar never acknowledged "First": the extension sends it again, in order.
        $expected = $kind === 'socket' ? ['Second'] : ['First', 'Second'];
        $this->assertSame($expected, array_column($this->sidecar->requests(count($expected)), 'event'));
    }

    /** @dataProvider transports */
    public function test_a_missing_sidecar_is_reported_with_what_to_do_when_acknowledged(string $kind): void
    {
        $transport = $this->transport($kind, 0.3, dirname($this->sidecar->path).'/absent.sock', acknowledged: true);

        $this->expectException(BroadcastException::class);
        $this->expectExceptionMessageMatches('~sidecast is not listening at .*/absent\.sock \(no such socket file\): start it with `sidecast start`~');

        $transport->publish(['orders'], 'Shipped', '{}', null);
    }

    public function test_without_the_extension_a_missing_sidecar_fails_the_broadcast_at_once(): void
    {
        $transport = $this->transport('socket', 1.0, dirname($this->sidecar->path).'/absent.sock');

        $this->expectException(BroadcastException::class);
        $this->expectExceptionMessage('(no such socket file)');

        $transport->publish(['orders'], 'Shipped', '{}', null);
    }

    public function test_with_the_extension_a_missing_sidecar_is_reported_to_the_log_once_a_minute(): void
    {
        if (! extension_loaded('sidecast')) {
            $this->markTestSkipped('the sidecast extension is not loaded in this run');
        }
        $reports = [];
        $socket = dirname($this->sidecar->path).'/absent.sock';
        $transport = TransportFactory::make(['socket' => $socket, 'transport' => 'extension'], function (string $message) use (&$reports) {
            $reports[] = $message;
        });

        // The buffered broadcast returns at once; the writer tries to connect in the background,
        // and a later broadcast learns why it could not.
        $transport->publish(['orders'], 'Shipped', '{"n":0}', null);
        for ($n = 1; $reports === [] && $n < 250; $n++) {
            usleep(20_000);
            $transport->publish(['orders'], 'Shipped', "{\"n\":{$n}}", null);
        }
        $this->assertCount(1, $reports, 'reported');
        $this->assertMatchesRegularExpression('~^Sidecast: events wait in this PHP process, undelivered: sidecast is not listening at .*/absent\.sock \(no such socket file\).* \(\d+ events, \d+ bytes waiting in this process\)\. .*php artisan sidecast:check~', $reports[0]);

        for ($more = 0; $more < 5; $more++) {
            $transport->publish(['orders'], 'Shipped', '{}', null);
        }
        $this->assertCount(1, $reports, 'not again within a minute');
        try {
            $transport->publish(['orders'], 'Shipped', '{}', null, acknowledged: true);
        } catch (BroadcastException) {
            // Acknowledged broadcasts throw instead of reporting.
        }
        $this->assertCount(1, $reports);
    }

    /** @dataProvider transports */
    public function test_a_socket_file_left_by_a_stopped_sidecar_is_reported_as_such(string $kind): void
    {
        $this->sidecar->crash();
        $transport = $this->transport($kind, 0.3, acknowledged: true);

        $this->expectException(BroadcastException::class);
        $this->expectExceptionMessage('left from a sidecar that stopped');

        $transport->publish(['orders'], 'Shipped', '{}', null);
    }

    /** @dataProvider transports */
    public function test_a_sidecar_that_does_not_answer_fails_an_acknowledged_broadcast_in_time(string $kind): void
    {
        $transport = $this->transport($kind, 0.2, acknowledged: true);

        $started = microtime(true);
        try {
            $transport->publish(['orders'], 'Shipped', '{}', null);
            $this->fail('expected a BroadcastException');
        } catch (BroadcastException $e) {
            $this->assertMatchesRegularExpression('~sidecast at .*sidecast\.sock did not answer within 0\.200 s; it may still deliver the event~', $e->getMessage());
        }
        // Bounded by the timeout, not by how long the sidecar stays silent.
        $this->assertLessThan(5.0, microtime(true) - $started);
    }

    public function test_without_the_extension_a_sidecar_that_stops_reading_makes_the_write_time_out(): void
    {
        // Nobody accepts or reads: the socket buffers fill up and the write must give up.
        $transport = $this->transport('socket', 0.2);

        $this->expectException(BroadcastException::class);
        $this->expectExceptionMessageMatches('~did not take the event within 0\.200 s~');

        $payload = json_encode(str_repeat('x', 1024 * 1024));
        for ($i = 0; $i < 64; $i++) {
            $transport->publish(['orders'], 'Big', $payload, null);
        }
    }

    /** @dataProvider transports */
    public function test_a_sidecar_that_stops_accepting_fails_the_broadcast_instead_of_hanging(string $kind): void
    {
        $this->sidecar->saturate();
        $transport = $this->transport($kind, 0.2, acknowledged: true);

        $this->expectException(BroadcastException::class);
        $this->expectExceptionMessageMatches('~sidecast at .* (did not accept a connection within 0\.200 s|is not accepting connections)~');

        $transport->publish(['orders'], 'Shipped', '{}', null);
    }

    /** @dataProvider transports */
    public function test_values_the_wire_cannot_carry_are_refused_before_anything_is_sent(string $kind): void
    {
        $transport = $this->transport($kind);
        $refused = [[[str_repeat('c', 201)], 'E'], [['c'], ''], [["bad\x00name"], 'E'], [["caf\xe9"], 'E'], [['c'], "E\xff"], [[], 'E']];
        foreach ($refused as [$channels, $event]) {
            try {
                $transport->publish($channels, $event, '{}', null);
                $this->fail('expected a BroadcastException');
            } catch (BroadcastException $e) {
                $this->assertStringContainsString('Sidecast', $e->getMessage());
            }
        }
        $this->assertSame('', $this->sidecar->received(1, 0.05));
    }

    /** @dataProvider transports */
    public function test_questions_that_cannot_be_asked_are_refused_before_anything_is_sent(string $kind): void
    {
        $transport = $this->transport($kind);
        foreach ([fn () => $transport->members('orders'), fn () => $transport->members('presence-'), fn () => $transport->channel(''), fn () => $transport->flush(-1)] as $i => $ask) {
            try {
                $ask();
                $this->fail("question {$i} was asked");
            } catch (InvalidArgumentException $e) {
                $this->assertStringStartsWith('Sidecast: ', $e->getMessage());
            }
        }
        $this->assertSame('', $this->sidecar->received(1, 0.05));
    }

    public function test_auto_uses_the_extension_exactly_when_it_is_loaded(): void
    {
        $transport = TransportFactory::make(['socket' => $this->sidecar->path]);

        $this->assertInstanceOf(extension_loaded('sidecast') ? ExtensionTransport::class : SocketTransport::class, $transport);
    }

    public function test_bad_connection_settings_are_refused_with_the_key_that_is_wrong(): void
    {
        foreach ([
            [['transport' => 'carrier-pigeon'], '"transport" must be "auto", "extension", "socket" or "http"'],
            [['timeout' => 0], '"timeout" must be a number of seconds greater than 0'],
            [['timeout' => 'soon'], '"timeout" must be a number of seconds greater than 0'],
            [['acknowledged' => 'sometimes'], '"acknowledged" must be true or false, \'sometimes\' given'],
        ] as [$config, $message]) {
            try {
                TransportFactory::make($config + ['socket' => $this->sidecar->path]);
                $this->fail("expected {$message}");
            } catch (InvalidArgumentException $e) {
                $this->assertStringContainsString($message, $e->getMessage());
            }
        }
        if (! extension_loaded('sidecast')) {
            // Made without complaint (routes/channels.php resolves the broadcaster at boot, so
            // a refusal would fail every request); every broadcast then fails with the reason.
            $transport = TransportFactory::make(['transport' => 'extension']);
            $this->expectException(BroadcastException::class);
            $this->expectExceptionMessage('the sidecast PHP extension is not loaded in this PHP: install it');
            $transport->publish(['orders'], 'Shipped', '{}', null);
        }
    }

    /** @dataProvider transports */
    public function test_a_socket_another_user_could_have_planted_gets_nothing(string $kind): void
    {
        $this->requireRoot();
        // The socket and its directory belong to another user, in a directory everybody may
        // write to (/tmp): anyone could have made them.
        chown(dirname($this->sidecar->path), self::NOBODY);
        chown($this->sidecar->path, self::NOBODY);
        $transport = $this->transport($kind, 0.3, acknowledged: true);

        try {
            $transport->publish(['private-orders'], 'Shipped', '{}', null);
            $this->fail('the event was sent to a socket of another user');
        } catch (BroadcastException $e) {
            $this->assertStringContainsString('belongs to user '.self::NOBODY.', and its directory could have been made by anyone', $e->getMessage());
            $this->assertStringContainsString('--socket /run/sidecast/sidecast.sock', $e->getMessage());
        }
        $this->assertSame('', $this->sidecar->received(1, 0.3), 'nothing reached the socket');
    }

    /** @dataProvider transports */
    public function test_a_socket_of_the_user_owning_its_private_directory_is_used(string $kind): void
    {
        $this->requireRoot();
        // /tmp/…/run/sidecast.sock, `run` the sidecar user's (0750) in a directory only root
        // may write to: as /run/sidecast/ is.
        $base = sys_get_temp_dir().'/sidecast-owner-'.bin2hex(random_bytes(6));
        mkdir($base, 0755);
        mkdir($base.'/run', 0750);
        $path = $base.'/run/sidecast.sock';
        $server = stream_socket_server('unix://'.$path, $errno, $errstr);
        $this->assertNotFalse($server, $errstr);
        chown($base.'/run', self::NOBODY);
        chown($path, self::NOBODY);
        try {
            $this->transport($kind, 1.0, $path)->publish(['orders'], 'Shipped', '{}', null);
            $client = stream_socket_accept($server, 2.0);
            $this->assertNotFalse($client, 'the transport connected');
            stream_set_timeout($client, 2);
            $this->assertNotSame('', fread($client, 6), 'a frame arrived');
        } finally {
            fclose($server);
            @unlink($path);
            @rmdir($base.'/run');
            @rmdir($base);
        }
    }

    /** The uid of `nobody` on Debian. */
    private const NOBODY = 65534;

    private function requireRoot(): void
    {
        if (! function_exists('posix_geteuid') || posix_geteuid() !== 0) {
            $this->markTestSkipped('giving a socket to another user needs root (the test command runs as root in CI)');
        }
    }
}
