<?php

namespace Sidecast\Laravel\Tests\Unit\Listener;

use PHPUnit\Framework\TestCase;
use Sidecast\Laravel\Listener\Connection;
use Sidecast\Laravel\Listener\Unavailable;
use Sidecast\Laravel\Tests\Support\RealSidecar;

/**
 * The listener's connection against the real sidecar: refused with the reason when the sidecar
 * keeps no events for it or another listener holds them, quiet while nothing happens, and told
 * when the sidecar goes. Events themselves, from Echo clients, are checked end to end
 * (tests/e2e/lifecycle-laravel.test.mjs).
 */
final class ConnectionTest extends TestCase
{
    private ?RealSidecar $sidecar = null;

    protected function tearDown(): void
    {
        $this->sidecar?->stop();
    }

    private function sidecar(array $options): RealSidecar
    {
        return $this->sidecar = RealSidecar::inTemporaryDirectory()->start($options);
    }

    public function test_a_sidecar_without_listener_refuses_and_says_how_to_turn_it_on(): void
    {
        $sidecar = $this->sidecar([]);
        $this->expectException(Unavailable::class);
        $this->expectExceptionMessage('refused to send events: lifecycle events are not kept for a listener: start the sidecar with --listener');

        Connection::open($sidecar->path, 5.0);
    }

    public function test_one_listener_at_a_time_and_the_next_takes_over_when_it_goes(): void
    {
        $sidecar = $this->sidecar(['--listener']);
        $first = Connection::open($sidecar->path, 5.0);
        $this->assertNull($first->event(0.2), 'nothing happened');
        try {
            Connection::open($sidecar->path, 5.0);
            $this->fail('a second listener was accepted');
        } catch (Unavailable $e) {
            $this->assertStringContainsString('another listener is connected', $e->getMessage());
        }
        $first->confirm(0);
        $first->close();

        $deadline = microtime(true) + 5;
        while (true) {
            try {
                $second = Connection::open($sidecar->path, 5.0);
                break;
            } catch (Unavailable $e) {
                // The sidecar notices the first one's end a moment later.
                $this->assertLessThan($deadline, microtime(true), $e->getMessage());
                usleep(20_000);
            }
        }
        $this->assertNull($second->event(0.1));
        $second->close();
    }

    public function test_a_sidecar_that_stops_ends_the_connection_with_a_reason(): void
    {
        $sidecar = $this->sidecar(['--listener']);
        $listener = Connection::open($sidecar->path, 5.0);
        $sidecar->stop();
        $this->sidecar = null;
        $this->expectException(Unavailable::class);
        $this->expectExceptionMessage('the sidecar closed the connection');

        for ($i = 0; $i < 50; $i++) {
            $listener->event(0.1);
        }
    }

    public function test_no_sidecar_at_all_is_said_in_words(): void
    {
        $this->expectException(Unavailable::class);
        $this->expectExceptionMessage('no such socket file');

        Connection::open(sys_get_temp_dir().'/sidecast-none-'.bin2hex(random_bytes(4)).'/sidecast.sock', 1.0);
    }
}
