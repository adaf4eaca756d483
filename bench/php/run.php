<?php

/**
 * One case of the PHP publish-path benchmark: `php run.php <case>` times it and prints its
 * timings as one JSON object; `php run.php list` prints every case with whether PHP must load
 * the sidecast extension for it ("extension") or must not ("plain"). scripts/bench.sh runs every
 * case in its own PHP process, in several passes over all cases, against one sidecar and one
 * redis-server it started, and bench/php/report.php summarizes the passes into
 * docs/benchmarks.md.
 *
 * Environment: BENCH_SOCKET (the sidecar's socket), BENCH_REDIS_PORT, BENCH_TMP (a directory for
 * Laravel's caches), BENCH_ROUNDS (timed rounds per process) and BENCH_CALLS_DIVISOR (1, or
 * more for a quick run with fewer calls).
 *
 * Every case counts, at the peer, the events it sent (the sidecar's publications, redis-server's
 * EVAL calls) and fails unless every one arrived; the redis cases also check what a subscriber
 * receives. The same event travels everywhere: App\Events\ExampleEvent on "example-channel",
 * whose data encodes to {"data":{...},"socket":null} of about 250 bytes, as Laravel sends it.
 */

use Illuminate\Broadcasting\BroadcastManager;
use Illuminate\Broadcasting\Broadcasters\RedisBroadcaster;
use Illuminate\Broadcasting\Channel;
use Illuminate\Container\Container;
use Illuminate\Redis\RedisManager;
use Sidecast\Bench\RedisProbe;
use Sidecast\Bench\Timing;
use Sidecast\Laravel\SidecastBroadcaster;
use Sidecast\Laravel\Transports\SocketTransport;
use Sidecast\Laravel\Transports\TransportFactory;

require __DIR__.'/Timing.php';
require __DIR__.'/RedisProbe.php';

const ROOT = __DIR__.'/../..';
const DEMO_APP = ROOT.'/examples/demo-app';
const EVENT = 'App\\Events\\ExampleEvent';
const CHANNEL = 'example-channel';

/** The demo app's database.redis.options.prefix, which Laravel's redis broadcaster puts before channel names. */
const REDIS_PREFIX = 'laravel_database_';

/** The event's data: an order update, as an app would broadcast it. */
const DATA = [
    'order' => ['id' => 4217, 'status' => 'shipped', 'carrier' => 'DHL Express', 'tracking' => 'JD014600003828463017', 'total' => '149.90', 'currency' => 'EUR'],
    'customer' => ['id' => 1093, 'name' => 'Ada Lovelace'],
    'items' => 3,
    'updated_at' => '2026-11-30T12:00:00+00:00',
];

/** What Laravel hands a broadcaster for that event: its public properties and the socket id. */
const PAYLOAD = ['data' => DATA, 'socket' => null];

/** Work a request does between two broadcasts, for the "spaced" cases: 50 µs of busy CPU. */
const SPACING_NS = 50_000;

/**
 * id => [group, label, PHP setup ("extension" or "plain"), calls per round, calls per timed
 * sample]. Groups: "transport" (the bare client), "driver" (the Laravel broadcaster's
 * broadcast() alone), "event" (broadcast(new ExampleEvent(...)) in the booted demo app).
 * A "spaced" case does SPACING_NS of other work before each call, as a request that broadcasts
 * once does, instead of calling back to back.
 */
const CASES = [
    'extension-async' => ['transport', '`Sidecast\Broadcaster::broadcast()`, asynchronous, back to back', 'extension', 20000, 1000],
    'extension-async-spaced' => ['transport', '`Sidecast\Broadcaster::broadcast()`, asynchronous, spaced by 50 µs of work', 'extension', 2000, 1],
    'extension-acknowledged' => ['transport', '`Sidecast\Broadcaster::broadcast(..., null, true)`, acknowledged', 'extension', 2000, 1],
    'plain-php' => ['transport', '`SocketTransport::publish()`, plain PHP, back to back', 'plain', 20000, 1000],
    'plain-php-spaced' => ['transport', '`SocketTransport::publish()`, plain PHP, spaced by 50 µs of work', 'plain', 2000, 1],
    'driver-sidecast-extension' => ['driver', '`SidecastBroadcaster`, extension transport', 'extension', 20000, 1000],
    'driver-sidecast-plain' => ['driver', '`SidecastBroadcaster`, plain-PHP transport', 'plain', 20000, 1000],
    'driver-redis-phpredis' => ['driver', '`RedisBroadcaster`, phpredis (stock Laravel)', 'plain', 5000, 1],
    'driver-redis-predis' => ['driver', '`RedisBroadcaster`, predis (stock Laravel)', 'plain', 5000, 1],
    'event-sidecast-extension' => ['event', '`sidecast` driver, extension transport', 'extension', 2000, 1],
    'event-sidecast-plain' => ['event', '`sidecast` driver, plain-PHP transport', 'plain', 2000, 1],
    'event-redis-phpredis' => ['event', '`redis` driver, phpredis (stock Laravel)', 'plain', 2000, 1],
    'event-redis-predis' => ['event', '`redis` driver, predis (stock Laravel)', 'plain', 2000, 1],
];

/** What a case times, and how it checks that the peer received every event. */
final class Subject
{
    /**
     * @param  Closure(int): void  $run  makes n calls
     * @param  Closure(): int  $received  counts the events the peer has received so far
     * @param  (Closure(): void)|null  $settle  runs after each round (untimed per call)
     * @param  (Closure(): void)|null  $pause  runs before each call (untimed)
     * @param  (Closure(): string)|null  $checkDelivery  checks what a subscriber receives; says what it saw
     */
    public function __construct(
        public readonly Closure $run,
        public readonly Closure $received,
        public readonly ?Closure $settle = null,
        public readonly ?Closure $pause = null,
        public readonly ?Closure $checkDelivery = null,
    ) {
    }
}

main($argv[1] ?? '');

function main(string $case): void
{
    if ($case === 'list') {
        foreach (CASES as $id => [, , $setup]) {
            echo "{$id} {$setup}\n";
        }

        return;
    }
    if (! isset(CASES[$case])) {
        fail('usage: php run.php list | <case>, where <case> is one of: '.implode(', ', array_keys(CASES)));
    }

    [$group, $label, $setup, $calls, $batch] = CASES[$case];
    if (extension_loaded('sidecast') !== ($setup === 'extension')) {
        fail("{$case} needs PHP ".($setup === 'extension' ? 'with' : 'without').' the sidecast extension loaded');
    }
    $rounds = (int) setting('BENCH_ROUNDS');
    $calls = intdiv($calls, (int) setting('BENCH_CALLS_DIVISOR'));
    $batch = min($batch, $calls);

    $subject = subject($case);
    $delivery = $subject->checkDelivery !== null ? ($subject->checkDelivery)() : null;
    $before = ($subject->received)();
    $timed = Timing::rounds($subject->run, $rounds, $calls, $batch, $subject->settle, $subject->pause);
    $received = ($subject->received)() - $before;
    $sent = Timing::totalCalls($rounds, $calls);
    if ($received !== $sent) {
        fail("{$case}: the peer received {$received} events, {$sent} were sent");
    }

    echo json_encode([
        'id' => $case,
        'group' => $group,
        'label' => $label,
        'calls' => $calls,
        'batch' => $batch,
        'spaced' => $subject->pause !== null,
        'payload_bytes' => strlen(json_encode(PAYLOAD)),
        'sent' => $sent,
        'received' => $received,
        'delivery' => $delivery,
    ] + $timed, JSON_THROW_ON_ERROR | JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE), "\n";
}

function subject(string $case): Subject
{
    $socket = setting('BENCH_SOCKET');
    $json = json_encode(PAYLOAD, JSON_THROW_ON_ERROR);
    $spacing = str_ends_with($case, '-spaced') ? busy(SPACING_NS) : null;

    switch ($case) {
        case 'extension-async':
        case 'extension-async-spaced':
        case 'extension-acknowledged':
            $broadcaster = new Sidecast\Broadcaster($socket);
            $acknowledged = $case === 'extension-acknowledged';
            $run = function (int $n) use ($broadcaster, $json, $acknowledged) {
                for ($i = 0; $i < $n; $i++) {
                    $broadcaster->broadcast([CHANNEL], EVENT, $json, null, $acknowledged);
                }
            };

            return new Subject($run, publications($broadcaster), flushing($broadcaster), $spacing);

        case 'plain-php':
        case 'plain-php-spaced':
            require ROOT.'/php/tests/bootstrap.php';
            $transport = new SocketTransport($socket, 1.0);
            $run = function (int $n) use ($transport, $json) {
                for ($i = 0; $i < $n; $i++) {
                    $transport->publish([CHANNEL], EVENT, $json, null);
                }
            };

            return new Subject($run, publications($transport), pause: $spacing);

        case 'driver-sidecast-extension':
        case 'driver-sidecast-plain':
            require ROOT.'/php/tests/bootstrap.php';
            // As SidecastServiceProvider builds it for the connection.
            $transport = TransportFactory::make(['socket' => $socket, 'transport' => $case === 'driver-sidecast-extension' ? 'extension' : 'socket']);

            return new Subject(callDriver(new SidecastBroadcaster($transport)), publications($transport), flushing($transport));

        case 'driver-redis-phpredis':
        case 'driver-redis-predis':
            require ROOT.'/php/tests/bootstrap.php';
            $client = $case === 'driver-redis-phpredis' ? 'phpredis' : 'predis';
            // As RedisServiceProvider and BroadcastManager build them, with the demo app's redis config.
            $redis = new RedisManager(new Container(), $client, [
                'client' => $client,
                'options' => ['prefix' => REDIS_PREFIX],
                'default' => ['host' => '127.0.0.1', 'password' => null, 'port' => setting('BENCH_REDIS_PORT'), 'database' => '0'],
            ]);
            $run = callDriver(new RedisBroadcaster($redis, 'default', REDIS_PREFIX));

            return new Subject($run, evalCalls(), checkDelivery: redisDelivery($run));

        case 'event-sidecast-extension':
        case 'event-sidecast-plain':
            bootDemoApp([
                'BROADCAST_DRIVER' => 'sidecast',
                'SIDECAST_SOCKET' => $socket,
                'SIDECAST_TRANSPORT' => $case === 'event-sidecast-extension' ? 'extension' : 'socket',
            ]);
            $transport = app(BroadcastManager::class)->connection()->transport();

            return new Subject(fireEvents(), publications($transport), flushing($transport));

        case 'event-redis-phpredis':
        case 'event-redis-predis':
            bootDemoApp([
                'BROADCAST_DRIVER' => 'redis',
                'REDIS_CLIENT' => $case === 'event-redis-phpredis' ? 'phpredis' : 'predis',
                'REDIS_HOST' => '127.0.0.1',
                'REDIS_PORT' => setting('BENCH_REDIS_PORT'),
            ]);
            $run = fireEvents();

            return new Subject($run, evalCalls(), checkDelivery: redisDelivery($run));
    }
    fail("no subject for {$case}");
}

/** Keeps the CPU busy for $nanoseconds, as a request's own work would. */
function busy(int $nanoseconds): Closure
{
    return function () use ($nanoseconds) {
        $until = hrtime(true) + $nanoseconds;
        while (hrtime(true) < $until) {
            // spin
        }
    };
}

/** Makes n calls of a Laravel broadcaster's broadcast(), as BroadcastEvent::handle() does. */
function callDriver(Illuminate\Contracts\Broadcasting\Broadcaster $driver): Closure
{
    $channels = [new Channel(CHANNEL)];

    return function (int $n) use ($driver, $channels) {
        for ($i = 0; $i < $n; $i++) {
            $driver->broadcast($channels, EVENT, PAYLOAD);
        }
    };
}

/** Fires n events the way an app does; the sync queue broadcasts each within the call. */
function fireEvents(): Closure
{
    return function (int $n) {
        for ($i = 0; $i < $n; $i++) {
            broadcast(new App\Events\ExampleEvent(DATA));
        }
    };
}

/**
 * Boots the demo app as artisan does, with $environment on top of the process's. The queue is
 * sync, so a ShouldBroadcast event is broadcast before broadcast() returns, and Laravel's
 * caches go to the bench's temporary directory, not into the app.
 *
 * @param  array<string, string>  $environment
 */
function bootDemoApp(array $environment): void
{
    $cache = setting('BENCH_TMP');
    $environment += [
        'QUEUE_CONNECTION' => 'sync',
        'APP_SERVICES_CACHE' => "{$cache}/services.php",
        'APP_PACKAGES_CACHE' => "{$cache}/packages.php",
        'APP_CONFIG_CACHE' => "{$cache}/config.php",
        'APP_ROUTES_CACHE' => "{$cache}/routes.php",
        'APP_EVENTS_CACHE' => "{$cache}/events.php",
    ];
    foreach ($environment as $name => $value) {
        putenv("{$name}={$value}");
        $_ENV[$name] = $_SERVER[$name] = $value;
    }

    require DEMO_APP.'/bootstrap/autoload.php';
    $app = require DEMO_APP.'/bootstrap/app.php';
    $app->make(Illuminate\Contracts\Console\Kernel::class)->bootstrap();
}

/**
 * Waits until the sidecar acknowledged everything buffered, between rounds: the extension's
 * buffer (100000 events, 8 MiB) then never fills. Plain PHP has nothing to wait for.
 *
 * @param  Sidecast\Broadcaster|Sidecast\Laravel\Contracts\Transport  $client
 */
function flushing(object $client): Closure
{
    return fn () => $client->flush(5.0) || fail('the sidecar did not acknowledge every event within 5 s');
}

/**
 * Counts the sidecar's publications, asked through $client after everything it sent; fails if
 * $client dropped an event or had one refused.
 *
 * @param  Sidecast\Broadcaster|Sidecast\Laravel\Contracts\Transport  $client
 */
function publications(object $client): Closure
{
    return function () use ($client) {
        $stats = $client->stats();
        if ($stats['client']['dropped'] !== 0 || $stats['client']['refused'] !== 0) {
            fail("the client dropped {$stats['client']['dropped']} events and had {$stats['client']['refused']} refused");
        }

        return $stats['server']['publications'];
    };
}

function evalCalls(): Closure
{
    $probe = new RedisProbe((int) setting('BENCH_REDIS_PORT'));

    return fn () => $probe->evalCalls();
}

/**
 * Checks what a subscriber receives from three calls: the event on its (prefixed) channel, in
 * the JSON laravel-echo-server reads from Laravel's redis driver.
 */
function redisDelivery(Closure $run): Closure
{
    return function () use ($run) {
        $sent = 3;
        $received = (new RedisProbe((int) setting('BENCH_REDIS_PORT')))->capture(fn () => $run($sent), $sent);
        $expected = json_encode(['event' => EVENT, 'data' => PAYLOAD, 'socket' => null], JSON_THROW_ON_ERROR);
        foreach ($received as [$channel, $message]) {
            if ($channel !== REDIS_PREFIX.CHANNEL || $message !== $expected) {
                fail("a subscriber received {$message} on {$channel}; expected {$expected} on ".REDIS_PREFIX.CHANNEL);
            }
        }
        if (count($received) !== $sent) {
            fail('a subscriber received '.count($received)." of {$sent} events");
        }

        return "a subscriber received {$sent} of {$sent} events as sent";
    };
}

function setting(string $name): string
{
    $value = getenv($name);
    if ($value === false || $value === '') {
        fail("{$name} is not set (run this through scripts/bench.sh)");
    }

    return $value;
}

function fail(string $message): never
{
    fwrite(STDERR, "bench: {$message}\n");
    exit(1);
}
