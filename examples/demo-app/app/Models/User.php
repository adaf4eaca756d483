<?php

namespace App\Models;

use Illuminate\Contracts\Auth\Authenticatable;
use Illuminate\Notifications\Notifiable;

/**
 * The demo's users, without a database: user N is "User N", with the API token "token-N".
 * Enough for Laravel's session and token guards, channel callbacks and notifications.
 */
class User implements Authenticatable
{
    use Notifiable;

    public const COUNT = 200;

    public function __construct(public int $id, public string $name)
    {
    }

    public static function find($id): ?self
    {
        $id = filter_var($id, FILTER_VALIDATE_INT);

        return $id !== false && $id >= 1 && $id <= self::COUNT ? new self($id, "User {$id}") : null;
    }

    public static function findByToken(?string $token): ?self
    {
        return is_string($token) && preg_match('/^token-(\d+)$/', $token, $match) ? self::find($match[1]) : null;
    }

    public function getKey()
    {
        return $this->id;
    }

    public function getAuthIdentifierName()
    {
        return 'id';
    }

    public function getAuthIdentifier()
    {
        return $this->id;
    }

    public function getAuthPassword()
    {
        return '';
    }

    public function getRememberToken()
    {
        return null;
    }

    public function setRememberToken($value)
    {
    }

    public function getRememberTokenName()
    {
        return '';
    }
}
