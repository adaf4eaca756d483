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
use Sidecast\Laravel\PusherSigner;
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

        $this->assertSame('{"user_id":7}', $response, 'any 200 authorizes; the user is named for client events');
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

    public function test_pusher_clients_get_a_signature_and_socket_io_clients_todays_answer(): void
    {
        $broadcaster = new SidecastBroadcaster($this->transport, new PusherSigner('key', 'secret'));
        $broadcaster->channel('orders.{id}', fn ($user, $id) => (int) $user->id === (int) $id);
        $broadcaster->channel('room.{id}', fn ($user) => ['name' => $user->name]);
        $ann = new GenericUser(['id' => 7, 'name' => 'Ann']);
        $sign = fn (string $text) => 'key:'.hash_hmac('sha256', $text, 'secret');

        $this->assertSame(
            json_encode(['auth' => $sign('12.34:private-orders.7')]),
            $broadcaster->auth($this->authRequest('private-orders.7', $ann, '12.34')),
        );
        $this->assertSame('{"user_id":7}', $broadcaster->auth($this->authRequest('private-orders.7', $ann, 'AbCdEf0123456789')));

        $presence = json_decode($broadcaster->auth($this->authRequest('presence-room.1', $ann, '12.34')), true);
        // The id keeps its type: the same member key as the socket.io answer's.
        $this->assertSame('{"user_id":7,"user_info":{"name":"Ann"}}', $presence['channel_data']);
        $this->assertSame($sign('12.34:presence-room.1:'.$presence['channel_data']), $presence['auth']);
        $this->assertSame(
            '{"channel_data":{"user_id":7,"user_info":{"name":"Ann"}}}',
            $broadcaster->auth($this->authRequest('presence-room.1', $ann, 'AbCdEf0123456789')),
        );

        $this->expectException(AccessDeniedHttpException::class);
        $broadcaster->auth($this->authRequest('private-orders.8', $ann, '12.34'));
    }

    public function test_without_a_key_and_secret_pusher_socket_ids_get_the_socket_io_answer(): void
    {
        $this->broadcaster->channel('orders.{id}', fn () => true);

        $this->assertSame('{"user_id":7}', $this->broadcaster->auth($this->authRequest('private-orders.7', new GenericUser(['id' => 7]), '12.34')));
    }

    public function test_encrypted_channels_are_sealed_one_by_one_and_the_rest_share_a_frame(): void
    {
        $masterKey = random_bytes(32);
        $broadcaster = new SidecastBroadcaster($this->transport, new PusherSigner('key', 'secret', $masterKey));

        $broadcaster->broadcast(['private-encrypted-a', 'plain', 'private-encrypted-b', 'private-x'], 'Said', ['text' => 'hi', 'socket' => '1.2']);

        $published = $this->transport->published;
        $this->assertSame(['private-encrypted-a'], $published[0]['channels']);
        $this->assertSame(['private-encrypted-b'], $published[1]['channels']);
        $this->assertSame(['plain', 'private-x'], $published[2]['channels']);
        $this->assertSame('{"text":"hi","socket":"1.2"}', $published[2]['payload']);
        foreach ([0 => 'private-encrypted-a', 1 => 'private-encrypted-b'] as $i => $channel) {
            $this->assertSame('1.2', $published[$i]['socketId']);
            $sealed = json_decode($published[$i]['payload'], true);
            $this->assertSame(['nonce', 'ciphertext'], array_keys($sealed));
            $opened = sodium_crypto_secretbox_open(
                base64_decode($sealed['ciphertext']),
                base64_decode($sealed['nonce']),
                hash('sha256', $channel.$masterKey, true),
            );
            $this->assertSame('{"text":"hi","socket":"1.2"}', $opened);
        }
    }

    public function test_an_encrypted_channel_without_a_signer_is_refused_and_nothing_is_sent(): void
    {
        try {
            $this->broadcaster->broadcast(['private-encrypted-a'], 'Said', []);
            $this->fail('expected a BroadcastException');
        } catch (BroadcastException $e) {
            $this->assertStringContainsString('encrypted channels need', $e->getMessage());
        }
        $this->assertSame([], $this->transport->published);
    }

    public function test_a_user_sign_in_is_signed_for_pusher_sockets_only(): void
    {
        if (! method_exists(\Illuminate\Broadcasting\Broadcasters\Broadcaster::class, 'resolveAuthenticatedUserUsing')) {
            // Laravel 8 and 9 have no user authentication: the answer is always a refusal.
            $this->assertNull($this->broadcaster->resolveAuthenticatedUser($this->authRequest('', null, '12.34')));

            return;
        }
        $broadcaster = new SidecastBroadcaster($this->transport, new PusherSigner('key', 'secret'));
        $broadcaster->resolveAuthenticatedUserUsing(fn () => ['id' => 7, 'name' => 'Ann']);
        $answer = $broadcaster->resolveAuthenticatedUser($this->authRequest('', null, '12.34'));
        $this->assertSame('{"id":"7","name":"Ann"}', $answer['user_data']);
        $this->assertNull($broadcaster->resolveAuthenticatedUser($this->authRequest('', null, 'AbCdEf0123456789')));
    }

    private function authRequest(string $channel, ?GenericUser $user, ?string $socketId = null): Request
    {
        $fields = ['channel_name' => $channel] + ($socketId === null ? [] : ['socket_id' => $socketId]);
        $request = Request::create('/broadcasting/auth', 'POST', $fields);
        $request->setUserResolver(fn () => $user);

        return $request;
    }
}
