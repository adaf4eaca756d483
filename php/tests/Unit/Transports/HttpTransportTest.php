<?php

namespace Sidecast\Laravel\Tests\Unit\Transports;

use Illuminate\Broadcasting\BroadcastException;
use InvalidArgumentException;
use PHPUnit\Framework\TestCase;
use Sidecast\Laravel\Tests\Support\RealSidecar;
use Sidecast\Laravel\Transports\HttpTransport;
use Sidecast\Laravel\Transports\SocketTransport;
use Sidecast\Laravel\Transports\TransportFactory;

/** The "http" transport against the real sidecar's Pusher HTTP API. */
final class HttpTransportTest extends TestCase
{
    private const APP = ['--app-id', 'http-app', '--app-key', 'http-key', '--app-secret', 'http-secret'];

    private RealSidecar $sidecar;

    protected function setUp(): void
    {
        $this->sidecar = RealSidecar::inTemporaryDirectory();
    }

    protected function tearDown(): void
    {
        $this->sidecar->stop();
    }

    private function http(?string $url = null, string $secret = 'http-secret'): HttpTransport
    {
        $transport = TransportFactory::make(['transport' => 'http', 'url' => $url ?? $this->sidecar->url(), 'app_id' => 'http-app', 'key' => 'http-key', 'secret' => $secret, 'timeout' => 2]);
        $this->assertInstanceOf(HttpTransport::class, $transport);

        return $transport;
    }

    /** Events the sidecar has taken in, asked over its Unix socket. */
    private function publications(): int
    {
        return (new SocketTransport($this->sidecar->path, 2.0))->stats()['server']['publications'];
    }

    public function test_events_reach_the_sidecar_signed_and_in_requests_of_at_most_100_channels(): void
    {
        $this->sidecar->start(self::APP);
        $http = $this->http();
        $http->publish(['orders', 'private-orders.1'], 'OrderShipped', '{"id":1}', '1234.5678');
        $this->assertSame(1, $this->publications());

        $channels = array_map(fn ($n) => "fan.{$n}", range(1, 150));
        $http->publish($channels, 'Fanned', '{"n":150}', null);
        $this->assertSame(3, $this->publications(), '150 channels: two requests');
        $this->assertTrue($http->flush());
    }

    public function test_questions_are_answered_from_the_api(): void
    {
        $this->sidecar->start(self::APP);
        $http = $this->http();
        $this->assertEquals(['occupied' => false, 'subscription_count' => 0], $http->channel('orders'));
        $this->assertEquals(['occupied' => false, 'subscription_count' => 0, 'user_count' => 0], $http->channel('presence-room.1'));
        $this->assertSame([], $http->channels('presence-'));
        $this->assertSame([], $http->members('presence-room.1'));
        $this->expectException(BroadcastException::class);
        $this->expectExceptionMessage('run `sidecast status` on its host');
        $http->stats();
    }

    public function test_a_sidecar_under_a_path_prefix_is_reached_with_signatures_made_without_it(): void
    {
        $this->sidecar->start([...self::APP, '--path', '/realtime']);
        $this->http($this->sidecar->url().'/realtime')->publish(['orders'], 'OrderShipped', '{}', null);
        $this->assertSame(1, $this->publications());
    }

    public function test_a_wrong_secret_is_refused_with_the_sidecars_reason(): void
    {
        $this->sidecar->start(self::APP);
        $this->expectException(BroadcastException::class);
        $this->expectExceptionMessageMatches('~^Sidecast: the sidecar at http://127\.0\.0\.1:\d+ refused the event OrderShipped: HTTP 401 .*Invalid signature~');
        $this->http(secret: 'wrong')->publish(['orders'], 'OrderShipped', '{}', null);
    }

    public function test_a_sidecar_that_is_not_there_is_reported_with_its_address(): void
    {
        $free = stream_socket_server('tcp://127.0.0.1:0');
        $address = stream_socket_get_name($free, false);
        fclose($free);
        $this->expectException(BroadcastException::class);
        $this->expectExceptionMessage("Sidecast: cannot reach the sidecar at http://{$address} for the event OrderShipped");
        $this->http("http://{$address}")->publish(['orders'], 'OrderShipped', '{}', null);
    }

    public function test_incomplete_settings_are_refused_with_what_is_missing(): void
    {
        foreach ([
            [['url' => 'ftp://127.0.0.1'], 'must be the sidecar\'s http:// or https:// address'],
            [['url' => 'http://127.0.0.1?x=1'], 'must be the sidecar\'s http:// or https:// address'],
            [['url' => null], 'must be the sidecar\'s http:// or https:// address'],
            [['secret' => ''], 'set "app_id", "key" and "secret"'],
        ] as [$override, $message]) {
            try {
                TransportFactory::make($override + ['transport' => 'http', 'url' => 'http://127.0.0.1:6001', 'app_id' => 'a', 'key' => 'k', 'secret' => 's']);
                $this->fail("expected: {$message}");
            } catch (InvalidArgumentException $e) {
                $this->assertStringContainsString($message, $e->getMessage());
            }
        }
    }
}
