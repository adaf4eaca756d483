<?php

namespace Sidecast\Laravel\Console;

/**
 * The frontend half of `sidecast:install`: with Vite, resources/js/echo.js connecting Echo
 * (2.x, socket.io-client 4) to the sidecar, imported from the app's bootstrap.js or app.js;
 * without Vite, the lines to add by hand.
 */
final class EchoSetup
{
    /** resources/js/echo.js as written; kept in step with docs/frontend.md. */
    public const ECHO_JS = <<<'JS'
        import Echo from 'laravel-echo';
        import { io } from 'socket.io-client';

        // The sidecar (php artisan sidecast:serve) on port 6001 of the page's host. Behind nginx
        // proxying /socket.io/ on the app's own origin, set VITE_SIDECAST_HOST="${APP_URL}".
        window.Echo = new Echo({
            broadcaster: 'socket.io',
            client: io,
            host: import.meta.env.VITE_SIDECAST_HOST || `${window.location.hostname}:6001`,
        });

        JS;

    public function __construct(private string $basePath, private bool $force)
    {
    }

    /** @return list<string> what was done, or what to do */
    public function install(): array
    {
        $npm = 'Then: npm install --save-dev laravel-echo socket.io-client, and rebuild the assets.';
        if (! $this->usesVite()) {
            return [
                'No vite.config.js: add Echo to your JavaScript by hand (see docs/frontend.md), for example:',
                "  import Echo from 'laravel-echo';",
                "  window.io = require('socket.io-client');",
                "  window.Echo = new Echo({ broadcaster: 'socket.io', host: window.location.hostname + ':6001' });",
                $npm,
            ];
        }
        $done = [];
        $echo = $this->basePath.'/resources/js/echo.js';
        if (! is_file($echo) || $this->force) {
            @mkdir(dirname($echo), 0755, true);
            file_put_contents($echo, self::ECHO_JS);
            $done[] = 'Wrote resources/js/echo.js (Echo with socket.io-client, to the sidecar).';
        } else {
            $done[] = 'resources/js/echo.js exists; left as is (--force replaces it). Make sure it uses the socket.io broadcaster.';
        }
        foreach (['resources/js/bootstrap.js', 'resources/js/app.js'] as $entry) {
            $path = $this->basePath.'/'.$entry;
            if (! is_file($path)) {
                continue;
            }
            $text = (string) file_get_contents($path);
            if (! preg_match('/import\s+[\'"]\.\/echo(\.js)?[\'"]/', $text)) {
                file_put_contents($path, rtrim($text, "\n")."\n\nimport './echo';\n");
                $done[] = "Imported ./echo from {$entry}.";
            }
            break;
        }
        $done[] = $npm;

        return $done;
    }

    private function usesVite(): bool
    {
        foreach (['vite.config.js', 'vite.config.mjs', 'vite.config.ts'] as $name) {
            if (is_file($this->basePath.'/'.$name)) {
                return true;
            }
        }

        return false;
    }
}
