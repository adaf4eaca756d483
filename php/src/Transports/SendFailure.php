<?php

namespace Sidecast\Laravel\Transports;

/**
 * Why SocketTransport could not hand over a frame. A value, not a thrown exception: the
 * transport decides whether to retry before anything reaches the caller.
 */
class SendFailure
{
    public function __construct(private string $message)
    {
    }

    public function getMessage(): string
    {
        return $this->message;
    }
}
