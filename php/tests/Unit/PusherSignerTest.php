<?php

namespace Sidecast\Laravel\Tests\Unit;

use Illuminate\Broadcasting\BroadcastException;
use PHPUnit\Framework\TestCase;
use Sidecast\Laravel\PusherSigner;

/**
 * Pusher's documented worked examples (key 278d425bdf160c739803, secret 7ad3773142a6692b25b8),
 * with digests computed independently; the sidecar's tests check the same vectors.
 */
final class PusherSignerTest extends TestCase
{
    private const KEY = '278d425bdf160c739803';

    private const SECRET = '7ad3773142a6692b25b8';

    private function signer(?string $masterKey = null): PusherSigner
    {
        return new PusherSigner(self::KEY, self::SECRET, $masterKey);
    }

    public function test_a_private_channel_is_signed_over_socket_and_channel(): void
    {
        $this->assertSame(
            ['auth' => self::KEY.':58df8b0c36d6982b82c3ecf6b4662e34fe8c25bba48f5369f135bf843651c3a4'],
            $this->signer()->channel('1234.1234', 'private-foobar'),
        );
    }

    public function test_a_presence_channel_is_signed_over_the_channel_data_it_returns(): void
    {
        $answer = $this->signer()->presence('1234.1234', 'presence-foobar', 10, ['name' => 'Mr. Channels']);

        $this->assertSame('{"user_id":10,"user_info":{"name":"Mr. Channels"}}', $answer['channel_data']);
        $this->assertSame(self::KEY.':31935e7d86dba64c2a90aed31fdc61869f9b22ba9d8863bba239c03ca481bc80', $answer['auth']);
        // No user_info when the callback gave none.
        $this->assertSame('{"user_id":"a"}', $this->signer()->presence('1.2', 'presence-x', 'a', null)['channel_data']);
    }

    public function test_a_user_sign_in_has_a_string_id_as_pusher_js_requires(): void
    {
        $answer = $this->signer()->user('1234.1234', ['id' => 12345, 'user_info' => ['name' => 'Ann']]);

        $this->assertSame('{"id":"12345","user_info":{"name":"Ann"}}', $answer['user_data']);
        $this->assertSame(self::KEY.':bfa914eeb7fd4d065731cf8e8aa3b9c4e3e6bd98f35474a1640f273824981425', $answer['auth']);
    }

    public function test_a_user_without_an_id_cannot_sign_in(): void
    {
        $this->expectException(BroadcastException::class);
        $this->signer()->user('1.2', ['name' => 'nobody']);
    }

    public function test_encrypted_channels_get_their_shared_secret_and_sealed_payloads(): void
    {
        $signer = $this->signer(implode('', array_map('chr', range(0, 31))));
        $answer = $signer->channel('1234.1234', 'private-encrypted-foo');
        $this->assertSame('E3I6KxLwqP1Rr/p1676Vpnrw23CkRdS5bkX5NazRkeY=', $answer['shared_secret']);

        $sealed = json_decode($signer->encrypt('private-encrypted-foo', '{"secret":1}'), true);
        $opened = sodium_crypto_secretbox_open(
            base64_decode($sealed['ciphertext']),
            base64_decode($sealed['nonce']),
            base64_decode($answer['shared_secret']),
        );
        $this->assertSame('{"secret":1}', $opened);
    }

    public function test_an_encrypted_channel_without_a_master_key_fails_with_the_reason(): void
    {
        $this->expectException(BroadcastException::class);
        $this->expectExceptionMessage('has no encryption_master_key_base64');
        $this->signer()->channel('1.2', 'private-encrypted-foo');
    }

    public function test_config_without_key_and_secret_gives_no_signer_and_a_bad_master_key_is_refused(): void
    {
        $this->assertNull(PusherSigner::fromConfig(['key' => 'k']));
        $this->assertNull(PusherSigner::fromConfig(['key' => null, 'secret' => null]));
        $this->assertInstanceOf(PusherSigner::class, PusherSigner::fromConfig(['key' => 'k', 'secret' => 's']));

        $this->expectException(BroadcastException::class);
        PusherSigner::fromConfig(['key' => 'k', 'secret' => 's', 'encryption_master_key_base64' => base64_encode('short')]);
    }

    public function test_pusher_socket_ids_are_told_from_socket_io_ones(): void
    {
        $this->assertTrue(PusherSigner::isPusherSocketId('123.456'));
        foreach (['AbC123xyz_-', '1.2.3', '12.', '.5', "1.2\n", '', null] as $other) {
            $this->assertFalse(PusherSigner::isPusherSocketId($other), var_export($other, true));
        }
    }
}
