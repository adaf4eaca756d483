<?php

namespace Sidecast\Laravel\Events;

/**
 * A channel got its first subscriber.
 */
class ChannelOccupied
{
    public function __construct(public string $channel)
    {
    }
}
