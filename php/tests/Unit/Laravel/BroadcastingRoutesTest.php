<?php

namespace Sidecast\Laravel\Tests\Unit\Laravel;

use PHPUnit\Framework\TestCase;
use Sidecast\Laravel\Console\BroadcastingRoutes;

/**
 * sidecast:install's edits of an app's files, on the files Laravel's skeletons ship: 11 to 13
 * share bootstrap/app.php, 8 to 10 config/app.php's commented provider. (Only 8.83 runs here;
 * the 11+ text is the laravel/laravel skeleton's.)
 */
final class BroadcastingRoutesTest extends TestCase
{
    private const LARAVEL_11_BOOTSTRAP = <<<'PHP'
        <?php

        use Illuminate\Foundation\Application;
        use Illuminate\Foundation\Configuration\Exceptions;
        use Illuminate\Foundation\Configuration\Middleware;

        return Application::configure(basePath: dirname(__DIR__))
            ->withRouting(
                web: __DIR__.'/../routes/web.php',
                commands: __DIR__.'/../routes/console.php',
                health: '/up',
            )
            ->withMiddleware(function (Middleware $middleware) {
                //
            })
            ->withExceptions(function (Exceptions $exceptions) {
                //
            })->create();

        PHP;

    public function testLaravel11GetsChannelsAfterCommandsLikeInstallBroadcasting(): void
    {
        $edited = BroadcastingRoutes::inBuilder(self::LARAVEL_11_BOOTSTRAP);
        $this->assertSame(str_replace(
            "        commands: __DIR__.'/../routes/console.php',\n",
            "        commands: __DIR__.'/../routes/console.php',\n        channels: __DIR__.'/../routes/channels.php',\n",
            self::LARAVEL_11_BOOTSTRAP,
        ), $edited);
        $this->assertTrue(BroadcastingRoutes::builderHasChannels($edited));
        $this->assertNull(BroadcastingRoutes::inBuilder($edited), 'a second run changes nothing');
    }

    public function testACommentedChannelsLineIsUncommentedAndWithoutCommandsItGoesFirst(): void
    {
        $commented = str_replace("        health: '/up',\n", "        // channels: __DIR__.'/../routes/channels.php',\n        health: '/up',\n", self::LARAVEL_11_BOOTSTRAP);
        $this->assertStringContainsString("\n        channels: __DIR__.'/../routes/channels.php',\n        health:", BroadcastingRoutes::inBuilder($commented));

        $both = str_replace("        health: '/up',\n", "        channels: __DIR__.'/../routes/channels.php',\n        // channels: __DIR__.'/../routes/old.php',\n        health: '/up',\n", self::LARAVEL_11_BOOTSTRAP);
        $this->assertNull(BroadcastingRoutes::inBuilder($both), 'an active channels: is never doubled');

        $noCommands = str_replace("        commands: __DIR__.'/../routes/console.php',\n", '', self::LARAVEL_11_BOOTSTRAP);
        $this->assertStringContainsString("->withRouting(\n        channels: __DIR__.'/../routes/channels.php',\n        web:", BroadcastingRoutes::inBuilder($noCommands));
    }

    public function testAppsThatAlreadyBroadcastOrAreNotBuildersAreLeftAlone(): void
    {
        $withBroadcasting = str_replace('->withMiddleware(', "->withBroadcasting(__DIR__.'/../routes/channels.php')\n    ->withMiddleware(", self::LARAVEL_11_BOOTSTRAP);
        $this->assertNull(BroadcastingRoutes::inBuilder($withBroadcasting));
        $oneLine = "<?php\nreturn Application::configure(basePath: dirname(__DIR__))->withRouting(web: __DIR__.'/../routes/web.php')->create();\n";
        $this->assertNull(BroadcastingRoutes::inBuilder($oneLine), 'an unrecognised layout is not guessed at');
        $this->assertFalse(BroadcastingRoutes::isBuilder("<?php\n\$app = new Illuminate\\Foundation\\Application(dirname(__DIR__));\n"));
    }

    public function testLaravel8To10UncommentTheirBroadcastServiceProvider(): void
    {
        $config = "    'providers' => [\n        App\\Providers\\AuthServiceProvider::class,\n        // App\\Providers\\BroadcastServiceProvider::class,\n        App\\Providers\\EventServiceProvider::class,\n    ],\n";
        $edited = BroadcastingRoutes::inProviders($config);
        $this->assertStringContainsString("\n        App\\Providers\\BroadcastServiceProvider::class,\n", $edited);
        $this->assertNull(BroadcastingRoutes::inProviders($edited));
    }
}
