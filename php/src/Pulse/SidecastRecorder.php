<?php

namespace Sidecast\Laravel\Pulse;

use Illuminate\Broadcasting\BroadcastException;
use Illuminate\Contracts\Config\Repository;
use Laravel\Pulse\Events\SharedBeat;
use Laravel\Pulse\Pulse;
use Sidecast\Laravel\Sidecast;

/**
 * Laravel Pulse recorder: every 15 seconds, on every server (each runs `pulse:check`, and each
 * has its own sidecar), asks that server's sidecar for its census and records, under the
 * server's name, its connections (average and peak per bucket) and, since the previous
 * reading, the events that came in, the messages delivered and those dropped. Enable it in
 * config/pulse.php's `recorders` (optional `server_name`, as Pulse's Servers recorder takes);
 * show it with the `sidecast.pulse` card.
 *
 * A sidecar that cannot be asked records nothing for that reading: Pulse shows a gap, not zero.
 */
class SidecastRecorder
{
    /** Seconds between two readings. */
    public const EVERY = 15;

    /** Pulse's event this recorder listens to. */
    public string $listen = SharedBeat::class;

    /** @var array{events: int, deliveries: int, dropped: int, uptime: float}|null */
    private ?array $previous = null;

    public function __construct(protected Pulse $pulse, protected Sidecast $sidecast, protected Repository $config)
    {
    }

    public function record(SharedBeat $event): void
    {
        if ($event->time->second % self::EVERY !== 0) {
            return;
        }
        try {
            $census = $this->sidecast->stats()['server']['sidecar'] ?? null;
        } catch (BroadcastException) {
            $census = null;
        }
        if (! is_array($census)) {
            $this->previous = null;

            return;
        }
        $server = (string) $this->config->get('pulse.recorders.'.self::class.'.server_name', gethostname());
        $time = $event->time->getTimestamp();

        $this->pulse->record('sidecast_connections', $server, $census['occupancy']['connections'], $time)->avg()->max()->onlyBuckets();

        $now = [
            'events' => array_sum($census['events_in']),
            'deliveries' => $census['delivery']['deliveries'],
            'dropped' => $census['delivery']['dropped'],
            'uptime' => $census['uptime_seconds'],
        ];
        // Counters restart with the sidecar: a lower uptime means a new process, counted from 0.
        $before = $this->previous !== null && $this->previous['uptime'] <= $now['uptime']
            ? $this->previous
            : null;
        $this->previous = $now;
        if ($before === null) {
            return;
        }
        foreach (['events', 'deliveries', 'dropped'] as $counter) {
            $this->pulse->record("sidecast_{$counter}", $server, $now[$counter] - $before[$counter], $time)->sum()->onlyBuckets();
        }
    }
}
