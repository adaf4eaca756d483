<?php

namespace Sidecast\Laravel\Tests\Unit\Laravel;

use PHPUnit\Framework\TestCase;
use Sidecast\Laravel\Console\EnvFile;

final class EnvFileTest extends TestCase
{
    private string $path;

    protected function setUp(): void
    {
        $this->path = tempnam(sys_get_temp_dir(), 'sidecast-env-');
    }

    protected function tearDown(): void
    {
        @unlink($this->path);
    }

    private function file(string $text): EnvFile
    {
        file_put_contents($this->path, $text);

        return EnvFile::at($this->path);
    }

    public function testValuesAreReadAsWrittenWithoutTheirQuotes(): void
    {
        $env = $this->file("APP_NAME=\"My App\"\nAPP_KEY='base64:abc='\nEMPTY=\n# BROADCAST_DRIVER=pusher\nBROADCAST_DRIVER=log\n");
        $this->assertSame('My App', $env->get('APP_NAME'));
        $this->assertSame('base64:abc=', $env->get('APP_KEY'));
        $this->assertSame('', $env->get('EMPTY'));
        $this->assertSame('log', $env->get('BROADCAST_DRIVER'), 'the commented line is not the key');
        $this->assertSame('second', $this->file("A=first\nA=second\n")->get('A'), 'the last line, as phpdotenv reads it');
        $this->assertNull($env->get('MISSING'));
        $this->assertNull($env->get('APP'), 'a prefix of a key is not the key');
    }

    public function testAMissingKeyIsAppendedAndEverythingElseKeptByteForByte(): void
    {
        $original = "# header\nAPP_NAME=Laravel\n\nQUEUE_CONNECTION=redis";
        $env = $this->file($original);
        $this->assertTrue($env->set('BROADCAST_DRIVER', 'sidecast'));
        $this->assertTrue($env->set('SIDECAST_PORT', '6001'));
        $env->save();
        $this->assertSame($original."\nBROADCAST_DRIVER=sidecast\nSIDECAST_PORT=6001\n", file_get_contents($this->path));
    }

    public function testAnExistingKeyIsReplacedInPlaceOnlyWhenAsked(): void
    {
        $env = $this->file("A=1\nBROADCAST_DRIVER=log\nBROADCAST_DRIVER=pusher\nB=2\n");
        $this->assertFalse($env->set('BROADCAST_DRIVER', 'sidecast'));
        $this->assertTrue($env->set('BROADCAST_DRIVER', 'sidecast', replace: true));
        $this->assertFalse($env->set('BROADCAST_DRIVER', 'sidecast', replace: true), 'already so');
        $env->save();
        $this->assertSame("A=1\nBROADCAST_DRIVER=log\nBROADCAST_DRIVER=sidecast\nB=2\n", file_get_contents($this->path));
    }

    public function testValuesAndKeysWithRegexAndReplacementCharactersAreTakenLiterally(): void
    {
        $env = $this->file("X.Y=1\nXAY=2\n");
        $this->assertSame('1', $env->get('X.Y'));
        $this->assertTrue($env->set('XAY', '$1 \\1 ${APP}', replace: true));
        $env->save();
        $this->assertSame("X.Y=1\nXAY=\$1 \\1 \${APP}\n", file_get_contents($this->path));
    }

    public function testNoFileIsNull(): void
    {
        $this->assertNull(EnvFile::at($this->path.'-missing'));
        $this->assertNull(EnvFile::at(sys_get_temp_dir()), 'a directory is not a .env');
    }
}
