<?php

namespace Sidecast\Laravel\Console;

/**
 * An app's .env (or .env.example), edited line by line the way a developer would: a key that
 * is already set keeps its place and is only replaced when asked; a missing one is appended.
 * Comments, blank lines and every other key are left exactly as they were.
 */
final class EnvFile
{
    private function __construct(private string $path, private string $text)
    {
    }

    /** The file at $path, or null when there is none. */
    public static function at(string $path): ?self
    {
        if (! is_file($path)) {
            return null;
        }
        $text = file_get_contents($path);

        return $text === false ? null : new self($path, $text);
    }

    /** The value of $key as written (quotes removed; the last line, as phpdotenv reads it), or null. */
    public function get(string $key): ?string
    {
        if (! preg_match_all('/^'.preg_quote($key, '/').'=(.*)$/m', $this->text, $matches)) {
            return null;
        }
        $value = trim(end($matches[1]));
        if (strlen($value) >= 2 && ($value[0] === '"' || $value[0] === "'") && $value[-1] === $value[0]) {
            $value = substr($value, 1, -1);
        }

        return $value;
    }

    /**
     * Sets $key to $value: appended when missing, its last line replaced in place when
     * $replace.
     *
     * @return bool whether the file changed
     */
    public function set(string $key, string $value, bool $replace = false): bool
    {
        $line = $key.'='.$value;
        $pattern = '/^'.preg_quote($key, '/').'=.*$/m';
        if (preg_match_all($pattern, $this->text, $matches, PREG_OFFSET_CAPTURE)) {
            if (! $replace || $this->get($key) === $value) {
                return false;
            }
            [$old, $at] = end($matches[0]);
            $this->text = substr_replace($this->text, $line, $at, strlen($old));
        } else {
            $this->text = rtrim($this->text, "\n").($this->text === '' ? '' : "\n").$line."\n";
        }

        return true;
    }

    public function save(): void
    {
        file_put_contents($this->path, $this->text);
    }
}
