<?php

namespace Sidecast\Laravel\Tests\Unit\Laravel;

use Carbon\CarbonImmutable;
use Illuminate\Broadcasting\BroadcastException;
use Illuminate\Config\Repository;
use Illuminate\Foundation\Application;
use Laravel\Pulse\Events\IsolatedBeat;
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
            'socketio' => ['eio3' => ['open' => 1], 'eio4' => ['open' => $socketio - 1]],
            'pusher' => ['connections' => ['open' => $pusher]],
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

    public function test_each_beat_records_connections_and_the_counters_moved_since_the_previous_one(): void
    {
        $pulse = new Pulse();
        $recorder = new SidecastRecorder($pulse, self::sidecast([
            self::census(10.0, 5, 2, 100, 400, 0),
            self::census(15.0, 7, 2, 130, 520, 3),
            new BroadcastException('Sidecast: no sidecar listens at /run/sidecast/sidecast.sock'),
            self::census(20.0, 7, 2, 150, 600, 3),
            self::census(2.0, 1, 0, 4, 4, 0),
            self::census(7.0, 1, 0, 6, 9, 0),
        ]));
        $beat = fn (int $at) => new IsolatedBeat(CarbonImmutable::createFromTimestamp($at));

        $recorder->record($beat(1000));
        $this->assertSame(
            [['sidecast_connections', 'socket.io', 5, 1000, ['avg', 'max']], ['sidecast_connections', 'pusher', 2, 1000, ['avg', 'max']]],
            self::recorded($pulse),
            'the first beat has no earlier counters to subtract: connections only',
        );

        $pulse->entries = [];
        $recorder->record($beat(1005));
        $this->assertSame([
            ['sidecast_connections', 'socket.io', 7, 1005, ['avg', 'max']],
            ['sidecast_connections', 'pusher', 2, 1005, ['avg', 'max']],
            ['sidecast_messages', 'events', 30, 1005, ['sum']],
            ['sidecast_messages', 'deliveries', 120, 1005, ['sum']],
            ['sidecast_messages', 'dropped', 3, 1005, ['sum']],
        ], self::recorded($pulse));
        $this->assertTrue($pulse->entries[0]->onlyBuckets);

        $pulse->entries = [];
        $recorder->record($beat(1010));
        $this->assertSame([], self::recorded($pulse), 'a sidecar that cannot be asked records nothing');
        $recorder->record($beat(1015));
        $this->assertCount(2, $pulse->entries, 'after a gap the counters start again from the next beat');

        $pulse->entries = [];
        $recorder->record($beat(1020));
        $this->assertCount(2, $pulse->entries, 'a restarted sidecar (lower uptime) is not subtracted from the old one');
        $pulse->entries = [];
        $recorder->record($beat(1025));
        $this->assertSame(['events' => 2, 'deliveries' => 5, 'dropped' => 0], array_column(array_map(
            fn ($entry) => ['key' => $entry->key, 'value' => $entry->value],
            array_slice($pulse->entries, 2),
        ), 'value', 'key'));
    }

    public function test_the_card_shows_peaks_and_totals_of_the_period(): void
    {
        $figures = SidecastCard::figures(
            collect([
                'socket.io' => collect(['sidecast_connections' => collect(['2026-12-05 12:00:00' => 4, '2026-12-05 12:01:00' => 9, '2026-12-05 12:02:00' => null])]),
                'pusher' => collect(['sidecast_connections' => collect(['2026-12-05 12:00:00' => 1])]),
            ]),
            collect([
                'events' => collect(['sidecast_messages' => collect(['2026-12-05 12:00:00' => 30, '2026-12-05 12:01:00' => 12])]),
                'deliveries' => collect(['sidecast_messages' => collect(['2026-12-05 12:00:00' => 120])]),
            ]),
        );

        $this->assertSame(['connections' => ['pusher' => 1, 'socket.io' => 9], 'messages' => ['events' => 42, 'deliveries' => 120, 'dropped' => 0]], $figures);
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
