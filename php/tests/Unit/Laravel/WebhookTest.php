<?php

namespace Sidecast\Laravel\Tests\Unit\Laravel;

use Illuminate\Config\Repository;
use Illuminate\Events\Dispatcher;
use Illuminate\Foundation\Application;
use Illuminate\Http\Request;
use PHPUnit\Framework\TestCase;
use Sidecast\Laravel\Events\ChannelOccupied;
use Sidecast\Laravel\Events\ClientEventReceived;
use Sidecast\Laravel\Events\MemberAdded;
use Sidecast\Laravel\Events\MemberRemoved;
use Sidecast\Laravel\Events\SubscriptionCountChanged;
use Sidecast\Laravel\Events\UserConnected;
use Sidecast\Laravel\Events\UserDisconnected;
use Sidecast\Laravel\Http\WebhookController;
use Sidecast\Laravel\SidecastServiceProvider;

/**
 * The package's webhook route: only a request signed with the app's key and secret is
 * believed, and each of its events becomes a Laravel event; a bad one dispatches nothing.
 */
final class WebhookTest extends TestCase
{
    private const KEY = 'app-key';
    private const SECRET = 'app-secret';

    /** @var list<object> */
    private array $dispatched = [];

    private function controller(array $sidecast = ['key' => self::KEY, 'secret' => self::SECRET]): WebhookController
    {
        $events = new Dispatcher();
        $events->listen('Sidecast\Laravel\Events\*', function (string $name, array $payload) {
            $this->dispatched[] = $payload[0];
        });

        return new WebhookController($events, new Repository(['broadcasting' => ['connections' => ['sidecast' => $sidecast]]]));
    }

    private static function request(string $body, ?string $signature = null, string $key = self::KEY): Request
    {
        return Request::create('/sidecast/webhooks', 'POST', [], [], [], [
            'CONTENT_TYPE' => 'application/json',
            'HTTP_X_PUSHER_KEY' => $key,
            'HTTP_X_PUSHER_SIGNATURE' => $signature ?? hash_hmac('sha256', $body, self::SECRET),
        ], $body);
    }

    public function test_a_signed_webhook_dispatches_each_event_in_order(): void
    {
        $body = json_encode(['time_ms' => time() * 1000, 'events' => [
            ['name' => 'channel_occupied', 'channel' => 'presence-lobby'],
            ['name' => 'member_added', 'channel' => 'presence-lobby', 'user_id' => '7'],
            ['name' => 'client_event', 'channel' => 'presence-lobby', 'event' => 'client-move', 'data' => '{"to":"e4"}', 'socket_id' => '12.34', 'user_id' => '7'],
            ['name' => 'cache_miss', 'channel' => 'cache-prices'],
            ['name' => 'member_removed', 'channel' => 'presence-lobby', 'user_id' => '9'],
            ['name' => 'subscription_count', 'channel' => 'presence-lobby', 'subscription_count' => 2],
            ['name' => 'user_connected', 'user_id' => '7'],
            ['name' => 'user_disconnected', 'user_id' => '9'],
        ]]);

        $response = $this->controller()(self::request($body));

        $this->assertSame(200, $response->getStatusCode());
        $this->assertSame(['dispatched' => 7, 'skipped' => 1], $response->getData(true), 'an event of an unknown name is skipped');
        $this->assertEquals([
            new ChannelOccupied('presence-lobby'),
            new MemberAdded('presence-lobby', '7'),
            new ClientEventReceived('presence-lobby', 'client-move', ['to' => 'e4'], '12.34', '7'),
            new MemberRemoved('presence-lobby', '9'),
            new SubscriptionCountChanged('presence-lobby', 2),
            new UserConnected('7'),
            new UserDisconnected('9'),
        ], $this->dispatched);
    }

    public function test_a_webhook_not_signed_with_the_apps_key_and_secret_is_refused(): void
    {
        $body = json_encode(['time_ms' => time() * 1000, 'events' => [['name' => 'channel_occupied', 'channel' => 'orders']]]);

        $this->assertSame(401, $this->controller()(self::request($body, hash_hmac('sha256', $body, 'another-secret')))->getStatusCode());
        $this->assertSame(401, $this->controller()(self::request($body, null, 'another-key'))->getStatusCode());
        $this->assertSame(401, $this->controller()(self::request($body.' ', hash_hmac('sha256', $body, self::SECRET)))->getStatusCode(), 'the body as signed');
        $this->assertSame(500, $this->controller(['key' => self::KEY])(self::request($body))->getStatusCode(), 'no secret configured');
        $old = json_encode(['time_ms' => (time() - 3600) * 1000, 'events' => [['name' => 'channel_occupied', 'channel' => 'orders']]]);
        $this->assertSame(401, $this->controller()(self::request($old))->getStatusCode(), 'a replay an hour later');
        $this->assertSame([], $this->dispatched);
    }

    public function test_a_malformed_webhook_dispatches_nothing_and_says_why(): void
    {
        foreach ([
            ['not json', 'a webhook body is'],
            ['{"time_ms":1}', 'a webhook body is'],
            [json_encode(['events' => []]), 'a webhook body is'],
            [json_encode(['time_ms' => time() * 1000, 'events' => [['name' => 'channel_occupied', 'channel' => 'orders'], ['name' => 'member_added', 'channel' => 'presence-x']]]), 'needs a "user_id" string'],
            [json_encode(['time_ms' => time() * 1000, 'events' => ['channel_occupied']]), 'needs a "name" and a "channel"'],
            [json_encode(['time_ms' => time() * 1000, 'events' => [['name' => 'user_connected', 'user_id' => 7]]]), 'a user_connected event needs a "user_id" string'],
            [json_encode(['time_ms' => time() * 1000, 'events' => [['name' => 'subscription_count', 'channel' => 'orders', 'subscription_count' => -1]]]), 'needs a "subscription_count" number'],
        ] as [$body, $reason]) {
            $response = $this->controller()(self::request($body));
            $this->assertSame(400, $response->getStatusCode(), $body);
            $this->assertStringContainsString($reason, $response->getData(true)['error'], $body);
        }
        $this->assertSame([], $this->dispatched);
    }

    public function test_the_route_is_registered_only_when_configured(): void
    {
        $app = function (array $sidecast) {
            $app = new Application('/srv/app');
            $app->instance('config', new Repository(['sidecast' => $sidecast, 'broadcasting' => ['connections' => []]]));
            $app->instance('files', new \Illuminate\Filesystem\Filesystem());
            $app->register(\Illuminate\Broadcasting\BroadcastServiceProvider::class);
            $app->register(SidecastServiceProvider::class);
            $app->boot();
            // As Laravel does once its routes are loaded.
            $routes = $app->make('router')->getRoutes();
            $routes->refreshNameLookups();

            return $routes;
        };

        $this->assertNull($app([])->getByName('sidecast.webhooks'));
        $route = $app(['webhooks' => ['route' => 'sidecast/webhooks']])->getByName('sidecast.webhooks');
        $this->assertSame('sidecast/webhooks', $route->uri());
        $this->assertSame(['POST'], $route->methods());
        $this->assertSame([], $route->middleware(), 'no session, no CSRF: the signature authenticates');
    }
}
