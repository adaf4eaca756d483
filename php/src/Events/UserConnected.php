<?php

namespace Sidecast\Laravel\Events;

/**
 * A user's first connection signed in (Echo's signin(), Pusher's user authentication, Laravel
 * 10 and later). $userId is the id your Broadcast::resolveAuthenticatedUserUsing() gave, as a
 * string. Told only when the sidecar tells user events (--lifecycle-events).
 */
class UserConnected
{
    public function __construct(public string $userId)
    {
    }
}
