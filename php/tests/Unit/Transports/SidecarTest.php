<?php

namespace Sidecast\Laravel\Tests\Unit\Transports;

use Illuminate\Broadcasting\BroadcastException;
use PHPUnit\Framework\TestCase;
use Sidecast\Laravel\Contracts\Transport;
use Sidecast\Laravel\Tests\Support\RealSidecar;
use Sidecast\Laravel\Transports\TransportFactory;

/**
 * Both transports against the real sidecar: acknowledgements, refusals and questions. Figures
 * with subscribed browsers are checked end to end (tests/e2e/php-queries.test.mjs).
 */
final class SidecarTest extends TestCase
{
    private RealSidecar $sidecar;

    protected function setUp(): void
    {
        $this->sidecar = RealSidecar::inTemporaryDirectory()->start();
    }

    protected function tearDown(): void
    {
        $this->sidecar->stop();
    }

    public static function transports(): array
    {
        $transports = ['plain PHP' => ['socket']];
        if (extension_loaded('sidecast')) {
            $transports['extension'] = ['extension'];
        }

        return $transports;
    }

    private function transport(string $kind, bool $acknowledged = false): Transport
    {
        return TransportFactory::make(['socket' => $this->sidecar->path, 'transport' => $kind, 'timeout' => 5.0, 'acknowledged' => $acknowledged]);
    }

    /** @dataProvider transports */
    public function test_acknowledged_broadcasts_return_once_the_sidecar_took_them(string $kind): void
    {
        $transport = $this->transport($kind, acknowledged: true);
        $before = $transport->stats()['server']['publications'];

        for ($i = 0; $i < 100; $i++) {
            $transport->publish(['orders'], 'Shipped', json_encode(['i' => $i]), null);
        }
        // Per call, too, on a transport that does not wait by default.
        $this->transport($kind)->publish(['orders'], 'Shipped', '{}', null, true);

        $server = $transport->stats()['server'];
        $this->assertSame($before + 101, $server['publications']);
        // The sidecar's own census, as /metrics and `sidecast status` show it.
        $this->assertSame($server['publications'], $server['sidecar']['events_in']['unix_socket']);
        $this->assertGreaterThanOrEqual(1, $server['sidecar']['unix_socket']['publishers_open']);
    }

    /** @dataProvider transports */
    public function test_flush_waits_until_the_sidecar_took_every_event(string $kind): void
    {
        $transport = $this->transport($kind);
        for ($i = 0; $i < 1000; $i++) {
            $transport->publish(['orders'], 'Shipped', '{"n":1}', null);
        }

        $this->assertTrue($transport->flush(5.0));
        $stats = $transport->stats();
        $this->assertSame(1000, $stats['server']['publications']);
        $this->assertSame(0, $stats['client']['buffered']);
        $this->assertTrue($stats['client']['connected']);
    }

    public function test_without_the_extension_an_event_the_sidecar_refuses_throws_its_reason(): void
    {
        // The extension checks the payload itself (a \ValueError); plain PHP leaves it to the sidecar.
        $transport = $this->transport('socket', acknowledged: true);

        $this->expectException(BroadcastException::class);
        $this->expectExceptionMessageMatches('~^Sidecast: sidecast at .*sidecast\.sock refused the event: .*JSON~');

        $transport->publish(['orders'], 'Shipped', '{not json', null);
    }

    /** @dataProvider transports */
    public function test_questions_about_an_idle_sidecar(string $kind): void
    {
        $transport = $this->transport($kind);

        $this->assertSame([], $transport->channels());
        $this->assertSame([], $transport->channels('presence-'));
        $this->assertSame(['subscription_count' => 0, 'occupied' => false], $transport->channel('orders'));
        $this->assertSame(['subscription_count' => 0, 'occupied' => false, 'user_count' => 0], $transport->channel('presence-room.1'));
        $this->assertSame([], $transport->members('presence-room.1'));

        $stats = $transport->stats();
        $this->assertSame(['connections', 'channels', 'publications', 'deliveries', 'dropped', 'nodes', 'sidecar'], array_keys($stats['server']));
        $this->assertSame(0, $stats['server']['connections']);
        $census = $stats['server']['sidecar'];
        $this->assertSame(['version', 'uptime_seconds', 'occupancy', 'events_in', 'delivery', 'fan_out', 'socketio', 'pusher', 'auth', 'unix_socket', 'redis', 'cluster', 'webhooks', 'listener', 'process', 'rates', 'readiness'], array_keys($census));
        $this->assertSame(0, $census['occupancy']['connections']);
        $this->assertNull($census['redis'], 'no Redis configured');
        $this->assertSame(['ready' => true, 'failing' => [], 'checks' => ['accepting' => true, 'unix_socket' => true]], $census['readiness']);
        $this->assertGreaterThan(0, $census['process']['resident_memory_bytes']);
        foreach (['sent', 'acknowledged', 'refused', 'dropped', 'reconnects', 'buffered', 'buffered_bytes', 'connected'] as $counter) {
            $this->assertArrayHasKey($counter, $stats['client']);
        }
    }

    /** @dataProvider transports */
    public function test_a_question_the_sidecar_cannot_answer_throws_its_reason(string $kind): void
    {
        $transport = $this->transport($kind);

        $this->expectException(BroadcastException::class);
        $this->expectExceptionMessageMatches('~sidecast at .*sidecast\.sock cannot answer: .*control~');

        $transport->channel("orders\n");
    }

    /** @dataProvider transports */
    public function test_the_connection_survives_a_sidecar_restart(string $kind): void
    {
        $transport = $this->transport($kind, acknowledged: true);
        $transport->publish(['orders'], 'Before', '{}', null);

        $this->sidecar->stop();
        $this->sidecar->start();

        $transport->publish(['orders'], 'After', '{}', null);
        $this->assertSame(1, $transport->stats()['server']['publications']);
    }
}
