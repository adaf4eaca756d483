<?php

namespace Sidecast\Laravel\Tests\Unit;

use Illuminate\Auth\GenericUser;
use Illuminate\Broadcasting\BroadcastException;
use Illuminate\Broadcasting\Channel;
use Illuminate\Broadcasting\PresenceChannel;
use Illuminate\Broadcasting\PrivateChannel;
use Illuminate\Container\Container;
use Illuminate\Http\Request;
use PHPUnit\Framework\TestCase;
use Sidecast\Laravel\SidecastBroadcaster;
use Sidecast\Laravel\Tests\Support\RecordingTransport;
use Symfony\Component\HttpKernel\Exception\AccessDeniedHttpException;

final class SidecastBroadcasterTest extends TestCase
{
    private RecordingTransport $transport;

    private SidecastBroadcaster $broadcaster;

    protected function setUp(): void
    {
        Container::setInstance(new Container);
        $this->transport = new RecordingTransport;
        $this->broadcaster = new SidecastBroadcaster($this->transport);
    }

    public function test_it_hands_the_payload_over_as_laravel_echo_server_delivered_it(): void
    {
        $this->broadcaster->broadcast(
            [new Channel('orders'), new PrivateChannel('orders.1'), new PresenceChannel('room.1'), 'plain'],
            'App\\Events\\OrderShipped',
            ['order' => ['id' => 1, 'note' => "caf\u{e9}"], 'socket' => null],
        );

        $this->assertSame([[
            'channels' => ['orders', 'private-orders.1', 'presence-room.1', 'plain'],
            'event' => 'App\\Events\\OrderShipped',
            'payload' => '{"order":{"id":1,"note":"caf\u00e9"},"socket":null}',
            'socketId' => null,
            'acknowledged' => null,
        ]], $this->transport->published);
    }

    public function test_it_passes_the_senders_socket_id_for_to_others_and_keeps_it_in_the_data(): void
    {
        $this->broadcaster->broadcast(['orders'], 'Shipped', ['id' => 1, 'socket' => 'AbC123']);

        $this->assertSame('AbC123', $this->transport->published[0]['socketId']);
        $this->assertSame('{"id":1,"socket":"AbC123"}', $this->transport->published[0]['payload']);
    }

    public function test_an_empty_socket_header_means_nobody_is_excluded(): void
    {
        $this->broadcaster->broadcast(['orders'], 'Shipped', ['socket' => '']);

        $this->assertNull($this->transport->published[0]['socketId']);
    }

    public function test_an_event_without_channels_is_not_sent(): void
    {
        $this->broadcaster->broadcast([], 'Shipped', ['id' => 1]);

        $this->assertSame([], $this->transport->published);
    }

    public function test_a_payload_json_cannot_express_fails_with_the_reason(): void
    {
        $this->expectException(BroadcastException::class);
        $this->expectExceptionMessage('cannot broadcast Shipped: its payload cannot be encoded as JSON (Malformed UTF-8');

        $this->broadcaster->broadcast(['orders'], 'Shipped', ['name' => "\xff"]);
    }

    public function test_private_channels_are_authorized_by_their_callbacks(): void
    {
        $this->broadcaster->channel('orders.{id}', fn ($user, $id) => (int) $user->id === (int) $id);

        $response = $this->broadcaster->auth($this->authRequest('private-orders.7', new GenericUser(['id' => 7])));

        $this->assertSame('true', $response);
    }

    public function test_a_user_the_callback_refuses_is_denied(): void
    {
        $this->broadcaster->channel('orders.{id}', fn ($user, $id) => (int) $user->id === (int) $id);

        $this->expectException(AccessDeniedHttpException::class);

        $this->broadcaster->auth($this->authRequest('private-orders.7', new GenericUser(['id' => 8])));
    }

    public function test_a_guest_is_denied_a_private_channel(): void
    {
        $this->broadcaster->channel('orders.{id}', fn () => true);

        $this->expectException(AccessDeniedHttpException::class);

        $this->broadcaster->auth($this->authRequest('private-orders.7', null));
    }

    public function test_presence_channels_answer_with_the_member_data_echo_expects(): void
    {
        $this->broadcaster->channel('room.{id}', fn ($user) => ['name' => $user->name]);

        $response = $this->broadcaster->auth($this->authRequest('presence-room.1', new GenericUser(['id' => 3, 'name' => 'Ann'])));

        $this->assertSame('{"channel_data":{"user_id":3,"user_info":{"name":"Ann"}}}', $response);
    }

    private function authRequest(string $channel, ?GenericUser $user): Request
    {
        $request = Request::create('/broadcasting/auth', 'POST', ['channel_name' => $channel]);
        $request->setUserResolver(fn () => $user);

        return $request;
    }
}
