<?php

namespace Sidecast\Laravel\Events;

/**
 * A user's first connection joined a presence channel. $userId is the id routes/channels.php returned for the user, as a string.
 */
class MemberAdded
{
    public function __construct(public string $channel, public string $userId)
    {
    }
}
