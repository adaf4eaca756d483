<?php

namespace Sidecast\Laravel\Tests\Unit\Wire;

use InvalidArgumentException;
use PHPUnit\Framework\TestCase;
use Sidecast\Laravel\Wire\Frame;

final class FrameTest extends TestCase
{
    private const GOLDEN = __DIR__.'/../../../../crates/wire/golden';

    public function test_it_builds_the_same_bytes_as_the_rust_encoder(): void
    {
        $cases = json_decode(file_get_contents(self::GOLDEN.'/cases.json'), true, 512, JSON_THROW_ON_ERROR);
        $this->assertNotEmpty($cases);

        foreach ($cases as $case) {
            $frame = Frame::publish($case['channels'], $case['event'], $case['payload'], $case['socket_id']);

            $this->assertSame(bin2hex(file_get_contents(self::GOLDEN.'/'.$case['file'])), bin2hex($frame), $case['file']);
        }
    }

    public function test_the_length_field_counts_the_bytes_after_it(): void
    {
        $frame = Frame::publish(['a'], 'E', '{}');

        $this->assertSame(strlen($frame) - 4, unpack('N', $frame)[1]);
    }

    /** @dataProvider refusals */
    public function test_it_refuses_what_the_sidecar_would_not_take(array $channels, string $event, ?string $socketId, string $payload, string $reason): void
    {
        $this->expectException(InvalidArgumentException::class);
        $this->expectExceptionMessage($reason);

        Frame::publish($channels, $event, $payload, $socketId);
    }

    public static function refusals(): array
    {
        return [
            'no channels' => [[], 'E', null, '{}', 'at least one channel'],
            'empty channel' => [[''], 'E', null, '{}', 'the channel name must not be empty'],
            'long channel' => [[str_repeat('c', 201)], 'E', null, '{}', 'the channel name is 201 bytes long, more than the 200 bytes allowed'],
            'control character' => [["a\nb"], 'E', null, '{}', 'must not contain control characters'],
            'not UTF-8' => [["caf\xe9"], 'E', null, '{}', 'the channel name must be valid UTF-8'],
            'not a string' => [[42], 'E', null, '{}', 'channel names must be strings, int given'],
            'empty event' => [['c'], '', null, '{}', 'the event name must not be empty'],
            'long event' => [['c'], str_repeat('e', 256), null, '{}', 'the event name is 256 bytes long'],
            'empty socket id' => [['c'], 'E', '', '{}', 'the socket id must not be empty'],
            'long socket id' => [['c'], 'E', str_repeat('s', 65), '{}', 'the socket id is 65 bytes long'],
            'huge payload' => [['c'], 'E', null, str_repeat('1', 16 * 1024 * 1024), 'more than the protocol maximum'],
        ];
    }
}
