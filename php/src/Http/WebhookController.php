<?php

namespace Sidecast\Laravel\Http;

use Illuminate\Contracts\Config\Repository;
use Illuminate\Contracts\Events\Dispatcher;
use Illuminate\Http\JsonResponse;
use Illuminate\Http\Request;
use InvalidArgumentException;
use Sidecast\Laravel\Events\LifecycleEvents;

/**
 * Receives the sidecar's webhooks (Pusher's format) and dispatches each event as a Laravel
 * event (Sidecast\Laravel\Events\*), for set-ups where `sidecast:listen` cannot run beside the
 * sidecar. Only a request signed with the app's secret is believed: X-Pusher-Key must be the
 * app's key and X-Pusher-Signature the HMAC-SHA256 of the body with its secret; and only a
 * recent one, so that a captured request cannot be replayed later (the sidecar's retries end
 * within a minute). Events of a name this package does not know are skipped.
 */
class WebhookController
{
    /** How old (or how far ahead, for a skewed clock) a webhook's `time_ms` may be. */
    public const TOLERANCE_SECONDS = 300;

    public function __construct(private Dispatcher $events, private Repository $config)
    {
    }

    public function __invoke(Request $request): JsonResponse
    {
        $key = (string) $this->config->get('broadcasting.connections.sidecast.key');
        $secret = (string) $this->config->get('broadcasting.connections.sidecast.secret');
        if ($key === '' || $secret === '') {
            return new JsonResponse(['error' => 'set SIDECAST_APP_KEY and SIDECAST_APP_SECRET (the sidecar\'s --app-key and --app-secret) to receive webhooks'], 500);
        }
        $body = (string) $request->getContent();
        $signature = hash_hmac('sha256', $body, $secret);
        if (! hash_equals($key, (string) $request->header('X-Pusher-Key'))
            || ! hash_equals($signature, (string) $request->header('X-Pusher-Signature'))) {
            return new JsonResponse(['error' => 'the webhook is not signed with this app\'s key and secret'], 401);
        }
        $webhook = json_decode($body, true);
        if (! is_array($webhook) || ! is_array($webhook['events'] ?? null) || ! is_int($webhook['time_ms'] ?? null)) {
            return new JsonResponse(['error' => 'a webhook body is {"time_ms": …, "events": […]}'], 400);
        }
        if (abs(intdiv($webhook['time_ms'], 1000) - time()) > self::TOLERANCE_SECONDS) {
            return new JsonResponse(['error' => 'the webhook is too old (or its clock too far off) to be believed'], 401);
        }
        try {
            // All read first: a malformed event dispatches nothing of its webhook.
            $events = array_map([LifecycleEvents::class, 'fromWebhook'], $webhook['events']);
        } catch (InvalidArgumentException $e) {
            return new JsonResponse(['error' => $e->getMessage()], 400);
        }
        $known = array_filter($events);
        foreach ($known as $event) {
            $this->events->dispatch($event);
        }

        return new JsonResponse(['dispatched' => count($known), 'skipped' => count($events) - count($known)]);
    }
}
