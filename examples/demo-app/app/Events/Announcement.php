<?php

namespace App\Events;

use Illuminate\Broadcasting\Channel;
use Illuminate\Broadcasting\InteractsWithSockets;
use Illuminate\Contracts\Broadcasting\ShouldBroadcast;

/** A message for any channel, named as Echo sends it (`private-orders.1`, `presence-chat.1`). */
class Announcement implements ShouldBroadcast
{
    use InteractsWithSockets;

    public function __construct(private string $channel, public string $message)
    {
    }

    public function broadcastOn()
    {
        return new Channel($this->channel);
    }

    public function broadcastAs()
    {
        return 'announcement';
    }
}
