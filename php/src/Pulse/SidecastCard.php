<?php

namespace Sidecast\Laravel\Pulse;

use Illuminate\Support\Collection;
use Illuminate\Support\Facades\View;
use Laravel\Pulse\Livewire\Card;
use Laravel\Pulse\Livewire\Concerns\HasPeriod;
use Laravel\Pulse\Livewire\Concerns\RemembersQueries;
use Livewire\Attributes\Lazy;

/**
 * The Pulse card of SidecastRecorder's figures: peak connections by protocol, and the events,
 * deliveries and drops of the period. Put `<livewire:sidecast.pulse cols="4" />` in the Pulse
 * dashboard (resources/views/vendor/pulse/dashboard.blade.php).
 */
class SidecastCard extends Card
{
    use HasPeriod;
    use RemembersQueries;

    #[Lazy]
    public function render()
    {
        [$figures, $time, $runAt] = $this->remember(fn () => self::figures(
            $this->graph(['sidecast_connections'], 'max'),
            $this->graph(['sidecast_messages'], 'sum'),
        ));

        return View::make('sidecast::pulse.card', [
            'figures' => $figures,
            'time' => $time,
            'runAt' => $runAt,
        ]);
    }

    /**
     * What the card shows, from Pulse's graphs (key => type => bucket => value): the peak of
     * each protocol's connections, and the total of each counter over the period.
     *
     * @return array{connections: array<string, int>, messages: array<string, int>}
     */
    public static function figures(Collection $connections, Collection $messages): array
    {
        $peak = fn (Collection $readings) => (int) collect($readings->first())->max();
        $total = fn (Collection $readings) => (int) collect($readings->first())->sum();

        return [
            'connections' => $connections->map($peak)->sortKeys()->all(),
            'messages' => array_merge(
                ['events' => 0, 'deliveries' => 0, 'dropped' => 0],
                $messages->map($total)->all(),
            ),
        ];
    }
}
