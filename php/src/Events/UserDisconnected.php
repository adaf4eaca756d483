<?php

namespace Sidecast\Laravel\Events;

/**
 * The last connection signed in as a user closed, and none came back within the grace period.
 * Told only when the sidecar tells user events (--lifecycle-events).
 */
class UserDisconnected
{
    public function __construct(public string $userId)
    {
    }
}
