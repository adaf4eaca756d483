<?php

namespace Sidecast\Laravel\Console;

use Illuminate\Console\Command;
use Illuminate\Contracts\Config\Repository;
use Illuminate\Contracts\Debug\ExceptionHandler;
use Illuminate\Contracts\Events\Dispatcher;
use InvalidArgumentException;
use Sidecast\Laravel\Events\LifecycleEvents;
use Sidecast\Laravel\Listener\Connection;
use Sidecast\Laravel\Listener\Unavailable;
use Throwable;

/**
 * `php artisan sidecast:listen`: a long-running worker, supervised like `queue:work`, that
 * receives what happens on the sidecar's channels over its Unix socket (the sidecar started
 * with --listener) and dispatches each as a Laravel event: ChannelOccupied, ChannelVacated,
 * MemberAdded, MemberRemoved, ClientEventReceived (docs/lifecycle-events.md).
 *
 * Each event is confirmed to the sidecar once its listeners have run; the sidecar keeps what is
 * not confirmed (for --listener-buffer seconds) and sends it again when this reconnects, so a
 * restart loses nothing within that window. A listener that throws is reported like a failed
 * job and the event is not retried. SIGTERM and SIGINT stop it after the event in hand.
 */
class ListenCommand extends Command
{
    protected $signature = 'sidecast:listen
        {--socket= : The sidecar\'s socket [config broadcasting.connections.sidecast.socket]}
        {--max-time=0 : Stop after this many seconds, for a supervisor to start it again (0: never)}
        {--retry=1 : Seconds between attempts while the sidecar cannot be reached}';

    protected $description = 'Dispatch what happens on the sidecar\'s channels (members joining and leaving, channels emptied, client events) as Laravel events';

    /** How long one wait for an event lasts, so that a stop or --max-time is noticed. */
    private const POLL_SECONDS = 1.0;

    private bool $stopping = false;

    public function handle(Repository $config, Dispatcher $events, ExceptionHandler $exceptions): int
    {
        $socket = (string) ($this->option('socket') ?: $config->get('broadcasting.connections.sidecast.socket') ?: $config->get('sidecast.socket'));
        $retry = (float) $this->option('retry');
        $maxTime = (float) $this->option('max-time');
        if ($socket === '' || ! ($retry > 0 && $retry <= 60) || $maxTime < 0) {
            $this->error('sidecast:listen needs a socket (--socket or SIDECAST_SOCKET), --retry between 0 and 60 seconds and --max-time of 0 or more');

            return self::FAILURE;
        }
        $this->stopOnSignals();
        $until = $maxTime > 0 ? microtime(true) + $maxTime : INF;
        $lastProblem = null;
        while (! $this->stopping && microtime(true) < $until) {
            try {
                $connection = Connection::open($socket, 5.0);
            } catch (Unavailable $e) {
                if ($this->stopping) {
                    break;
                }
                if ($e->getMessage() !== $lastProblem) {
                    $this->warn("Cannot listen yet: {$e->getMessage()}. Trying again every {$retry} s.");
                    $lastProblem = $e->getMessage();
                }
                usleep((int) ($retry * 1e6));

                continue;
            }
            $lastProblem = null;
            $this->info("Listening to sidecast at {$socket}.");
            try {
                $this->dispatchUntilStopped($connection, $events, $exceptions, $until);
            } catch (Unavailable $e) {
                $this->warn("Lost the sidecar: {$e->getMessage()}. Reconnecting.");
            } finally {
                $connection->close();
            }
        }
        $this->info('Stopped listening.');

        return self::SUCCESS;
    }

    private function dispatchUntilStopped(Connection $connection, Dispatcher $events, ExceptionHandler $exceptions, float $until): void
    {
        while (! $this->stopping && microtime(true) < $until) {
            $frame = $connection->event(min(self::POLL_SECONDS, max(0.0, $until - microtime(true))));
            if ($frame === null) {
                continue;
            }
            if ($frame['missed'] > 0) {
                $this->warn("{$frame['missed']} lifecycle events were dropped before this one: no listener confirmed them in time (the sidecar's --listener-buffer).");
            }
            $this->dispatchOne($frame, $events, $exceptions);
            $connection->confirm($frame['seq']);
        }
    }

    /** @param  array{seq: int, json: string}  $frame */
    private function dispatchOne(array $frame, Dispatcher $events, ExceptionHandler $exceptions): void
    {
        try {
            $event = LifecycleEvents::fromWebhook(json_decode($frame['json'], true));
        } catch (InvalidArgumentException $e) {
            $this->error("Lifecycle event {$frame['seq']} skipped: {$e->getMessage()}");

            return;
        }
        if ($event === null) {
            // A kind this package does not know (a newer sidecar's): nothing to dispatch.
            return;
        }
        if ($this->output->isVerbose()) {
            $this->line(sprintf('%d %s', $frame['seq'], class_basename($event)));
        }
        try {
            $events->dispatch($event);
        } catch (Throwable $e) {
            $exceptions->report($e);
            $this->error(sprintf('A listener of %s failed: %s', class_basename($event), $e->getMessage()));
        }
    }

    /** SIGTERM and SIGINT end the loop after the event in hand, which is confirmed first. */
    private function stopOnSignals(): void
    {
        if (! function_exists('pcntl_async_signals')) {
            return;
        }
        pcntl_async_signals(true);
        foreach ([SIGTERM, SIGINT] as $signal) {
            pcntl_signal($signal, function (): void {
                $this->stopping = true;
            });
        }
    }
}
