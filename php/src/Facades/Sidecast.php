<?php

namespace Sidecast\Laravel\Facades;

use Illuminate\Broadcasting\BroadcastManager;
use Illuminate\Support\Facades\Facade;
use Sidecast\Laravel\PusherSigner;
use Sidecast\Laravel\SidecastBroadcaster;
use Sidecast\Laravel\Testing\FakeTransport;
use Sidecast\Laravel\Testing\SidecastFake;

/**
 * @method static \Sidecast\Laravel\Contracts\Transport connection(?string $name = null)
 * @method static array channels(?string $prefix = null)
 * @method static array channel(\Illuminate\Broadcasting\Channel|string $channel)
 * @method static bool occupied(\Illuminate\Broadcasting\Channel|string $channel)
 * @method static array members(\Illuminate\Broadcasting\Channel|string $channel)
 * @method static array stats()
 * @method static bool flush(float $timeout = 1.0)
 * @method static void assertBroadcast(string $event, ?callable $callback = null)
 * @method static void assertBroadcastOn(\Illuminate\Broadcasting\Channel|string $channel, string $event, ?callable $callback = null)
 * @method static void assertBroadcastTimes(string $event, int $times = 1)
 * @method static void assertNotBroadcast(string $event, ?callable $callback = null)
 * @method static void assertNothingBroadcast()
 * @method static array broadcasts(?string $event = null, ?callable $callback = null)
 *
 * @see \Sidecast\Laravel\Sidecast
 * @see \Sidecast\Laravel\Testing\SidecastFake
 */
class Sidecast extends Facade
{
    /**
     * Keeps what the app broadcasts on sidecast connections instead of sending it, for the
     * assertions of SidecastFake; no sidecar is needed. Every sidecast connection resolved from
     * now on uses the fake.
     */
    public static function fake(): SidecastFake
    {
        $app = static::getFacadeApplication();
        $manager = $app->make(BroadcastManager::class);
        $fake = new SidecastFake(new FakeTransport, $manager, $app->make('config'));
        $manager->extend('sidecast', fn ($app, array $config) => new SidecastBroadcaster($fake->transport(), PusherSigner::fromConfig($config)));
        // Connections made before now would keep their real transport.
        $manager->forgetDrivers();
        static::swap($fake);

        return $fake;
    }

    protected static function getFacadeAccessor(): string
    {
        return \Sidecast\Laravel\Sidecast::class;
    }
}
