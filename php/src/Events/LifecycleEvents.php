<?php

namespace Sidecast\Laravel\Events;

use InvalidArgumentException;

/**
 * The Laravel event of one lifecycle event as the sidecar (or Pusher) writes it in a webhook:
 * `{"name": "member_added", "channel": "presence-lobby", "user_id": "7"}`. An event of a name
 * this package does not know (one a newer sidecar sends, or Pusher's `cache_miss`) has none.
 */
final class LifecycleEvents
{
    /**
     * @throws InvalidArgumentException when $event is malformed
     */
    public static function fromWebhook(mixed $event): ?object
    {
        if (! is_array($event) || ! is_string($event['name'] ?? null)) {
            throw new InvalidArgumentException('a webhook event needs a "name" and a "channel"');
        }
        $user = match ($event['name']) {
            'user_connected' => UserConnected::class,
            'user_disconnected' => UserDisconnected::class,
            default => null,
        };
        if ($user !== null) {
            if (! is_string($event['user_id'] ?? null)) {
                throw new InvalidArgumentException("a {$event['name']} event needs a \"user_id\" string");
            }

            return new $user($event['user_id']);
        }
        if (! is_string($event['channel'] ?? null)) {
            throw new InvalidArgumentException('a webhook event needs a "name" and a "channel"');
        }
        $text = static function (string $field) use ($event): string {
            if (! is_string($event[$field] ?? null)) {
                throw new InvalidArgumentException("a {$event['name']} event needs a \"{$field}\" string");
            }

            return $event[$field];
        };

        return match ($event['name']) {
            'channel_occupied' => new ChannelOccupied($event['channel']),
            'channel_vacated' => new ChannelVacated($event['channel']),
            'member_added' => new MemberAdded($event['channel'], $text('user_id')),
            'member_removed' => new MemberRemoved($event['channel'], $text('user_id')),
            'client_event' => new ClientEventReceived(
                $event['channel'],
                $text('event'),
                json_decode($text('data'), true),
                $text('socket_id'),
                is_string($event['user_id'] ?? null) ? $event['user_id'] : null,
            ),
            'subscription_count' => new SubscriptionCountChanged(
                $event['channel'],
                is_int($event['subscription_count'] ?? null) && $event['subscription_count'] >= 0
                    ? $event['subscription_count']
                    : throw new InvalidArgumentException('a subscription_count event needs a "subscription_count" number'),
            ),
            default => null,
        };
    }
}
