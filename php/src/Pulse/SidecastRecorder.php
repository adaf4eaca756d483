<?php

namespace Sidecast\Laravel\Pulse;

use Illuminate\Broadcasting\BroadcastException;
use Laravel\Pulse\Events\IsolatedBeat;
use Laravel\Pulse\Pulse;
use Sidecast\Laravel\Sidecast;

/**
 * Laravel Pulse recorder: on each of Pulse's beats (once per server, as `pulse:check` runs it),
 * asks the sidecar for its census and records its connections (average and peak per bucket)
 * and, since the previous beat, the events that came in, the messages delivered and those
 * dropped. Enable it in config/pulse.php's `recorders`, show it with the `sidecast.pulse` card.
 *
 * A sidecar that cannot be asked records nothing for that beat: Pulse shows a gap, not zero.
 */
class SidecastRecorder
{
    /** Pulse's event this recorder listens to. */
    public string $listen = IsolatedBeat::class;

    /** @var array{events: int, deliveries: int, dropped: int, uptime: float}|null */
    private ?array $previous = null;

    public function __construct(protected Pulse $pulse, protected Sidecast $sidecast)
    {
    }

    public function record(IsolatedBeat $event): void
    {
        try {
            $census = $this->sidecast->stats()['server']['sidecar'] ?? null;
        } catch (BroadcastException) {
            $census = null;
        }
        if (! is_array($census)) {
            $this->previous = null;

            return;
        }
        $time = $event->time->getTimestamp();

        $connections = [
            'socket.io' => $census['socketio']['eio3']['open'] + $census['socketio']['eio4']['open'],
            'pusher' => $census['pusher']['connections']['open'],
        ];
        foreach ($connections as $protocol => $open) {
            $this->pulse->record('sidecast_connections', $protocol, $open, $time)->avg()->max()->onlyBuckets();
        }

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
            $this->pulse->record('sidecast_messages', $counter, $now[$counter] - $before[$counter], $time)->sum()->onlyBuckets();
        }
    }
}
