<?php

namespace Sidecast\Laravel;

use Illuminate\Broadcasting\BroadcastException;
use Illuminate\Broadcasting\Broadcasters\Broadcaster;
use Illuminate\Broadcasting\Broadcasters\UsePusherChannelConventions;
use JsonException;
use Sidecast\Laravel\Contracts\Transport;
use Symfony\Component\HttpKernel\Exception\AccessDeniedHttpException;

/**
 * The `sidecast` broadcast driver.
 *
 * Events go to the sidecar through a Transport (the extension or plain PHP). Clients receive
 * exactly what laravel-echo-server gave them for Laravel's `redis` driver: the event's public
 * data with the `socket` key left in, so moving an app over changes nothing in its frontend.
 * Channel authorization answers socket.io clients in the same shape as the `redis` driver
 * (`true` for private channels, `{"channel_data": {"user_id", "user_info"}}` for presence
 * channels) and Pusher-protocol clients, recognised by their socket id, with the app's
 * signature as the `pusher` driver does, when the connection has a key and secret: one app
 * serves both kinds of client.
 */
class SidecastBroadcaster extends Broadcaster
{
    use UsePusherChannelConventions;

    public function __construct(private Transport $transport, private ?PusherSigner $pusher = null)
    {
    }

    /** The transport events go through, for diagnostics (`Broadcast::connection()->transport()`). */
    public function transport(): Transport
    {
        return $this->transport;
    }

    /**
     * Authorizes a client's subscription to a private or presence channel.
     *
     * @param  \Illuminate\Http\Request  $request
     * @return mixed
     *
     * @throws AccessDeniedHttpException
     */
    public function auth($request)
    {
        $channelName = $this->normalizeChannelName($request->channel_name);

        if (empty($request->channel_name) ||
            ($this->isGuardedChannel($request->channel_name) &&
            ! $this->retrieveUser($request, $channelName))) {
            throw new AccessDeniedHttpException;
        }

        return parent::verifyUserCanAccessChannel($request, $channelName);
    }

    /**
     * @param  \Illuminate\Http\Request  $request
     * @param  mixed  $result
     * @return mixed
     */
    public function validAuthenticationResponse($request, $result)
    {
        $channel = (string) $request->channel_name;
        $socketId = is_string($request->socket_id) ? $request->socket_id : null;
        $isPresence = str_starts_with($channel, 'presence-');

        if ($this->pusher !== null && PusherSigner::isPusherSocketId($socketId)) {
            return json_encode($isPresence
                ? $this->pusher->presence($socketId, $channel, $this->userId($request, $channel), $result)
                : $this->pusher->channel($socketId, $channel));
        }

        if (! $isPresence) {
            // Any 200 authorizes; the user is named for the channel's client events
            // (docs/lifecycle-events.md).
            return json_encode(['user_id' => $this->userId($request, $channel)]);
        }

        return json_encode(['channel_data' => [
            'user_id' => $this->userId($request, $channel),
            'user_info' => $result,
        ]]);
    }

    /**
     * Answers `/broadcasting/user-auth` (Laravel 10+, Echo's `signin()`): the user the app's
     * `Broadcast::resolveAuthenticatedUserUsing()` callback describes, signed for the Pusher
     * socket that asks. Null (refused) without a callback, a user or a Pusher socket id.
     *
     * @param  \Illuminate\Http\Request  $request
     * @return array|null
     */
    public function resolveAuthenticatedUser($request)
    {
        $user = method_exists(parent::class, 'resolveAuthenticatedUser')
            ? parent::resolveAuthenticatedUser($request)
            : null;
        $socketId = is_string($request->socket_id) ? $request->socket_id : null;
        if (! is_array($user) || $this->pusher === null || ! PusherSigner::isPusherSocketId($socketId)) {
            return null;
        }

        return $this->pusher->user($socketId, $user);
    }

    /** The broadcasting id of the user the request authenticates for `channel`. */
    private function userId($request, string $channel): mixed
    {
        $user = $this->retrieveUser($request, $this->normalizeChannelName($channel));

        return method_exists($user, 'getAuthIdentifierForBroadcasting')
            ? $user->getAuthIdentifierForBroadcasting()
            : $user->getAuthIdentifier();
    }

    /**
     * @param  array  $channels
     * @param  string  $event
     * @param  array  $payload
     * @return void
     *
     * @throws BroadcastException
     */
    public function broadcast(array $channels, $event, array $payload = [])
    {
        if (empty($channels)) {
            return;
        }

        $socketId = $payload['socket'] ?? null;
        $socketId = is_string($socketId) && $socketId !== '' ? $socketId : null;

        try {
            $json = json_encode($payload, JSON_THROW_ON_ERROR);
        } catch (JsonException $e) {
            throw new BroadcastException("Sidecast: cannot broadcast {$event}: its payload cannot be encoded as JSON ({$e->getMessage()})", 0, $e);
        }

        // Each encrypted channel gets the payload sealed with its own key; the others share one
        // frame.
        $plain = [];
        foreach ($this->formatChannels($channels) as $channel) {
            if (! PusherSigner::isEncrypted($channel)) {
                $plain[] = $channel;
            } elseif ($this->pusher === null) {
                throw new BroadcastException("Sidecast: cannot broadcast {$event} on {$channel}: encrypted channels need the connection's key, secret and encryption_master_key_base64");
            } else {
                $this->transport->publish([$channel], $event, $this->pusher->encrypt($channel, $json), $socketId);
            }
        }
        if ($plain !== []) {
            $this->transport->publish($plain, $event, $json, $socketId);
        }
    }
}
