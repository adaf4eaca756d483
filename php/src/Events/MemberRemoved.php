<?php

namespace Sidecast\Laravel\Events;

/**
 * A user's last connection left a presence channel, and the user did not come back within the sidecar's grace period (a page reload is not a leave). $userId is the id routes/channels.php returned for the user, as a string.
 */
class MemberRemoved
{
    public function __construct(public string $channel, public string $userId)
    {
    }
}
