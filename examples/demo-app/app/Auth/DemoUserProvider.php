<?php

namespace App\Auth;

use App\Models\User;
use Illuminate\Contracts\Auth\Authenticatable;
use Illuminate\Contracts\Auth\UserProvider;

/** Finds the demo's users by id (session guard) or by API token (token guard). */
class DemoUserProvider implements UserProvider
{
    public function retrieveById($identifier)
    {
        return User::find($identifier);
    }

    public function retrieveByToken($identifier, $token)
    {
        return null;
    }

    public function updateRememberToken(Authenticatable $user, $token)
    {
    }

    public function retrieveByCredentials(array $credentials)
    {
        return User::findByToken($credentials['api_token'] ?? null);
    }

    public function validateCredentials(Authenticatable $user, array $credentials)
    {
        return false;
    }
}
