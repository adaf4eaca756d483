<?php

namespace Sidecast\Laravel;

use Illuminate\Broadcasting\BroadcastException;

/**
 * Signs what Pusher-protocol clients (pusher-js, Echo's `reverb` and `pusher` broadcasters)
 * bring to the sidecar, as pusher-http-php signs it for Laravel's `pusher` driver: channel
 * subscriptions, presence members, user sign-ins, and the payloads of encrypted channels.
 *
 * The sidecar checks each signature with the same secret; nothing here talks to it.
 */
final class PusherSigner
{
    private const SOCKET_ID = '/\A\d+\.\d+\z/';

    private const ENCRYPTED_PREFIX = 'private-encrypted-';

    /**
     * @param  string|null  $masterKey  raw bytes of the encryption master key, for
     *                                  `private-encrypted-` channels
     */
    public function __construct(
        private string $key,
        private string $secret,
        private ?string $masterKey = null,
    ) {
    }

    /**
     * The signer of broadcasting.connections.sidecast's `key` and `secret`, or null when they
     * are not both set (the app serves socket.io clients only).
     */
    public static function fromConfig(array $config): ?self
    {
        $key = (string) ($config['key'] ?? '');
        $secret = (string) ($config['secret'] ?? '');
        if ($key === '' || $secret === '') {
            return null;
        }
        $masterKey = null;
        if (($encoded = (string) ($config['encryption_master_key_base64'] ?? '')) !== '') {
            $masterKey = base64_decode($encoded, true);
            if ($masterKey === false || strlen($masterKey) !== 32) {
                throw new BroadcastException('Sidecast: encryption_master_key_base64 must be 32 bytes, base64-encoded');
            }
        }

        return new self($key, $secret, $masterKey);
    }

    /** Whether a client's socket id is a Pusher one (`123.456`) rather than socket.io's. */
    public static function isPusherSocketId(?string $socketId): bool
    {
        return $socketId !== null && preg_match(self::SOCKET_ID, $socketId) === 1;
    }

    public static function isEncrypted(string $channel): bool
    {
        return str_starts_with($channel, self::ENCRYPTED_PREFIX);
    }

    /** `{auth}` for a private channel; an encrypted one adds its `shared_secret`. */
    public function channel(string $socketId, string $channel): array
    {
        $answer = ['auth' => $this->sign("{$socketId}:{$channel}")];
        if (self::isEncrypted($channel)) {
            $answer['shared_secret'] = base64_encode($this->sharedSecret($channel));
        }

        return $answer;
    }

    /**
     * `{auth, channel_data}` for a presence channel. `channel_data` is a JSON string and the
     * signature covers exactly it. The user id keeps its type, so a user has one member key
     * whether they connect with pusher-js or socket.io.
     */
    public function presence(string $socketId, string $channel, mixed $userId, mixed $userInfo): array
    {
        $member = ['user_id' => $userId];
        if ($userInfo !== null) {
            $member['user_info'] = $userInfo;
        }
        $channelData = json_encode($member, JSON_THROW_ON_ERROR);

        return [
            'auth' => $this->sign("{$socketId}:{$channel}:{$channelData}"),
            'channel_data' => $channelData,
        ];
    }

    /**
     * `{auth, user_data}` for `pusher:signin`. pusher-js refuses a `user_data` whose `id` is not
     * a non-empty string, so the id is cast.
     *
     * @param  array  $user  the user as the app describes it: `id` and anything else
     */
    public function user(string $socketId, array $user): array
    {
        $id = $user['id'] ?? null;
        if (! is_scalar($id) || (string) $id === '') {
            throw new BroadcastException('Sidecast: a signed-in user needs an id');
        }
        $user['id'] = (string) $id;
        $userData = json_encode($user, JSON_THROW_ON_ERROR);

        return [
            'auth' => $this->sign("{$socketId}::user::{$userData}"),
            'user_data' => $userData,
        ];
    }

    /**
     * The payload of an encrypted channel as pusher-js decrypts it:
     * `{"nonce","ciphertext"}`, NaCl secretbox under the channel's shared secret.
     */
    public function encrypt(string $channel, string $json): string
    {
        $nonce = random_bytes(SODIUM_CRYPTO_SECRETBOX_NONCEBYTES);
        $ciphertext = sodium_crypto_secretbox($json, $nonce, $this->sharedSecret($channel));

        return json_encode(['nonce' => base64_encode($nonce), 'ciphertext' => base64_encode($ciphertext)], JSON_THROW_ON_ERROR);
    }

    /** SHA-256 of the channel name and the master key: what pusher-js decrypts with. */
    private function sharedSecret(string $channel): string
    {
        if ($this->masterKey === null) {
            throw new BroadcastException("Sidecast: {$channel} is encrypted, but broadcasting.connections.sidecast has no encryption_master_key_base64");
        }

        return hash('sha256', $channel.$this->masterKey, true);
    }

    private function sign(string $text): string
    {
        return $this->key.':'.hash_hmac('sha256', $text, $this->secret);
    }
}
