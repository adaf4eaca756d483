<?php

namespace Sidecast\Laravel\Events;

/**
 * How many sockets are subscribed to a channel, after it changed: the last count of each
 * 50 ms, and only when the sidecar tells subscription counts (--lifecycle-events).
 */
class SubscriptionCountChanged
{
    public function __construct(public string $channel, public int $count)
    {
    }
}
