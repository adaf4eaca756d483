<?php

namespace Sidecast\Bench;

/**
 * Times a publish path in rounds and summarizes the rounds.
 *
 * A round is $calls calls. Calls that take microseconds are timed in batches of $batch calls
 * (one hrtime(true) pair per batch): reading the clock around every call would cost about as
 * much as the call itself. Slower calls are timed one by one ($batch = 1). $pause, when given,
 * runs untimed before each sample: work the caller does between two calls. Every round ends with
 * $settle (the extension's flush(), waiting for the sidecar to acknowledge everything), which is
 * left out of the per-call times but counted in the round's wall time, so the end-to-end
 * throughput includes the writer's work. One untimed round comes first, to warm up connections
 * and caches.
 */
final class Timing
{
    /**
     * @param  \Closure(int): void  $run  makes that many calls
     * @param  (\Closure(): void)|null  $settle
     * @param  (\Closure(): void)|null  $pause
     * @return array{per_call_ns: list<float>, samples_ns: list<float>, wall_ns: list<int>}
     *         per round, the mean time of one call and the round's wall time with $settle; all
     *         samples (one call's time, or a batch's mean per call) of every round
     */
    public static function rounds(\Closure $run, int $rounds, int $calls, int $batch, ?\Closure $settle = null, ?\Closure $pause = null): array
    {
        if ($calls % $batch !== 0) {
            throw new \InvalidArgumentException("{$calls} calls do not divide into batches of {$batch}");
        }

        $perCall = $samples = $wall = [];
        for ($round = 0; $round <= $rounds; $round++) {
            $warmUp = $round === 0;
            $roundSamples = [];
            $started = hrtime(true);
            for ($done = 0; $done < $calls; $done += $batch) {
                if ($pause !== null) {
                    $pause();
                }
                $before = hrtime(true);
                $run($batch);
                $roundSamples[] = (hrtime(true) - $before) / $batch;
            }
            if ($settle !== null) {
                $settle();
            }
            $elapsed = hrtime(true) - $started;
            if ($warmUp) {
                continue;
            }
            $perCall[] = array_sum($roundSamples) / count($roundSamples);
            $wall[] = $elapsed;
            array_push($samples, ...$roundSamples);
        }

        return ['per_call_ns' => $perCall, 'samples_ns' => $samples, 'wall_ns' => $wall];
    }

    /** The calls one rounds() run makes, warm-up included: what the peer must have received. */
    public static function totalCalls(int $rounds, int $calls): int
    {
        return ($rounds + 1) * $calls;
    }

    /**
     * @param  array{per_call_ns: list<float>, samples_ns: list<float>, wall_ns: list<int>}  $timed
     * @return array<string, float|int> times in µs per call; calls_per_s end to end (wall time)
     */
    public static function summary(array $timed, int $calls): array
    {
        $throughputs = array_map(fn (int $ns) => $calls / ($ns / 1e9), $timed['wall_ns']);

        return [
            'median_us' => self::percentile($timed['per_call_ns'], 50) / 1000,
            'fastest_round_us' => min($timed['per_call_ns']) / 1000,
            'slowest_round_us' => max($timed['per_call_ns']) / 1000,
            'p90_us' => self::percentile($timed['samples_ns'], 90) / 1000,
            'p99_us' => self::percentile($timed['samples_ns'], 99) / 1000,
            'calls_per_s' => self::percentile($throughputs, 50),
        ];
    }

    /** Nearest-rank percentile: the smallest value with at least $p % of the values at or below it. */
    public static function percentile(array $values, float $p): float
    {
        sort($values);
        $rank = (int) ceil($p / 100 * count($values));

        return (float) $values[max(0, $rank - 1)];
    }
}
