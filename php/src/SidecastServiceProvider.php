<?php

namespace Sidecast\Laravel;

use Illuminate\Broadcasting\BroadcastManager;
use Illuminate\Contracts\Foundation\CachesConfiguration;
use Illuminate\Support\ServiceProvider;
use Sidecast\Laravel\Transports\TransportFactory;

/**
 * Registers the `sidecast` broadcast driver and the `Sidecast` facade's service. Discovered
 * automatically through the package's composer.json; BROADCAST_DRIVER=sidecast
 * (BROADCAST_CONNECTION on Laravel 11) then selects it.
 */
class SidecastServiceProvider extends ServiceProvider
{
    public function register(): void
    {
        $this->mergeConnectionDefaults();
        $this->app->singleton(Sidecast::class);
    }

    public function boot(): void
    {
        $this->app->make(BroadcastManager::class)->extend('sidecast', function ($app, array $config) {
            return new SidecastBroadcaster(TransportFactory::make($config), PusherSigner::fromConfig($config));
        });
    }

    /**
     * Adds broadcasting.connections.sidecast with its documented defaults, under whatever the
     * app configured itself. A cached configuration already contains the result.
     */
    private function mergeConnectionDefaults(): void
    {
        if ($this->app instanceof CachesConfiguration && $this->app->configurationIsCached()) {
            return;
        }

        $config = $this->app->make('config');
        $config->set('broadcasting.connections.sidecast', array_merge(
            require __DIR__.'/../config/connection.php',
            $config->get('broadcasting.connections.sidecast', []),
        ));
    }
}
