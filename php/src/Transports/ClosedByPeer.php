<?php

namespace Sidecast\Laravel\Transports;

/** A kept connection failed on write: the sidecar closed it, most likely by restarting. */
final class ClosedByPeer extends SendFailure
{
}
