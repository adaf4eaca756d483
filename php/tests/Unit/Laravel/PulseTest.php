<?php

namespace Sidecast\Laravel\Tests\Unit\Laravel;

use Carbon\CarbonImmutable;
use Illuminate\Broadcasting\BroadcastException;
use Illuminate\Config\Repository;
use Illuminate\Foundation\Application;
use Laravel\Pulse\Events\SharedBeat;
use Laravel\Pulse\Pulse;
use Livewire\LivewireManager;
use PHPUnit\Framework\TestCase;
use Sidecast\Laravel\Pulse\SidecastCard;
use Sidecast\Laravel\Pulse\SidecastRecorder;
use Sidecast\Laravel\Sidecast;
use Sidecast\Laravel\SidecastServiceProvider;

/**
 * The Laravel Pulse recorder and card, against stand-ins for Pulse's classes
 * (tests/Support/Pulse/stubs.php): Pulse itself cannot be installed here.
 */
final class PulseTest extends TestCase
{
    public static function setUpBeforeClass(): void
    {
        if (! class_exists(Pulse::class)) {
            require_once __DIR__.'/../../Support/Pulse/stubs.php';
        }
    }

    /** A census as the sidecar gives it, with the figures the recorder reads. */
    private static function census(float $uptime, int $socketio, int $pusher, int $events, int $deliveries, int $dropped): array
    {
        return ['server' => ['sidecar' => [
            'uptime_seconds' => $uptime,
            'occupancy' => ['connections' => $socketio + $pusher],
            'events_in' => ['unix_socket' => $events - 1, 'http_api' => 0, 'redis' => 1, 'client_events' => 0],
            'delivery' => ['deliveries' => $deliveries, 'dropped' => $dropped],
        ]]];
    }

    /** A Sidecast service whose stats() answers each of $answers in turn (a Throwable is thrown). */
    private static function sidecast(array $answers): Sidecast
    {
        return new class($answers) extends Sidecast {
            public function __construct(private array $answers)
            {
            }

            public function stats(): array
            {
                $answer = array_shift($this->answers);
                if ($answer instanceof \Throwable) {
                    throw $answer;
                }

                return $answer;
            }
        };
    }

    public function test_every_fifteen_seconds_it_records_connections_and_the_counters_moved_since_the_last_reading(): void
    {
        $pulse = new Pulse();
        $config = new Repository(['pulse' => ['recorders' => [SidecastRecorder::class => ['server_name' => 'web-1']]]]);
        $recorder = new SidecastRecorder($pulse, self::sidecast([
            self::census(10.0, 5, 2, 100, 400, 0),
            self::census(25.0, 7, 2, 130, 520, 3),
            new BroadcastException('Sidecast: no sidecar listens at /run/sidecast/sidecast.sock'),
            self::census(55.0, 7, 2, 150, 600, 3),
            self::census(2.0, 1, 0, 4, 4, 0),
            self::census(17.0, 1, 0, 6, 9, 0),
        ]), $config);
        $beat = fn (int $at) => new SharedBeat(CarbonImmutable::createFromTimestamp($at));

        $recorder->record($beat(1207));
        $this->assertSame([], self::recorded($pulse), 'between readings, nothing is asked or recorded');

        $recorder->record($beat(1215));
        $this->assertSame(
            [['sidecast_connections', 'web-1', 7, 1215, ['avg', 'max']]],
            self::recorded($pulse),
            'the first reading has no earlier counters to subtract: connections only',
        );
        $this->assertTrue($pulse->entries[0]->onlyBuckets);

        $pulse->entries = [];
        $recorder->record($beat(1230));
        $this->assertSame([
            ['sidecast_connections', 'web-1', 9, 1230, ['avg', 'max']],
            ['sidecast_events', 'web-1', 30, 1230, ['sum']],
            ['sidecast_deliveries', 'web-1', 120, 1230, ['sum']],
            ['sidecast_dropped', 'web-1', 3, 1230, ['sum']],
        ], self::recorded($pulse));

        $pulse->entries = [];
        $recorder->record($beat(1245));
        $this->assertSame([], self::recorded($pulse), 'a sidecar that cannot be asked records nothing');
        $recorder->record($beat(1260));
        $this->assertCount(1, $pulse->entries, 'after a gap the counters start again from the next reading');

        $pulse->entries = [];
        $recorder->record($beat(1275));
        $this->assertCount(1, $pulse->entries, 'a restarted sidecar (lower uptime) is not subtracted from the old one');
        $pulse->entries = [];
        $recorder->record($beat(1290));
        $this->assertSame([['sidecast_events', 2], ['sidecast_deliveries', 5], ['sidecast_dropped', 0]], array_map(
            fn ($entry) => [$entry->type, $entry->value],
            array_slice($pulse->entries, 1),
        ));
    }

    public function test_the_card_shows_each_servers_peak_and_totals_of_the_period(): void
    {
        $figures = SidecastCard::figures(
            collect([
                'web-2' => collect(['sidecast_connections' => collect(['2026-12-05 12:00:00' => 1])]),
                'web-1' => collect(['sidecast_connections' => collect(['2026-12-05 12:00:00' => 4, '2026-12-05 12:01:00' => 9, '2026-12-05 12:02:00' => null])]),
            ]),
            collect([
                'web-1' => collect([
                    'sidecast_events' => collect(['2026-12-05 12:00:00' => 30, '2026-12-05 12:01:00' => 12]),
                    'sidecast_deliveries' => collect(['2026-12-05 12:00:00' => 120]),
                ]),
            ]),
        );

        $this->assertSame([
            'web-1' => ['connections' => 9, 'events' => 42, 'deliveries' => 120, 'dropped' => 0],
            'web-2' => ['connections' => 1, 'events' => 0, 'deliveries' => 0, 'dropped' => 0],
        ], $figures);
    }

    public function test_the_provider_registers_the_card_once_livewire_is_resolved_and_its_view(): void
    {
        $app = new Application('/srv/app');
        $app->instance('config', new Repository(['broadcasting' => ['connections' => []]]));
        $app->singleton('view', fn () => new class {
            public array $namespaces = [];

            public function addNamespace(string $namespace, string|array $hints): void
            {
                $this->namespaces[$namespace] = $hints;
            }
        });
        $app->register(\Illuminate\Broadcasting\BroadcastServiceProvider::class);
        $app->register(SidecastServiceProvider::class);
        $app->boot();
        $app->singleton('livewire', fn () => new LivewireManager());

        $this->assertSame(['sidecast.pulse' => SidecastCard::class], $app->make('livewire')->components);
        $this->assertFileExists(((array) $app->make('view')->namespaces['sidecast'])[0].'/pulse/card.blade.php');
    }

    /** What was recorded: type, key, value, timestamp, aggregations. */
    private static function recorded(Pulse $pulse): array
    {
        return array_map(fn ($entry) => [$entry->type, $entry->key, $entry->value, $entry->timestamp, $entry->aggregations], $pulse->entries);
    }
}
