<?php

namespace Sidecast\Laravel\Listener;

use RuntimeException;

/** The sidecar cannot be listened to now: not there, refusing, or gone; the message says which. */
final class Unavailable extends RuntimeException
{
}
