<?php

namespace Sidecast\Laravel\Tests\Unit;

use PHPUnit\Framework\TestCase;

/**
 * stubs/sidecast.stubs.php must declare exactly what the loaded extension declares. Runs in the
 * test command's pass with the extension loaded.
 */
final class StubsTest extends TestCase
{
    private const DESCRIBE = __DIR__.'/../Support/describe-api.php';

    private const STUBS = __DIR__.'/../../../stubs/sidecast.stubs.php';

    public function test_the_stubs_match_the_loaded_extension(): void
    {
        if (! extension_loaded('sidecast')) {
            $this->markTestSkipped('the sidecast extension is not loaded in this run');
        }

        $fromExtension = $this->describe('extension', true);
        $fromStubs = $this->describe(realpath(self::STUBS), false);

        $this->assertStringContainsString('class Sidecast\Broadcaster', $fromExtension);
        $this->assertSame($fromExtension, $fromStubs);
    }

    private function describe(string $source, bool $withExtension): string
    {
        $extension = $withExtension ? ['-d', 'extension='.$this->loadedExtensionPath()] : [];
        $command = array_merge([PHP_BINARY, '-n'], $extension, [self::DESCRIBE, $source]);
        $process = proc_open($command, [1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes);
        $output = stream_get_contents($pipes[1]);
        $errors = stream_get_contents($pipes[2]);
        $status = proc_close($process);
        $this->assertSame(0, $status, "describe-api.php {$source} failed: {$errors}");

        return $output;
    }

    /** The extension file this process mapped, so the child reflects the very same build. */
    private function loadedExtensionPath(): string
    {
        preg_match('~\s(/\S*libsidecast\.so)$~m', (string) file_get_contents('/proc/self/maps'), $match);
        $this->assertNotEmpty($match, 'libsidecast.so is loaded but not found in /proc/self/maps');

        return $match[1];
    }
}
