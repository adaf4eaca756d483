<?php

/**
 * Writes the results of the PHP publish-path benchmark into docs/benchmarks.md, between
 * <!-- php-publish:start --> and <!-- php-publish:end -->, and prints that section. The rest of
 * the file is kept; a file without the section gets it appended, a missing file is created.
 *
 *     php report.php <results.jsonl> <docs/benchmarks.md>
 *
 * results.jsonl holds one line per case and pass from run.php; the passes of a case are
 * summarized together. The run's circumstances come from the environment: BENCH_DATE,
 * BENCH_COMMIT, BENCH_COMMAND, BENCH_CPU, BENCH_CORES, BENCH_KERNEL, BENCH_PHP, BENCH_REDIS,
 * BENCH_LOAD_BEFORE, BENCH_LOAD_AFTER.
 */

use Sidecast\Bench\Timing;

require __DIR__.'/Timing.php';

const START = '<!-- php-publish:start -->';
const END = '<!-- php-publish:end -->';

const INTRODUCTION = <<<'MD'
# Benchmarks

Every figure on this page is written by a benchmark command, from one run on one machine, with
the things compared side by side in that same run. The machine the committed figures come from
is small and shared, so read the medians and the ratios rather than any single number, and rerun
the command on your own hardware: each section says how.

MD;

const GROUPS = [
    'transport' => ['The client alone', 'driver-redis-phpredis', 'vs the redis driver call (phpredis)'],
    'driver' => ['The Laravel driver call alone: `$broadcaster->broadcast($channels, $event, $payload)`', 'driver-redis-phpredis', 'vs the redis driver call (phpredis)'],
    'event' => ['A full `broadcast(new ExampleEvent(...))` in the demo app (Laravel 8.83, sync queue)', 'event-redis-phpredis', 'vs `redis` with phpredis'],
];

main($argv[1] ?? '', $argv[2] ?? '');

function main(string $resultsFile, string $docsFile): void
{
    if ($resultsFile === '' || $docsFile === '') {
        fwrite(STDERR, "usage: php report.php <results.jsonl> <docs/benchmarks.md>\n");
        exit(2);
    }
    $passes = [];
    foreach (file($resultsFile, FILE_IGNORE_NEW_LINES | FILE_SKIP_EMPTY_LINES) as $line) {
        $pass = json_decode($line, true, 512, JSON_THROW_ON_ERROR);
        $passes[$pass['id']][] = $pass;
    }

    $section = section(array_map(summarize(...), $passes));
    $existing = is_file($docsFile) ? file_get_contents($docsFile) : INTRODUCTION;
    file_put_contents($docsFile, splice($existing, $section));
    echo $section, "\n";
}

/** One case's passes as one result: its rounds and samples pooled, its checks added up. */
function summarize(array $passes): array
{
    $result = $passes[0];
    foreach (['per_call_ns', 'samples_ns', 'wall_ns'] as $timings) {
        $result[$timings] = array_merge(...array_column($passes, $timings));
    }
    $result['passes'] = count($passes);
    $result['rounds'] = count($result['per_call_ns']);
    $result['sent'] = array_sum(array_column($passes, 'sent'));
    $result['received'] = array_sum(array_column($passes, 'received'));
    $result += Timing::summary($result, $result['calls']);
    if ($result['spaced']) {
        // Those rounds' wall time includes the busy work between calls.
        unset($result['calls_per_s']);
    }

    return $result;
}

/** $document with its section replaced by $section, or with $section appended. */
function splice(string $document, string $section): string
{
    $start = strpos($document, START);
    $end = strpos($document, END);
    if ($start === false || $end === false || $end < $start) {
        return rtrim($document)."\n\n".$section."\n";
    }

    return substr($document, 0, $start).$section.substr($document, $end + strlen(END));
}

function section(array $results): string
{
    $any = reset($results);
    $asyncBackToBack = $results['extension-async']['median_us'];
    $asyncSpaced = $results['extension-async-spaced']['median_us'];
    $driverSpeedUp = speedUp($results['driver-redis-phpredis'], $results['driver-sidecast-extension']);
    $driverSpeedUpPredis = speedUp($results['driver-redis-predis'], $results['driver-sidecast-extension']);

    $lines = [
        START,
        '## Publishing from PHP: sidecast and Laravel\'s redis broadcaster',
        '',
        paragraph(sprintf('Written by `%s` on %s, commit `%s`. %d timed rounds per case, in %d passes over all the cases (so that a burst of load on the shared machine falls on every case rather than on one); each pass runs a case in a fresh PHP process, with one untimed warm-up round first. Run `./scripts/bench.sh` to measure again (`--quick` for a short trial run).', env('BENCH_COMMAND'), env('BENCH_DATE'), env('BENCH_COMMIT'), $any['rounds'], $any['passes'])),
        '',
        paragraph(sprintf('Machine: %s, %s cores (`nproc`), %s, %s, %s. Load average (1, 5, 15 min) %s when the run started, %s when it ended. PHP, its writer thread, the sidecar and redis-server all share these cores.', env('BENCH_CPU'), env('BENCH_CORES'), env('BENCH_KERNEL'), env('BENCH_PHP'), env('BENCH_REDIS'), env('BENCH_LOAD_BEFORE'), env('BENCH_LOAD_AFTER'))),
        '',
        paragraph(sprintf('Every case sends the same event: `App\Events\ExampleEvent` on `example-channel`, with the %d-byte JSON payload Laravel hands a broadcaster (`{"data":{...},"socket":null}`). The script starts a sidecar (`sidecast start`) and a `redis-server` on this machine, with no subscribers while timing, and runs each case in its own PHP process, with the extension loaded only where it is used. Every case checks at the peer that each event it sent arrived (see [Checks](#checks)).', $any['payload_bytes'])),
        '',
        '### Goals',
        '',
        '| goal | this run | met |',
        '|---|---|---|',
        sprintf('| asynchronous `broadcast()` under 1 µs median | %s µs back to back; %s µs when each call follows 50 µs of other work | %s |', micros($asyncBackToBack), micros($asyncSpaced), $asyncBackToBack < 1.0 ? 'yes' : '**no**'),
        sprintf('| the Laravel driver call with the extension at least 10× faster than the stock redis driver call | %s× phpredis (%s× predis) | %s |', ratio($driverSpeedUp), ratio($driverSpeedUpPredis), $driverSpeedUp >= 10 ? 'yes' : '**no**'),
        '',
    ];

    foreach (GROUPS as $group => [$title, $baselineId, $versus]) {
        array_push($lines, "### {$title}", '', "| path | calls × rounds | median µs/call | fastest–slowest round | p90 | p99 | calls/s end to end | {$versus} |", '|---|---|---|---|---|---|---|---|');
        foreach ($results as $result) {
            if ($result['group'] === $group) {
                $lines[] = row($result, $results[$baselineId]);
            }
        }
        $lines[] = '';
    }

    array_push(
        $lines,
        paragraph('How to read these: *median* is the median over the rounds of a round\'s mean time per call, and *fastest–slowest round* the range of those means. *p90* and *p99* are over single calls timed with `hrtime(true)`, or, marked †, over the means of batches of calls where one call is too short to time alone (so they hide single slow calls). *Calls/s end to end* is a round\'s calls over its wall time, including for the extension the `flush()` after each round that waits until the sidecar acknowledged every event; left out where calls are spaced by busy work. The last column is the baseline\'s median over this path\'s.'),
        '',
        paragraph('*Spaced by 50 µs of work*: each call follows 50 µs of busy CPU work in the same process, as in a request that broadcasts once, instead of coming straight after the previous call. Back to back, the extension\'s writer thread is already awake and sending; spaced, every call has to wake it.'),
        '',
        '### Checks',
        '',
        paragraph('So that no figure comes from a path that silently fails, every case counts at the peer what it sent, warm-up included: the sidecar\'s `publications` counter (`stats()`, asked after the last flush) for sidecast, and redis-server\'s EVAL count (`INFO commandstats`) for Laravel\'s redis broadcaster, which publishes with one EVAL per broadcast. The redis cases also subscribe (`PSUBSCRIBE *`) and check that three events arrive on the prefixed channel exactly as laravel-echo-server reads them. A mismatch stops the benchmark.'),
        '',
    );
    foreach ($results as $result) {
        $delivery = $result['delivery'] !== null ? "; in each pass, {$result['delivery']}" : '';
        $lines[] = wordwrap("- {$result['label']} ({$result['group']}): {$result['received']} of {$result['sent']} events counted at the peer{$delivery}.", 100, "\n  ", false);
    }
    $lines[] = END;

    return implode("\n", $lines);
}

function row(array $result, array $baseline): string
{
    $batched = $result['batch'] > 1;
    $mark = $batched ? ' †' : '';
    $calls = "{$result['calls']} × {$result['rounds']}".($batched ? " (batches of {$result['batch']})" : '');
    $versus = $result['id'] === $baseline['id'] ? 'baseline' : comparison(speedUp($baseline, $result));

    return sprintf(
        '| %s | %s | **%s** | %s–%s | %s%s | %s%s | %s | %s |',
        $result['label'],
        $calls,
        micros($result['median_us']),
        micros($result['fastest_round_us']),
        micros($result['slowest_round_us']),
        micros($result['p90_us']),
        $mark,
        micros($result['p99_us']),
        $mark,
        isset($result['calls_per_s']) ? number_format($result['calls_per_s']) : '—',
        $versus,
    );
}

/** Wraps prose at 100 columns, as the rest of docs/ is wrapped. */
function paragraph(string $text): string
{
    return wordwrap($text, 100, "\n", false);
}

/** How many times faster $result's median is than $baseline's. */
function speedUp(array $baseline, array $result): float
{
    return $baseline['median_us'] / $result['median_us'];
}

function comparison(float $speedUp): string
{
    return $speedUp >= 1 ? ratio($speedUp).'× faster' : ratio(1 / $speedUp).'× slower';
}

function ratio(float $ratio): string
{
    return $ratio >= 10 ? number_format($ratio) : number_format($ratio, 1);
}

function micros(float $us): string
{
    return match (true) {
        $us < 10 => number_format($us, 2),
        $us < 100 => number_format($us, 1),
        default => number_format($us),
    };
}

function env(string $name): string
{
    $value = getenv($name);
    if ($value === false || $value === '') {
        fwrite(STDERR, "report: {$name} is not set (run this through scripts/bench.sh)\n");
        exit(2);
    }

    return $value;
}
