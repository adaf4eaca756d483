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
 * Channel authorization answers in the same shape as the `redis` driver: `true` for private
 * channels and `{"channel_data": {"user_id", "user_info"}}` for presence channels.
 */
class SidecastBroadcaster extends Broadcaster
{
    use UsePusherChannelConventions;

    public function __construct(private Transport $transport)
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
        if (is_bool($result)) {
            return json_encode($result);
        }

        $channelName = $this->normalizeChannelName($request->channel_name);
        $user = $this->retrieveUser($request, $channelName);
        $userId = method_exists($user, 'getAuthIdentifierForBroadcasting')
            ? $user->getAuthIdentifierForBroadcasting()
            : $user->getAuthIdentifier();

        return json_encode(['channel_data' => [
            'user_id' => $userId,
            'user_info' => $result,
        ]]);
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

        try {
            $json = json_encode($payload, JSON_THROW_ON_ERROR);
        } catch (JsonException $e) {
            throw new BroadcastException("Sidecast: cannot broadcast {$event}: its payload cannot be encoded as JSON ({$e->getMessage()})", 0, $e);
        }

        $this->transport->publish(
            $this->formatChannels($channels),
            $event,
            $json,
            is_string($socketId) && $socketId !== '' ? $socketId : null,
        );
    }
}
