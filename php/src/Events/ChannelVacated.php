<?php

namespace Sidecast\Laravel\Events;

/**
 * A channel's last subscriber left, and none came back within the sidecar's grace period.
 */
class ChannelVacated
{
    public function __construct(public string $channel)
    {
    }
}
