<?php

namespace Sidecast\Laravel\Transports;

use Illuminate\Broadcasting\BroadcastException;
use InvalidArgumentException;
use Sidecast\Broadcaster;
use Sidecast\BroadcastException as SidecarUnreachable;
use Sidecast\Laravel\Contracts\Transport;
use TypeError;
use ValueError;

/**
 * Goes through the sidecast PHP extension: a background writer per PHP process buffers the
 * events and keeps them across sidecar restarts; queries travel on the same connection.
 *
 * A buffered broadcast cannot throw when the sidecar is away, so a writer that cannot deliver
 * is reported through $report (Laravel's log) instead: at most once a minute per process and
 * socket (the extension keeps the time, since PHP's own state ends with each request), saying
 * why and what to do.
 */
final class ExtensionTransport implements Transport
{
    /** Seconds between two reports of the same socket's trouble by one process. */
    public const REPORT_EVERY = 60.0;

    private Broadcaster $broadcaster;

    /** @param  (\Closure(string): void)|null  $report */
    public function __construct(string $socket, float $timeout, private bool $acknowledged = false, private ?\Closure $report = null)
    {
        $this->broadcaster = new Broadcaster($socket, ['timeout' => $timeout, 'acknowledged' => $acknowledged]);
    }

    public function publish(array $channels, string $event, string $payload, ?string $socketId, ?bool $acknowledged = null): void
    {
        try {
            $this->broadcaster->broadcast($channels, $event, $payload, $socketId, $acknowledged);
        } catch (SidecarUnreachable|ValueError|TypeError $e) {
            // TypeError: a channel or event name that is not valid UTF-8.
            throw new BroadcastException('Sidecast: '.$e->getMessage(), 0, $e);
        }
        if ($this->report !== null && ! ($acknowledged ?? $this->acknowledged)) {
            $this->reportTrouble();
        }
    }

    private function reportTrouble(): void
    {
        // An extension built before problemToReport() existed (the package was updated, the
        // extension not yet rebuilt) still broadcasts; it only cannot say why it waits.
        if (! method_exists($this->broadcaster, 'problemToReport')) {
            return;
        }
        $problem = $this->broadcaster->problemToReport(self::REPORT_EVERY);
        if ($problem === null) {
            return;
        }
        ($this->report)("Sidecast: events wait in this PHP process, undelivered: {$problem}. "
            .'They are sent when the sidecar is reachable. Start it (php artisan sidecast:serve), '
            .'or point SIDECAST_SOCKET at its socket; `php artisan sidecast:check` says what is wrong.');
    }

    public function flush(float $timeout = 1.0): bool
    {
        return $this->ask(fn () => $this->broadcaster->flush($timeout));
    }

    public function channels(?string $prefix = null): array
    {
        return $this->ask(fn () => $this->broadcaster->channels($prefix));
    }

    public function channel(string $name): array
    {
        return $this->ask(fn () => $this->broadcaster->channel($name));
    }

    public function members(string $presenceChannel): array
    {
        return $this->ask(fn () => $this->broadcaster->members($presenceChannel));
    }

    public function stats(): array
    {
        return $this->ask(fn () => $this->broadcaster->stats());
    }

    /** Runs a call, turning the extension's exceptions into the package's. */
    private function ask(callable $call): mixed
    {
        try {
            return $call();
        } catch (ValueError|TypeError $e) {
            throw new InvalidArgumentException('Sidecast: '.$e->getMessage(), 0, $e);
        } catch (SidecarUnreachable $e) {
            throw new BroadcastException('Sidecast: '.$e->getMessage(), 0, $e);
        }
    }
}
