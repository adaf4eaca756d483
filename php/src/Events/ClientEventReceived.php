<?php

namespace Sidecast\Laravel\Events;

/**
 * A client sent a client event (Echo's whisper) on a channel whose client events the sidecar
 * forwards (--lifecycle-client-events). $data is what the client sent, decoded; $userId is the
 * sender's user when the sidecar knows it: the member on a presence channel, the user the app
 * authorized on a private one (this package's driver names it), or the user a Pusher client
 * signed in as. The client chose the data: validate it before acting.
 */
class ClientEventReceived
{
    public function __construct(
        public string $channel,
        public string $event,
        public mixed $data,
        public string $socketId,
        public ?string $userId = null,
    ) {
    }
}
