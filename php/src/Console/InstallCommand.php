<?php

namespace Sidecast\Laravel\Console;

use Illuminate\Console\Command;
use Illuminate\Contracts\Config\Repository;

/**
 * `php artisan sidecast:install`: what a developer would otherwise do by hand, each step said
 * as it is done and never undoing the app's own choices — publish config/sidecast.php, select
 * the driver in .env, turn on the app's broadcasting routes (Laravel 11+'s bootstrap/app.php,
 * or BroadcastServiceProvider before 11) without Reverb, write the Echo set-up for Vite, and
 * say whether the extension and the sidecar binary are there.
 */
class InstallCommand extends Command
{
    protected $signature = 'sidecast:install
        {--force : Overwrite config/sidecast.php and resources/js/echo.js, and replace another BROADCAST_* driver in .env}';

    protected $description = 'Set this app up to broadcast through sidecast';

    public function handle(Repository $config): int
    {
        $this->call('vendor:publish', ['--tag' => 'sidecast-config', '--force' => (bool) $this->option('force')]);
        $this->selectDriver();
        $this->enableBroadcasting();
        $frontend = new EchoSetup($this->laravel->basePath(), (bool) $this->option('force'));
        foreach ($frontend->install() as $line) {
            $this->line($line);
        }
        $this->reportExtensionAndBinary((string) $config->get('sidecast.serve.binary', 'sidecast'));
        $this->line('');
        $this->info('Next: `php artisan sidecast:serve` starts the sidecar; `php artisan sidecast:check` says whether events and authorizations get through.');

        return self::SUCCESS;
    }

    /** BROADCAST_CONNECTION (Laravel 11+) or BROADCAST_DRIVER=sidecast in .env and .env.example. */
    private function selectDriver(): void
    {
        $key = BroadcastingRoutes::driverVariable($this->laravel->version());
        foreach (['.env', '.env.example'] as $name) {
            $env = EnvFile::at($this->laravel->basePath($name));
            if ($env === null) {
                continue;
            }
            $current = $env->get($key);
            $replace = $current === null || in_array($current, ['', 'log', 'null'], true) || $this->option('force');
            if ($env->set($key, 'sidecast', $replace)) {
                $env->save();
                $this->line("Set {$key}=sidecast in {$name}.");
            } elseif ($current !== 'sidecast') {
                $this->warn("{$name} has {$key}={$current}; left as is (--force replaces it).");
            }
        }
    }

    /** The /broadcasting/auth route and routes/channels.php, as `install:broadcasting` turns them on. */
    private function enableBroadcasting(): void
    {
        $channels = $this->laravel->basePath('routes/channels.php');
        if (! is_file($channels)) {
            @mkdir(dirname($channels), 0755, true);
            file_put_contents($channels, BroadcastingRoutes::CHANNELS_FILE);
            $this->line('Wrote routes/channels.php.');
        }

        $bootstrap = $this->laravel->basePath('bootstrap/app.php');
        $text = is_file($bootstrap) ? (string) file_get_contents($bootstrap) : '';
        if (BroadcastingRoutes::isBuilder($text)) {
            $edited = BroadcastingRoutes::inBuilder($text);
            if ($edited !== null) {
                file_put_contents($bootstrap, $edited);
                $this->line('Turned on broadcasting in bootstrap/app.php (withRouting channels:).');
            } elseif (! BroadcastingRoutes::builderHasChannels($text)) {
                $this->warn("Add channels: __DIR__.'/../routes/channels.php' to withRouting() in bootstrap/app.php: its layout was not recognised.");
            }

            return;
        }

        $app = $this->laravel->configPath('app.php');
        $text = is_file($app) ? (string) file_get_contents($app) : '';
        $edited = BroadcastingRoutes::inProviders($text);
        if ($edited !== null) {
            file_put_contents($app, $edited);
            $this->line('Turned on App\Providers\BroadcastServiceProvider in config/app.php.');
        } elseif (! str_contains($text, 'BroadcastServiceProvider::class')) {
            $this->warn('Register a provider that calls Broadcast::routes() and requires routes/channels.php (Laravel\'s App\Providers\BroadcastServiceProvider).');
        }
    }

    private function reportExtensionAndBinary(string $binary): void
    {
        $version = phpversion('sidecast');
        $this->line($version !== false
            ? "The sidecast extension {$version} is loaded."
            : 'The sidecast extension is not loaded: events are written in plain PHP. For the native transport, run scripts/install-extension.sh from a sidecast checkout.');
        $path = SidecarBinary::find($binary);
        $running = $path === null ? null : SidecarBinary::version($path);
        if ($path === null) {
            $this->warn(SidecarBinary::missing($binary));
        } else {
            $this->line("The sidecar is {$path}".($running === null ? ', but it does not run.' : " ({$running})."));
        }
    }
}
