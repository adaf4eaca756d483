<?php

namespace Sidecast\Laravel\Console;

/**
 * Turning on an app's /broadcasting/auth route and routes/channels.php, as Laravel's own
 * `install:broadcasting` does, without its Reverb parts: edits of the app's own files, each
 * returning the new text, or null when there is nothing to do or the layout is not recognised.
 */
final class BroadcastingRoutes
{
    public const CHANNELS_FILE = <<<'PHP'
        <?php

        use Illuminate\Support\Facades\Broadcast;

        Broadcast::channel('App.Models.User.{id}', function ($user, $id) {
            return (int) $user->id === (int) $id;
        });

        PHP;

    /** The .env variable that selects the broadcast connection: renamed in Laravel 11. */
    public static function driverVariable(string $laravelVersion): string
    {
        return version_compare($laravelVersion, '11', '>=') ? 'BROADCAST_CONNECTION' : 'BROADCAST_DRIVER';
    }

    /** Whether bootstrap/app.php is Laravel 11+'s application builder. */
    public static function isBuilder(string $bootstrap): bool
    {
        return str_contains($bootstrap, '->withRouting(');
    }

    /** Whether the builder already turns broadcasting on. */
    public static function builderHasChannels(string $bootstrap): bool
    {
        return (bool) preg_match('/^\s*channels:/m', $bootstrap) || str_contains($bootstrap, '->withBroadcasting(');
    }

    /**
     * Laravel 11+: bootstrap/app.php with `channels:` given to withRouting(), which registers
     * Broadcast::routes() and loads routes/channels.php. A commented-out `// channels:` line is
     * un-commented; otherwise the argument goes after `commands:`, or first.
     */
    public static function inBuilder(string $bootstrap): ?string
    {
        if (! self::isBuilder($bootstrap) || self::builderHasChannels($bootstrap)) {
            return null;
        }
        $uncommented = preg_replace('~^(\s*)//\s*(channels:)~m', '$1$2', $bootstrap, 1, $count);
        if ($count === 1) {
            return $uncommented;
        }
        $line = "channels: __DIR__.'/../routes/channels.php',";
        $after = preg_replace('~^(\s*)(commands:[^\n]*,)[ \t]*$~m', "\$1\$2\n\$1{$line}", $bootstrap, 1, $count);
        if ($count === 1) {
            return $after;
        }
        $first = preg_replace('~->withRouting\(\s*\n(\s*)~', "->withRouting(\n\$1{$line}\n\$1", $bootstrap, 1, $count);

        return $count === 1 ? $first : null;
    }

    /** Before Laravel 11: App\Providers\BroadcastServiceProvider un-commented in config/app.php. */
    public static function inProviders(string $configApp): ?string
    {
        $commented = '~^(\s*)//\s*(App\\\\Providers\\\\BroadcastServiceProvider::class,)~m';
        $text = preg_replace($commented, '$1$2', $configApp, 1, $count);

        return $count === 1 ? $text : null;
    }
}
