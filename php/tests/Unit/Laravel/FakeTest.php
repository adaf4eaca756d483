<?php

namespace Sidecast\Laravel\Tests\Unit\Laravel;

use Illuminate\Broadcasting\BroadcastManager;
use Illuminate\Broadcasting\Channel;
use Illuminate\Broadcasting\PresenceChannel;
use Illuminate\Broadcasting\PrivateChannel;
use Illuminate\Config\Repository;
use Illuminate\Foundation\Application;
use Illuminate\Support\Facades\Facade;
use PHPUnit\Framework\ExpectationFailedException;
use PHPUnit\Framework\TestCase;
use Sidecast\Laravel\Facades\Sidecast;
use Sidecast\Laravel\SidecastServiceProvider;

/** Sidecast::fake() in a real (Debian's) Laravel application, with no sidecar anywhere. */
final class FakeTest extends TestCase
{
    private Application $app;

    protected function setUp(): void
    {
        $this->app = new Application(sys_get_temp_dir());
        $this->app->instance('config', new Repository(['broadcasting' => ['default' => 'sidecast', 'connections' => [
            'sidecast' => ['socket' => '/nonexistent/sidecast.sock', 'transport' => 'socket'],
        ]]]));
        $this->app->register(\Illuminate\Broadcasting\BroadcastServiceProvider::class);
        $this->app->register(SidecastServiceProvider::class);
        $this->app->boot();
        Facade::setFacadeApplication($this->app);
        Facade::clearResolvedInstances();
    }

    protected function tearDown(): void
    {
        Facade::clearResolvedInstances();
        Facade::setFacadeApplication(null);
    }

    private function broadcast(array $channels, string $event, array $payload): void
    {
        $this->app->make(BroadcastManager::class)->connection()->broadcast($channels, $event, $payload);
    }

    public function testBroadcastsAreKeptAndAssertedInsteadOfSent(): void
    {
        // Resolved before fake(): must not keep its real transport (which would throw here).
        $this->app->make(BroadcastManager::class)->connection();
        $fake = Sidecast::fake();

        $this->broadcast([new PrivateChannel('orders.7'), new Channel('dashboard')], 'OrderShipped', ['id' => 7]);
        $this->broadcast([new Channel('dashboard')], 'OrderShipped', ['id' => 8]);

        Sidecast::assertBroadcast('OrderShipped');
        Sidecast::assertBroadcast('OrderShipped', fn (array $payload) => $payload['id'] === 8);
        Sidecast::assertBroadcastOn('private-orders.7', 'OrderShipped', fn (array $payload, array $channels) => $payload['id'] === 7 && $channels === ['private-orders.7', 'dashboard']);
        Sidecast::assertBroadcastOn(new PrivateChannel('orders.7'), 'OrderShipped');
        Sidecast::assertBroadcastTimes('OrderShipped', 2);
        Sidecast::assertNotBroadcast('OrderCancelled');
        Sidecast::assertNotBroadcast('OrderShipped', fn (array $payload) => $payload['id'] === 9);
        $this->assertCount(2, $fake->broadcasts('OrderShipped'));
        $this->assertSame(['dashboard'], $fake->broadcasts()[1]['channels']);
    }

    public function testEachAssertionFailsWithWhatWasBroadcast(): void
    {
        Sidecast::fake();
        Sidecast::assertNothingBroadcast();
        $this->broadcast([new Channel('dashboard')], 'OrderShipped', ['id' => 1]);

        foreach ([
            fn () => Sidecast::assertBroadcast('OrderCancelled'),
            fn () => Sidecast::assertBroadcast('OrderShipped', fn (array $payload) => $payload['id'] === 2),
            fn () => Sidecast::assertBroadcastOn('orders', 'OrderShipped'),
            fn () => Sidecast::assertBroadcastTimes('OrderShipped', 2),
            fn () => Sidecast::assertNotBroadcast('OrderShipped'),
            fn () => Sidecast::assertNothingBroadcast(),
        ] as $n => $assertion) {
            try {
                $assertion();
                $this->fail("assertion {$n} should have failed");
            } catch (ExpectationFailedException $e) {
                if (in_array($n, [0, 1, 2, 5], true)) {
                    $this->assertStringContainsString('Broadcast: OrderShipped on dashboard.', $e->getMessage());
                }
            }
        }
    }

    public function testQuestionsAreAnsweredFromWhatTheTestSays(): void
    {
        $fake = Sidecast::fake()
            ->withSubscribers('orders', 3)
            ->withMembers(new PresenceChannel('room.1'), [['user_id' => 1, 'user_info' => ['name' => 'Ada']], ['user_id' => 2]]);

        $this->assertTrue(Sidecast::occupied('orders'));
        $this->assertFalse(Sidecast::occupied('empty'));
        $this->assertSame(['subscription_count' => 3], Sidecast::channels()['orders']);
        $this->assertSame(['presence-room.1' => ['subscription_count' => 2, 'user_count' => 2]], Sidecast::channels('presence-'));
        $this->assertSame([['user_id' => 1, 'user_info' => ['name' => 'Ada']], ['user_id' => 2, 'user_info' => null]], Sidecast::members(new PresenceChannel('room.1')));
        $this->assertSame(['connections' => 5, 'channels' => 2, 'publications' => 0, 'deliveries' => 0, 'dropped' => 0], Sidecast::stats()['server']);
        $this->expectException(\InvalidArgumentException::class);
        $fake->withMembers('orders', []);
    }
}
