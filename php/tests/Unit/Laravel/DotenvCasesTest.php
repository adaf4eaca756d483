<?php

namespace Sidecast\Laravel\Tests\Unit\Laravel;

use Dotenv\Dotenv;
use Dotenv\Exception\InvalidFileException;
use Dotenv\Loader\Loader;
use Dotenv\Parser\Parser;
use Dotenv\Repository\Adapter\ArrayAdapter;
use Dotenv\Repository\Adapter\PutenvAdapter;
use Dotenv\Repository\RepositoryBuilder;
use Dotenv\Store\StringStore;
use PHPUnit\Framework\TestCase;

/**
 * The sidecar reads an app's .env with its own parser (crates/server/src/config/dotenv.rs),
 * tested against crates/server/src/config/dotenv/cases.json. Here the same cases go through
 * phpdotenv itself (Debian's, which Laravel loads), set up as Laravel sets it up: the two read
 * every case alike.
 */
final class DotenvCasesTest extends TestCase
{
    private const CASES = __DIR__.'/../../../../crates/server/src/config/dotenv/cases.json';

    protected function setUp(): void
    {
        putenv('SIDECAST_DOTENV_TEST_ENV=from the environment');
    }

    protected function tearDown(): void
    {
        putenv('SIDECAST_DOTENV_TEST_ENV');
    }

    public function testPhpdotenvReadsEveryCaseAsTheSidecarDoes(): void
    {
        $cases = json_decode(file_get_contents(self::CASES), true, 512, JSON_THROW_ON_ERROR);
        $this->assertGreaterThanOrEqual(25, count($cases));
        foreach ($cases as $case) {
            $repository = RepositoryBuilder::createWithNoAdapters()
                ->addReader(PutenvAdapter::class)
                ->addAdapter(ArrayAdapter::class)
                ->immutable()
                ->make();
            try {
                $vars = (new Dotenv(new StringStore($case['env']), new Parser(), new Loader(), $repository))->load();
                $this->assertArrayHasKey('vars', $case, "{$case['name']}: phpdotenv reads it");
                $this->assertSame($case['vars'], array_filter($vars, fn ($value) => $value !== null), $case['name']);
            } catch (InvalidFileException $e) {
                $this->assertSame($case['error'] ?? null, $e->getMessage(), $case['name']);
            }
        }
    }
}
