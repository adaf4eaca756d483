<?php

namespace Sidecast\Laravel\Tests\Unit\Laravel;

use Illuminate\Config\Repository;
use Illuminate\Foundation\Application;
use PHPUnit\Framework\TestCase;
use Sidecast\Laravel\SidecastServiceProvider;

/**
 * The connection defaults the provider adds, in a real (Debian's) Laravel application.
 */
final class ServiceProviderTest extends TestCase
{
    private function app(array $connections = []): Application
    {
        $app = new Application('/srv/app');
        $app->instance('config', new Repository(['broadcasting' => ['connections' => $connections]]));
        $app->register(SidecastServiceProvider::class);

        return $app;
    }

    public function testTheSocketDefaultsToWhereASidecarStartedInTheAppListens(): void
    {
        $config = $this->app()->make('config');
        // `sidecast start` in /srv/app, which has an artisan file, binds this path by itself.
        $this->assertSame('/srv/app/storage/sidecast/sidecast.sock', $config->get('broadcasting.connections.sidecast.socket'));
        $this->assertSame('auto', $config->get('broadcasting.connections.sidecast.transport'));
    }

    public function testTheAppsOwnSettingsWin(): void
    {
        $config = $this->app(['sidecast' => ['socket' => '/run/sidecast/sidecast.sock']])->make('config');
        $this->assertSame('/run/sidecast/sidecast.sock', $config->get('broadcasting.connections.sidecast.socket'));
        $this->assertSame('sidecast', $config->get('broadcasting.connections.sidecast.driver'));
    }
}
