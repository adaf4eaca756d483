<?php

namespace Sidecast\Laravel\Transports;

use InvalidArgumentException;
use Sidecast\Laravel\Contracts\Transport;

/**
 * Chooses how events reach the sidecar, once, from the connection's configuration.
 */
final class TransportFactory
{
    /** The extension's default too; a Laravel app's connection defaults to its storage. */
    public const DEFAULT_SOCKET = '/run/sidecast/sidecast.sock';

    /**
     * @param  array{socket?: ?string, transport?: ?string, timeout?: float|int|string|null, acknowledged?: bool|string|null, url?: ?string, app_id?: ?string, key?: ?string, secret?: ?string}  $config
     * @param  (\Closure(string): void)|null  $report  where the extension's buffered broadcasts
     *                                                 report a sidecar they cannot reach
     */
    public static function make(array $config, ?\Closure $report = null): Transport
    {
        $socket = (string) ($config['socket'] ?? '') ?: self::DEFAULT_SOCKET;
        $timeout = (float) ($config['timeout'] ?? 1.0);
        if (! ($timeout > 0 && $timeout <= 3600)) {
            throw new InvalidArgumentException("The sidecast connection's \"timeout\" must be a number of seconds greater than 0 and at most 3600, {$timeout} given.");
        }

        $acknowledged = filter_var($config['acknowledged'] ?? false, FILTER_VALIDATE_BOOL, FILTER_NULL_ON_FAILURE);
        if ($acknowledged === null) {
            $given = var_export($config['acknowledged'], true);
            throw new InvalidArgumentException("The sidecast connection's \"acknowledged\" must be true or false, {$given} given.");
        }

        $transport = $config['transport'] ?? 'auto';
        $extension = extension_loaded('sidecast');

        return match ($transport) {
            'auto' => $extension ? new ExtensionTransport($socket, $timeout, $acknowledged, $report) : new SocketTransport($socket, $timeout, $acknowledged),
            'socket' => new SocketTransport($socket, $timeout, $acknowledged),
            'http' => new HttpTransport((string) ($config['url'] ?? ''), (string) ($config['app_id'] ?? ''), (string) ($config['key'] ?? ''), (string) ($config['secret'] ?? ''), $timeout),
            'extension' => $extension
                ? new ExtensionTransport($socket, $timeout, $acknowledged, $report)
                : new UnavailableTransport('the sidecast connection asks for the "extension" transport, but the sidecast PHP extension is not loaded in this PHP: install it (scripts/install-extension.sh, then extension=sidecast), or set "transport" to "auto" (SIDECAST_TRANSPORT=auto)'),
            default => throw new InvalidArgumentException("The sidecast connection's \"transport\" must be \"auto\", \"extension\", \"socket\" or \"http\", \"{$transport}\" given."),
        };
    }
}
