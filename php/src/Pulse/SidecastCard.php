<?php

namespace Sidecast\Laravel\Pulse;

use Illuminate\Support\Collection;
use Illuminate\Support\Facades\View;
use Laravel\Pulse\Livewire\Card;
use Laravel\Pulse\Livewire\Concerns\HasPeriod;
use Laravel\Pulse\Livewire\Concerns\RemembersQueries;
use Livewire\Attributes\Lazy;

/**
 * The Pulse card of SidecastRecorder's figures, one row per server: its peak connections, and
 * the events, deliveries and drops of the period. Put `<livewire:sidecast.pulse cols="6" />` in
 * the Pulse dashboard (resources/views/vendor/pulse/dashboard.blade.php).
 */
class SidecastCard extends Card
{
    use HasPeriod;
    use RemembersQueries;

    /** The counters the recorder sums, as the card names them. */
    public const COUNTERS = ['events', 'deliveries', 'dropped'];

    #[Lazy]
    public function render()
    {
        [$servers, $time, $runAt] = $this->remember(fn () => self::figures(
            $this->graph(['sidecast_connections'], 'max'),
            $this->graph(array_map(fn ($counter) => "sidecast_{$counter}", self::COUNTERS), 'sum'),
        ));

        return View::make('sidecast::pulse.card', [
            'servers' => $servers,
            'time' => $time,
            'runAt' => $runAt,
        ]);
    }

    /**
     * What the card shows, from Pulse's graphs (server => type => bucket => value): each
     * server's peak connections and the totals of its counters over the period.
     *
     * @return array<string, array{connections: int, events: int, deliveries: int, dropped: int}>
     */
    public static function figures(Collection $connections, Collection $counters): array
    {
        $servers = $connections->keys()->merge($counters->keys())->unique()->sort()->values();

        return $servers->mapWithKeys(function ($server) use ($connections, $counters) {
            $readings = fn (Collection $graph, string $type) => collect($graph->get($server, collect())->get($type, []));
            $row = ['connections' => (int) $readings($connections, 'sidecast_connections')->max()];
            foreach (self::COUNTERS as $counter) {
                $row[$counter] = (int) $readings($counters, "sidecast_{$counter}")->sum();
            }

            return [$server => $row];
        })->all();
    }
}
