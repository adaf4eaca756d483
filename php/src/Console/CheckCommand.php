<?php

namespace Sidecast\Laravel\Console;

use Illuminate\Contracts\Config\Repository;
use Illuminate\Console\Command;
use Illuminate\Http\Request;
use Illuminate\Routing\Router;
use Sidecast\Laravel\Sidecast;
use Sidecast\Laravel\Transports\HttpTransport;
use Sidecast\Laravel\Transports\SocketOwner;
use Symfony\Component\HttpKernel\Exception\HttpException;
use Throwable;

/**
 * `php artisan sidecast:check`: walks the path of an event and of an authorization and says,
 * in words, the first thing that is wrong on each — the driver not selected, the extension
 * missing, no sidecar at the socket or no permission to reach it, no /broadcasting/auth route,
 * the auth host answering 404 — and finishes with a test event the sidecar must accept.
 * Exits 1 when something fails, so deploy scripts can run it.
 */
class CheckCommand extends Command
{
    protected $signature = 'sidecast:check';

    protected $description = 'Check that events and channel authorizations can reach sidecast, and say what to fix';

    private bool $anyFailed = false;

    public function handle(Repository $config, Sidecast $sidecast, Router $router): int
    {
        $default = (string) $config->get('broadcasting.default');
        if ($config->get("broadcasting.connections.{$default}.driver") === 'sidecast') {
            $this->passed("The default broadcast connection \"{$default}\" uses the sidecast driver.");
        } else {
            $variable = BroadcastingRoutes::driverVariable($this->laravel->version());
            $this->warned("The default broadcast connection is \"{$default}\", not sidecast: events go elsewhere. Set {$variable}=sidecast in .env.");
        }

        $connection = (array) $config->get('broadcasting.connections.sidecast', []);
        $transport = (string) ($connection['transport'] ?? 'auto');
        if ($transport === 'http') {
            $url = (string) ($connection['url'] ?? '');
            $this->noted("Events go over HTTP to the sidecar at {$url} (the \"http\" transport).");
            $this->checkSidecar($sidecast);
        } else {
            $this->checkExtension($transport);
            if ($this->checkSocket((string) ($connection['socket'] ?? ''))) {
                $this->checkSidecar($sidecast);
            }
        }
        $this->checkAuthRoute($router);
        // The sidecar tries several auth hosts in turn (SIDECAST_AUTH_HOST=a,b); the first is
        // the one it asks first.
        $serve = (array) $config->get('sidecast.serve', []);
        $this->checkAuthHost(trim(explode(',', (string) ($serve['auth_host'] ?? 'http://localhost'))[0]));

        $this->line($this->anyFailed ? '<error>Something needs fixing: see above.</error>' : '<info>Everything sidecast needs is in place.</info>');

        return $this->anyFailed ? self::FAILURE : self::SUCCESS;
    }

    private function checkExtension(string $transport): void
    {
        $version = phpversion('sidecast');
        if ($version !== false) {
            $this->passed("The sidecast extension {$version} is loaded (in this CLI; php-fpm reads its own ini files).");
        } elseif ($transport === 'extension') {
            $this->failed('The connection asks for the "extension" transport, but the sidecast extension is not loaded: install it with scripts/install-extension.sh, or set SIDECAST_TRANSPORT=auto.');
        } else {
            $this->noted('The sidecast extension is not loaded: events are written in plain PHP (slower, no buffering). Install it with scripts/install-extension.sh.');
        }
    }

    /** Whether the socket is there for PHP to connect to. */
    private function checkSocket(string $socket): bool
    {
        clearstatcache(true, $socket);
        if (! file_exists($socket)) {
            return $this->failed("No sidecar listens at {$socket} (no such file). Start it in the app's directory with `php artisan sidecast:serve`, or point SIDECAST_SOCKET at the socket it listens on (`sidecast status` prints it).");
        }
        if (filetype($socket) !== 'socket') {
            return $this->failed("{$socket} is not a socket. SIDECAST_SOCKET must name the sidecar's socket.");
        }
        if (! is_writable($socket)) {
            $who = function_exists('posix_geteuid') ? (posix_getpwuid(posix_geteuid())['name'] ?? posix_geteuid()) : 'this user';

            return $this->failed(sprintf(
                '%s may not connect to %s (owner %s, group %s, mode %o): run PHP as the sidecar\'s user, or start the sidecar with --socket-group set to a group %s is in.',
                $who, $socket, $this->account(fileowner($socket), 'posix_getpwuid'), $this->account(filegroup($socket), 'posix_getgrgid'), fileperms($socket) & 0777, $who,
            ));
        }
        $problem = SocketOwner::problem($socket);
        if ($problem !== null) {
            return $this->failed(ucfirst($problem).'.');
        }

        return true;
    }

    private function checkSidecar(Sidecast $sidecast): void
    {
        try {
            $transport = $sidecast->connection();
            if ($transport instanceof HttpTransport) {
                $this->passed(sprintf('The sidecar answers: %d occupied channels.', count($transport->channels())));
            } else {
                $figures = $transport->stats()['server'] ?? [];
                $this->passed(sprintf('The sidecar answers: %d connections, %d channels.', $figures['connections'] ?? 0, $figures['channels'] ?? 0));
            }
            $transport->publish(['sidecast-check'], 'SidecastCheck', '{"check":true}', null, true);
            $this->passed('The sidecar accepted a test event (channel "sidecast-check").');
        } catch (Throwable $e) {
            $this->failed($e->getMessage());
        }
    }

    private function checkAuthRoute(Router $router): void
    {
        try {
            $router->getRoutes()->match(Request::create('/broadcasting/auth', 'POST'));
            $this->passed('The app has its /broadcasting/auth route.');
        } catch (HttpException) {
            $fix = BroadcastingRoutes::isBuilder((string) @file_get_contents($this->laravel->basePath('bootstrap/app.php')))
                ? "give bootstrap/app.php's withRouting() a channels: __DIR__.'/../routes/channels.php' argument (or call ->withBroadcasting(...)), as `php artisan sidecast:install` does"
                : 'enable App\Providers\BroadcastServiceProvider in config/app.php, as `php artisan sidecast:install` does';
            $this->failed("The app has no /broadcasting/auth route, so private and presence channels cannot be joined: {$fix}.");
        }
    }

    /** Asks the auth endpoint as the sidecar would, without a user, and reads the status. */
    private function checkAuthHost(string $authHost): void
    {
        $url = rtrim($authHost, '/').'/broadcasting/auth';
        $context = stream_context_create(['http' => [
            'method' => 'POST',
            'header' => "Content-Type: application/x-www-form-urlencoded\r\nAccept: application/json\r\n",
            'content' => 'channel_name=private-sidecast-check&socket_id=1.1',
            'timeout' => 5,
            'ignore_errors' => true,
            'follow_location' => 0,
        ]]);
        $body = @file_get_contents($url, false, $context);
        $status = isset($http_response_header[0]) && preg_match('/^HTTP\/\S+ (\d{3})/', $http_response_header[0], $m) ? (int) $m[1] : null;
        $set = 'Set SIDECAST_AUTH_HOST to the URL the app is served at, as the sidecar reaches it.';
        match (true) {
            $status === null => $this->failed("The sidecar asks {$url} to authorize channels, and nothing answers there. {$set}"),
            $status === 404 => $this->failed("{$url} answers 404: wrong host, or the route is not registered there. {$set}"),
            $status === 419 => $this->passed("{$url} answers, with 419 to this probe, which has no CSRF token: Echo's requests carry the page's (the csrf-token meta tag or the XSRF-TOKEN cookie)."),
            $status === 401 || $status === 403 => $this->passed("{$url} answers, and refuses this probe, which has no user: as it should."),
            $status >= 300 && $status < 400 => $this->failed("{$url} answers {$status}, a redirect (to a login page?): the sidecar needs 200 or 403 from it. Keep the route out of middleware that redirects guests."),
            $status >= 500 => $this->failed("{$url} fails with {$status}: ".substr(trim(strip_tags((string) $body)), 0, 200)),
            default => $this->passed("{$url} answers {$status}."),
        };
    }

    private function account(int|false $id, string $lookup): string
    {
        if ($id === false) {
            return '?';
        }

        return function_exists($lookup) ? ($lookup($id)['name'] ?? (string) $id) : (string) $id;
    }

    private function passed(string $message): bool
    {
        $this->line("<info>✔</info> {$message}");

        return true;
    }

    private function noted(string $message): void
    {
        $this->line("<comment>•</comment> {$message}");
    }

    private function warned(string $message): void
    {
        $this->line("<comment>!</comment> {$message}");
    }

    private function failed(string $message): bool
    {
        $this->anyFailed = true;
        $this->line("<error>✘</error> {$message}");

        return false;
    }
}
