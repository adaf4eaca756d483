<?php

namespace Sidecast\Laravel;

use Illuminate\Broadcasting\BroadcastManager;
use Illuminate\Contracts\Foundation\CachesConfiguration;
use Illuminate\Support\ServiceProvider;
use Sidecast\Laravel\Transports\TransportFactory;

/**
 * Registers the `sidecast` broadcast driver, the `Sidecast` facade's service, the package's
 * config file and its artisan commands. Discovered automatically through the package's
 * composer.json; BROADCAST_DRIVER=sidecast (BROADCAST_CONNECTION on Laravel 11+) then selects
 * it.
 */
class SidecastServiceProvider extends ServiceProvider
{
    /** The package's config file, published as config/sidecast.php. */
    public const CONFIG = __DIR__.'/../config/sidecast.php';

    public function register(): void
    {
        $this->mergeConfigFrom(self::CONFIG, 'sidecast');
        $this->mergeConnectionDefaults();
        $this->app->singleton(Sidecast::class);
    }

    public function boot(): void
    {
        $this->app->make(BroadcastManager::class)->extend('sidecast', function ($app, array $config) {
            $report = static fn (string $message) => $app->make('log')->warning($message);

            return new SidecastBroadcaster(TransportFactory::make($config, $report), PusherSigner::fromConfig($config));
        });

        $this->registerPulseCard();
        $this->registerWebhookRoute();

        if ($this->app->runningInConsole()) {
            $this->publishes([self::CONFIG => $this->app->configPath('sidecast.php')], 'sidecast-config');
            $this->commands([
                Console\InstallCommand::class,
                Console\ServeCommand::class,
                Console\CheckCommand::class,
                Console\ListenCommand::class,
            ]);
        }
    }

    /**
     * The sidecar's webhooks at config('sidecast.webhooks.route'), when set (docs/lifecycle-events.md).
     */
    private function registerWebhookRoute(): void
    {
        $route = $this->app->make('config')->get('sidecast.webhooks.route');
        if (! is_string($route) || $route === '' || $this->app->routesAreCached()) {
            return;
        }
        $this->app->make('router')->post($route, Http\WebhookController::class)->name('sidecast.webhooks');
    }

    /**
     * With Laravel Pulse installed, its dashboard may show the `sidecast.pulse` card (figures
     * recorded by Pulse\SidecastRecorder). Without Pulse nothing of it is loaded.
     */
    private function registerPulseCard(): void
    {
        if (! class_exists(\Laravel\Pulse\Pulse::class) || ! class_exists(\Livewire\LivewireManager::class)) {
            return;
        }
        $this->loadViewsFrom(__DIR__.'/../resources/views', 'sidecast');
        $this->callAfterResolving('livewire', function ($livewire) {
            $livewire->component('sidecast.pulse', Pulse\SidecastCard::class);
        });
    }

    /**
     * Puts the connection's keys of config('sidecast') (the package's defaults, or the
     * published file) under broadcasting.connections.sidecast, beneath whatever the app
     * configured there itself. A cached configuration already contains the result.
     */
    private function mergeConnectionDefaults(): void
    {
        if ($this->app instanceof CachesConfiguration && $this->app->configurationIsCached()) {
            return;
        }

        $config = $this->app->make('config');
        $connection = $config->get('sidecast', []);
        unset($connection['serve'], $connection['webhooks']);
        $config->set('broadcasting.connections.sidecast', array_merge(
            $connection,
            ['driver' => 'sidecast'],
            $config->get('broadcasting.connections.sidecast', []),
        ));
    }
}
