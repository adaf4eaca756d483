<?php

namespace Sidecast\Laravel\Transports;

use Illuminate\Broadcasting\BroadcastException;
use InvalidArgumentException;
use JsonException;
use Sidecast\Laravel\Contracts\Transport;

/**
 * For a PHP process with no sidecar on its host (a queue worker elsewhere): events go over the
 * network to a sidecar's Pusher HTTP API, each request signed with the app's secret as Pusher's
 * SDKs sign them. Every broadcast waits for the sidecar's answer, as an acknowledged one does.
 *
 * The API does not carry presence members' user_info, nor the sidecar's figures: members()
 * gives user ids only, and stats() is refused.
 */
final class HttpTransport implements Transport
{
    /** Channels per request: the Pusher API's limit. */
    private const MAX_CHANNELS = 100;

    /** Largest answer read: the API's answers are small JSON documents. */
    private const MAX_ANSWER_BYTES = 1024 * 1024;

    private string $origin;

    /** Path prefix of the sidecar's API (its --path), left out of signatures. */
    private string $prefix;

    public function __construct(string $url, private string $appId, private string $key, private string $secret, private float $timeout)
    {
        $parts = parse_url($url);
        if ($parts === false || ! in_array($parts['scheme'] ?? '', ['http', 'https'], true) || empty($parts['host']) || isset($parts['query'])) {
            throw new InvalidArgumentException("The sidecast connection's \"url\" must be the sidecar's http:// or https:// address, such as http://10.0.0.5:6001, \"{$url}\" given.");
        }
        if ($appId === '' || $key === '' || $secret === '') {
            throw new InvalidArgumentException('The sidecast connection\'s "http" transport signs with the Pusher app of the sidecar: set "app_id", "key" and "secret" (SIDECAST_APP_ID, SIDECAST_APP_KEY, SIDECAST_APP_SECRET).');
        }
        $this->origin = $parts['scheme'].'://'.$parts['host'].(isset($parts['port']) ? ':'.$parts['port'] : '');
        $this->prefix = rtrim($parts['path'] ?? '', '/');
    }

    public function publish(array $channels, string $event, string $payload, ?string $socketId, ?bool $acknowledged = null): void
    {
        foreach (array_chunk($channels, self::MAX_CHANNELS) as $some) {
            $body = ['name' => $event, 'data' => $payload, 'channels' => $some];
            if ($socketId !== null) {
                $body['socket_id'] = $socketId;
            }
            try {
                $json = json_encode($body, JSON_THROW_ON_ERROR | JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE);
            } catch (JsonException $e) {
                throw new BroadcastException("Sidecast: cannot broadcast {$event}: {$e->getMessage()}", 0, $e);
            }
            $this->request('POST', "/apps/{$this->appId}/events", [], $json, "the event {$event}");
        }
    }

    public function flush(float $timeout = 1.0): bool
    {
        return true;
    }

    public function channels(?string $prefix = null): array
    {
        $query = ['info' => str_starts_with((string) $prefix, 'presence-') ? 'subscription_count,user_count' : 'subscription_count'];
        if ((string) $prefix !== '') {
            $query['filter_by_prefix'] = $prefix;
        }

        return (array) ($this->request('GET', "/apps/{$this->appId}/channels", $query, '', 'the question')['channels'] ?? []);
    }

    public function channel(string $name): array
    {
        if ($name === '') {
            throw new InvalidArgumentException('Sidecast: the channel name must not be empty');
        }
        $info = str_starts_with($name, 'presence-') ? 'subscription_count,user_count' : 'subscription_count';

        return $this->request('GET', "/apps/{$this->appId}/channels/".rawurlencode($name), ['info' => $info], '', 'the question');
    }

    public function members(string $presenceChannel): array
    {
        if (! str_starts_with($presenceChannel, 'presence-') || $presenceChannel === 'presence-') {
            throw new InvalidArgumentException("Sidecast: members() needs a presence channel (\"presence-…\"), \"{$presenceChannel}\" given");
        }
        $users = $this->request('GET', "/apps/{$this->appId}/channels/".rawurlencode($presenceChannel).'/users', [], '', 'the question')['users'] ?? [];

        return array_map(fn (array $user) => ['user_id' => $user['id'] ?? null, 'user_info' => null], (array) $users);
    }

    public function stats(): array
    {
        throw new BroadcastException("Sidecast: the sidecar's figures cannot be asked over its HTTP API; run `sidecast status` on its host");
    }

    /**
     * One signed request; the decoded JSON answer.
     *
     * @param  array<string, string>  $query
     * @return array<string, mixed>
     */
    private function request(string $method, string $path, array $query, string $body, string $what): array
    {
        $params = $query + ['auth_key' => $this->key, 'auth_timestamp' => (string) time(), 'auth_version' => '1.0'];
        if ($body !== '') {
            $params['body_md5'] = md5($body);
        }
        ksort($params);
        $signed = implode('&', array_map(fn ($k, $v) => "{$k}={$v}", array_keys($params), $params));
        $params['auth_signature'] = hash_hmac('sha256', "{$method}\n{$path}\n{$signed}", $this->secret);
        $url = $this->origin.$this->prefix.$path.'?'.http_build_query($params, '', '&', PHP_QUERY_RFC3986);

        $context = stream_context_create(['http' => [
            'method' => $method,
            'header' => "Content-Type: application/json\r\nAccept: application/json\r\n",
            'content' => $body,
            'timeout' => $this->timeout,
            'ignore_errors' => true,
            'follow_location' => 0,
        ]]);
        $where = $this->origin.$this->prefix;
        // The context's timeout bounds reading; connecting is bounded by default_socket_timeout.
        $previous = ini_set('default_socket_timeout', (string) $this->timeout);
        $stream = @fopen($url, 'r', false, $context);
        ini_set('default_socket_timeout', (string) $previous);
        if ($stream === false) {
            // PHP names the whole URL, signature included, before the reason: leave it out.
            $error = preg_replace('~^fopen\(.*?\): ~', '', error_get_last()['message'] ?? 'no answer');
            throw new BroadcastException("Sidecast: cannot reach the sidecar at {$where} for {$what}: {$error}");
        }
        $answer = (string) stream_get_contents($stream, self::MAX_ANSWER_BYTES);
        $headers = stream_get_meta_data($stream)['wrapper_data'] ?? [];
        fclose($stream);
        $status = preg_match('~^HTTP/\S+ (\d{3})~', (string) ($headers[0] ?? ''), $m) ? (int) $m[1] : 0;
        if ($status !== 200) {
            $why = trim(substr($answer, 0, 300));
            throw new BroadcastException("Sidecast: the sidecar at {$where} refused {$what}: HTTP {$status} {$why}");
        }
        try {
            $decoded = json_decode($answer, true, 512, JSON_THROW_ON_ERROR);
        } catch (JsonException $e) {
            throw new BroadcastException("Sidecast: the sidecar at {$where} answered {$what} with something other than JSON: {$e->getMessage()}", 0, $e);
        }

        return is_array($decoded) ? $decoded : [];
    }
}
