<?php

namespace Sidecast\Laravel\Console;

/**
 * The `sidecast` executable: a path as configured, or a name looked up on PATH as a shell
 * would.
 */
final class SidecarBinary
{
    /** The executable's path, or null when there is none. */
    public static function find(string $binary): ?string
    {
        if ($binary === '') {
            return null;
        }
        if (str_contains($binary, '/')) {
            return is_file($binary) && is_executable($binary) ? $binary : null;
        }
        foreach (explode(PATH_SEPARATOR, (string) getenv('PATH')) as $dir) {
            $candidate = ($dir === '' ? '.' : $dir).'/'.$binary;
            if (is_file($candidate) && is_executable($candidate)) {
                return $candidate;
            }
        }

        return null;
    }

    /** What to do when find($binary) found nothing. */
    public static function missing(string $binary): string
    {
        return "The sidecast binary \"{$binary}\" was not found (looked on PATH when it is a bare name). "
            .'Build and install it with `cargo install --locked --path crates/server` from a sidecast checkout '
            .'(it lands in ~/.cargo/bin), or set SIDECAST_BINARY to its full path.';
    }

    /** The binary's `--version` line, or null when it does not run. */
    public static function version(string $path): ?string
    {
        $output = [];
        $status = 1;
        exec(escapeshellarg($path).' --version 2>/dev/null', $output, $status);

        return $status === 0 && isset($output[0]) ? trim($output[0]) : null;
    }
}
