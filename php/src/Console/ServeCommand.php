<?php

namespace Sidecast\Laravel\Console;

use Illuminate\Console\Command;
use Illuminate\Contracts\Config\Repository;

/**
 * `php artisan sidecast:serve`: starts the sidecar with this app's own settings — the socket
 * the broadcast connection uses, where Echo clients connect, the app that authorizes private
 * and presence channels, the pages allowed to connect — so that the two sides cannot disagree.
 * The artisan process becomes the sidecar (exec), so a process manager's signals reach it
 * directly.
 */
class ServeCommand extends Command
{
    protected $signature = 'sidecast:serve
        {--host= : Address Echo clients connect to [config sidecast.serve.host]}
        {--port= : Port Echo clients connect to [config sidecast.serve.port]}
        {--dev : Log every connection, subscription and event}
        {--print : Print the command line instead of running it}
        {options?* : More sidecast start options, after a double dash}';

    protected $description = 'Start the sidecast sidecar with this app\'s settings';

    public function handle(Repository $config): int
    {
        $serve = (array) $config->get('sidecast.serve', []);
        $connection = (array) $config->get('broadcasting.connections.sidecast', []);
        $binary = SidecarBinary::find((string) ($serve['binary'] ?? 'sidecast'));
        if ($binary === null) {
            $this->error(SidecarBinary::missing((string) ($serve['binary'] ?? 'sidecast')));

            return self::FAILURE;
        }

        $arguments = ['start', '--dir', $this->laravel->basePath()];
        $add = static function (string $option, mixed $value) use (&$arguments): void {
            if ($value !== null && $value !== '') {
                array_push($arguments, $option, (string) $value);
            }
        };
        $add('--socket', $connection['socket'] ?? null);
        $add('--host', $this->option('host') ?? $serve['host'] ?? null);
        $add('--port', $this->option('port') ?? $serve['port'] ?? null);
        $add('--auth-host', $serve['auth_host'] ?? null);
        $add('--allowed-origin', self::origins($serve['allowed_origins'] ?? null));
        if ($this->option('dev')) {
            $arguments[] = '--dev';
        }
        if ($serve['listener'] ?? false) {
            $arguments[] = '--listener';
        }
        // serve.options: ['socket-group' => 'www-data'] becomes --socket-group www-data; a
        // value without a key (['--dev']) is passed as it is.
        foreach ((array) ($serve['options'] ?? []) as $option => $value) {
            if (is_int($option)) {
                $arguments[] = (string) $value;
            } else {
                $add('--'.ltrim($option, '-'), $value);
            }
        }
        array_push($arguments, ...array_map('strval', (array) $this->argument('options')));

        if ($this->option('print')) {
            $this->line(implode(' ', array_map('escapeshellarg', [$binary, ...$arguments])));

            return self::SUCCESS;
        }

        return $this->become($binary, $arguments);
    }

    /** APP_URL-style values to origins: scheme, host and port, without a path. */
    private static function origins(mixed $value): ?string
    {
        $origins = [];
        foreach (explode(',', (string) $value) as $url) {
            $parts = parse_url(trim($url));
            if (! empty($parts['scheme']) && ! empty($parts['host'])) {
                $origins[] = $parts['scheme'].'://'.$parts['host'].(isset($parts['port']) ? ':'.$parts['port'] : '');
            }
        }

        return $origins === [] ? null : implode(',', array_unique($origins));
    }

    /**
     * Replaces this process with the sidecar when pcntl is there (signals then reach it
     * directly); otherwise runs it as a child with this terminal and returns its exit code.
     *
     * @param  list<string>  $arguments
     */
    private function become(string $binary, array $arguments): int
    {
        // .env's keys are in the environment (Laravel puts them there); an empty SIDECAST_*
        // one means "not set" to Laravel, but would be an empty value to the sidecar.
        $environment = array_filter(
            getenv(),
            static fn (string $value, string $name) => $value !== '' || ! str_starts_with($name, 'SIDECAST_'),
            ARRAY_FILTER_USE_BOTH,
        );
        if (function_exists('pcntl_exec')) {
            pcntl_exec($binary, $arguments, $environment);
            $this->error("Cannot run {$binary}: ".pcntl_strerror(pcntl_get_last_error()));

            return self::FAILURE;
        }
        $process = proc_open([$binary, ...$arguments], [STDIN, STDOUT, STDERR], $pipes, null, $environment);
        if ($process === false) {
            $this->error("Cannot run {$binary}.");

            return self::FAILURE;
        }

        return proc_close($process);
    }
}
