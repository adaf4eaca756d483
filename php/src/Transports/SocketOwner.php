<?php

namespace Sidecast\Laravel\Transports;

/**
 * Whose socket PHP is about to send events to. Another local user who creates the socket file
 * before the sidecar does (in /tmp, say) would receive every event, private ones included; so
 * before each connection the socket's owner must be one PHP can trust:
 *
 * - root, or the user PHP runs as;
 * - or the owner of the directory holding the socket, when neither that directory nor its
 *   parent can be written by other users, so nobody else could have made either.
 *
 * The extension applies the same rule (crates/ext/src/owner.rs).
 */
final class SocketOwner
{
    /** Writable by users other than the owner and the group. */
    private const OTHERS_WRITE = 02;

    /**
     * What is wrong and what to do, when the socket at $path belongs to a user PHP cannot
     * trust; null when it may be used. A socket that is not there is left to the connection
     * to report.
     */
    public static function problem(string $path): ?string
    {
        $socket = @realpath($path);
        if ($socket === false) {
            return null;
        }
        clearstatcache(true, $socket);
        $owner = @fileowner($socket);
        if ($owner === false) {
            return null;
        }
        if ($owner === 0 || $owner === self::processUser() || self::ownedByAPrivateDirectory($socket, $owner)) {
            return null;
        }

        return "the socket at {$path} belongs to user {$owner}, and its directory could have been made by anyone: "
            .'another user may be posing as the sidecar, so nothing was sent. Give the socket a directory of the '
            ."sidecar's user that others cannot write to (sidecast start --socket /run/sidecast/sidecast.sock, and "
            ."the same path in SIDECAST_SOCKET), or run the sidecar as root or as PHP's user";
    }

    /** The effective user of this process: /proc/self belongs to it. */
    private static function processUser(): ?int
    {
        if (function_exists('posix_geteuid')) {
            return posix_geteuid();
        }
        clearstatcache(true, '/proc/self');
        $owner = @fileowner('/proc/self');

        return $owner === false ? null : $owner;
    }

    private static function ownedByAPrivateDirectory(string $socket, int $owner): bool
    {
        $dir = dirname($socket);
        $private = static function (string $path): bool {
            clearstatcache(true, $path);
            $mode = @fileperms($path);

            return $mode !== false && ($mode & self::OTHERS_WRITE) === 0;
        };
        clearstatcache(true, $dir);

        return @fileowner($dir) === $owner
            && $private($dir)
            && ($dir === '/' || $private(dirname($dir)));
    }
}
