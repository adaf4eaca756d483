<?php

namespace Sidecast\Laravel\Tests\Unit;

use Illuminate\Broadcasting\BroadcastManager;
use Illuminate\Broadcasting\Broadcasters\NullBroadcaster;
use Illuminate\Broadcasting\PresenceChannel;
use Illuminate\Config\Repository;
use Illuminate\Container\Container;
use InvalidArgumentException;
use PHPUnit\Framework\TestCase;
use Sidecast\Laravel\Sidecast;
use Sidecast\Laravel\SidecastBroadcaster;
use Sidecast\Laravel\Tests\Support\RecordingTransport;

final class SidecastTest extends TestCase
{
    private Repository $config;

    private BroadcastManager $manager;

    /** @var array<string, RecordingTransport> by connection name */
    private array $transports = [];

    protected function setUp(): void
    {
        $app = new Container;
        $this->config = new Repository(['broadcasting' => [
            'default' => 'null',
            'connections' => [
                'null' => ['driver' => 'null'],
                'sidecast' => ['driver' => 'sidecast', 'name' => 'sidecast'],
                'realtime' => ['driver' => 'sidecast', 'name' => 'realtime'],
            ],
        ]]);
        $app->instance('config', $this->config);
        $this->manager = new BroadcastManager($app);
        $this->manager->extend('sidecast', function ($app, array $config) {
            return new SidecastBroadcaster($this->transports[$config['name']] = new RecordingTransport([
                'members' => [['user_id' => 7, 'user_info' => ['name' => 'Ada']]],
                'channel' => ['subscription_count' => 2, 'occupied' => true],
                'channels' => [],
                'stats' => ['client' => [], 'server' => []],
                'flush' => true,
            ]));
        });
        $this->manager->extend('null', fn () => new NullBroadcaster);
    }

    public function test_channels_are_named_as_echo_subscribes_to_them(): void
    {
        $sidecast = new Sidecast($this->manager, $this->config);

        $this->assertSame([['user_id' => 7, 'user_info' => ['name' => 'Ada']]], $sidecast->members(new PresenceChannel('room.7')));
        $this->assertTrue($sidecast->occupied('orders'));
        $sidecast->channels('presence-');

        $this->assertSame([['members', 'presence-room.7'], ['channel', 'orders'], ['channels', 'presence-']], $this->transports['sidecast']->asked);
    }

    public function test_the_default_connection_is_used_when_it_is_a_sidecast_one(): void
    {
        $this->config->set('broadcasting.default', 'realtime');

        (new Sidecast($this->manager, $this->config))->stats();

        $this->assertSame([['stats', null]], $this->transports['realtime']->asked);
        $this->assertArrayNotHasKey('sidecast', $this->transports);
    }

    public function test_a_connection_of_another_driver_is_refused_by_name(): void
    {
        $this->expectException(InvalidArgumentException::class);
        $this->expectExceptionMessage('the broadcast connection "null" does not use the sidecast driver');

        (new Sidecast($this->manager, $this->config))->connection('null');
    }
}
