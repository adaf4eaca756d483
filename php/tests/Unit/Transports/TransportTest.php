<?php

namespace Sidecast\Laravel\Tests\Unit\Transports;

use Illuminate\Broadcasting\BroadcastException;
use PHPUnit\Framework\TestCase;
use Sidecast\Laravel\Contracts\Transport;
use Sidecast\Laravel\Tests\Support\FakeSidecar;
use Sidecast\Laravel\Transports\ExtensionTransport;
use Sidecast\Laravel\Transports\SocketTransport;
use Sidecast\Laravel\Transports\TransportFactory;
use Sidecast\Laravel\Wire\Frame;

/**
 * Both transports against a listening Unix socket. The extension transport runs when the suite
 * is started with the extension loaded (the test command runs the suite both ways).
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

    private function transport(string $kind, float $timeout = 1.0, ?string $socket = null): Transport
    {
        return TransportFactory::make(['socket' => $socket ?? $this->sidecar->path, 'transport' => $kind, 'timeout' => $timeout]);
    }

    /** @dataProvider transports */
    public function test_it_writes_exactly_the_documented_frames(string $kind): void
    {
        $transport = $this->transport($kind);
        $transport->publish(['orders', 'private-orders.1'], 'Shipped', '{"id":1}', 'sock1');
        $transport->publish(['orders'], 'Shipped', '{"id":2}', null);

        $expected = Frame::publish(['orders', 'private-orders.1'], 'Shipped', '{"id":1}', 'sock1')
            .Frame::publish(['orders'], 'Shipped', '{"id":2}');
        $this->assertSame(bin2hex($expected), bin2hex($this->sidecar->received(strlen($expected))));
    }

    /** @dataProvider transports */
    public function test_it_sends_again_on_a_fresh_connection_after_the_sidecar_restarted(string $kind): void
    {
        $transport = $this->transport($kind);
        $first = Frame::publish(['orders'], 'First', '{}');
        $transport->publish(['orders'], 'First', '{}', null);
        $this->assertSame($first, $this->sidecar->received(strlen($first)));

        $this->sidecar->crash();
        @unlink($this->sidecar->path);
        $this->sidecar->listen();

        $transport->publish(['orders'], 'Second', '{}', null);
        $second = Frame::publish(['orders'], 'Second', '{}');
        $this->assertSame($second, $this->sidecar->received(strlen($second)));
    }

    /** @dataProvider transports */
    public function test_a_missing_sidecar_is_reported_with_what_to_do(string $kind): void
    {
        $transport = $this->transport($kind, 1.0, dirname($this->sidecar->path).'/absent.sock');

        $this->expectException(BroadcastException::class);
        $this->expectExceptionMessageMatches('~sidecast is not listening at .*/absent\.sock \(no such socket file\): start it with `sidecast start`~');

        $transport->publish(['orders'], 'Shipped', '{}', null);
    }

    /** @dataProvider transports */
    public function test_a_socket_file_left_by_a_stopped_sidecar_is_reported_as_such(string $kind): void
    {
        $this->sidecar->crash();
        $transport = $this->transport($kind);

        $this->expectException(BroadcastException::class);
        $this->expectExceptionMessage('left from a sidecar that stopped');

        $transport->publish(['orders'], 'Shipped', '{}', null);
    }

    /** @dataProvider transports */
    public function test_a_sidecar_that_stops_reading_makes_the_write_time_out(string $kind): void
    {
        // Nobody accepts or reads: the socket buffers fill up and the write must give up.
        $transport = $this->transport($kind, 0.2);

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
        $transport = $this->transport($kind, 0.2);

        $this->expectException(BroadcastException::class);
        $this->expectExceptionMessageMatches('~sidecast at .* (did not accept a connection within 0\.200 s|is not accepting connections)~');

        $transport->publish(['orders'], 'Shipped', '{}', null);
    }

    /** @dataProvider transports */
    public function test_values_the_wire_cannot_carry_are_refused_before_anything_is_sent(string $kind): void
    {
        $transport = $this->transport($kind);
        $refused = [[[str_repeat('c', 201)], 'E'], [['c'], ''], [["bad\x00name"], 'E'], [["caf\xe9"], 'E'], [['c'], "E\xff"]];
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

    public function test_auto_uses_the_extension_exactly_when_it_is_loaded(): void
    {
        $transport = TransportFactory::make(['socket' => $this->sidecar->path]);

        $this->assertInstanceOf(extension_loaded('sidecast') ? ExtensionTransport::class : SocketTransport::class, $transport);
    }

    public function test_bad_connection_settings_are_refused_with_the_key_that_is_wrong(): void
    {
        foreach ([
            [['transport' => 'carrier-pigeon'], '"transport" must be "auto", "extension" or "socket"'],
            [['timeout' => 0], '"timeout" must be a number of seconds greater than 0'],
            [['timeout' => 'soon'], '"timeout" must be a number of seconds greater than 0'],
        ] as [$config, $message]) {
            try {
                TransportFactory::make($config + ['socket' => $this->sidecar->path]);
                $this->fail("expected {$message}");
            } catch (\InvalidArgumentException $e) {
                $this->assertStringContainsString($message, $e->getMessage());
            }
        }
        if (! extension_loaded('sidecast')) {
            $this->expectExceptionMessage('the sidecast PHP extension is not loaded');
            TransportFactory::make(['transport' => 'extension']);
        }
    }
}
