<?php

namespace Sidecast\Laravel\Tests\Unit\Wire;

use InvalidArgumentException;
use UnexpectedValueException;
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

    public function test_it_builds_and_reads_the_same_exchanges_as_the_rust_crate(): void
    {
        $exchanges = json_decode(file_get_contents(self::GOLDEN.'/exchanges.json'), true, 512, JSON_THROW_ON_ERROR);
        $kinds = [];
        foreach ($exchanges as $case) {
            $golden = file_get_contents(self::GOLDEN.'/'.$case['file']);
            $kinds[] = $case['kind'];
            switch ($case['kind']) {
                case 'publish_acked':
                    $frame = Frame::publishAcked($case['request_id'], $case['channels'], $case['event'], $case['payload'], $case['socket_id']);
                    $this->assertSame(bin2hex($golden), bin2hex($frame), $case['file']);
                    break;
                case 'query':
                    $frame = Frame::query($case['request_id'], $case['question'], $case['argument']);
                    $this->assertSame(bin2hex($golden), bin2hex($frame), $case['file']);
                    break;
                case 'ack':
                    $this->assertSame([strlen($golden), ['kind' => 'ack', 'request_id' => $case['request_id'], 'refused' => $case['refused']]], Frame::parseAnswer($golden), $case['file']);
                    break;
                case 'result':
                    $this->assertSame([strlen($golden), ['kind' => 'result', 'request_id' => $case['request_id'], 'ok' => $case['ok'], 'json' => $case['json']]], Frame::parseAnswer($golden), $case['file']);
                    break;
                case 'listen':
                    $this->assertSame(bin2hex($golden), bin2hex(Frame::listen($case['request_id'])), $case['file']);
                    break;
                case 'confirm':
                    $this->assertSame(bin2hex($golden), bin2hex(Frame::confirm($case['seq'])), $case['file']);
                    break;
                case 'event':
                    $this->assertSame([strlen($golden), ['kind' => 'event', 'seq' => $case['seq'], 'time_ms' => $case['time_ms'], 'missed' => $case['missed'], 'json' => $case['json']]], Frame::parseAnswer($golden), $case['file']);
                    break;
                default:
                    $this->fail("unknown kind {$case['kind']} in {$case['file']}");
            }
        }
        $kinds = array_values(array_unique($kinds));
        sort($kinds);
        $this->assertSame(['ack', 'confirm', 'event', 'listen', 'publish_acked', 'query', 'result'], $kinds, 'every kind of exchange is covered');
    }

    public function test_an_answer_is_read_only_once_it_is_complete_and_the_rest_is_left(): void
    {
        $ack = file_get_contents(self::GOLDEN.'/ack-accepted.bin');
        $result = file_get_contents(self::GOLDEN.'/result-ok.bin');
        for ($cut = 0; $cut < strlen($ack); $cut++) {
            $this->assertNull(Frame::parseAnswer(substr($ack, 0, $cut)), "{$cut} bytes");
        }
        [$used, $answer] = Frame::parseAnswer($ack.$result);
        $this->assertSame(strlen($ack), $used);
        $this->assertSame('ack', $answer['kind']);
        $this->assertSame('result', Frame::parseAnswer(substr($ack.$result, $used))[1]['kind']);
    }

    /** @dataProvider malformedAnswers */
    public function test_malformed_answers_are_refused_with_a_reason(string $bytes, string $reason): void
    {
        $this->expectException(UnexpectedValueException::class);
        $this->expectExceptionMessage($reason);

        Frame::parseAnswer($bytes);
    }

    public static function malformedAnswers(): array
    {
        $ack = file_get_contents(self::GOLDEN.'/ack-accepted.bin');

        return [
            'length too small' => [pack('N', 1).'xx', 'an answer of 1 bytes is not possible'],
            'length too large' => [pack('N', 0x7FFFFFFF), 'is not possible'],
            'other version' => [substr_replace($ack, "\x02", 4, 1), 'wire protocol version 2'],
            'a request kind' => [substr_replace($ack, "\x01", 5, 1), 'a frame of kind 1 is not an answer'],
            'truncated ack' => [pack('NCC', 5, 1, 128).'abc', 'the ACK is truncated'],
            'ack reason length past the end' => [pack('NCCNCn', 9, 1, 128, 1, 1, 50), 'the ACK is malformed'],
            'ack status 7' => [pack('NCCNCn', 9, 1, 128, 1, 7, 0), 'the ACK is malformed'],
            'truncated result' => [pack('NCC', 4, 1, 129).'ab', 'the RESULT is truncated'],
            'result json length past the end' => [pack('NCCNCN', 11, 1, 129, 1, 0, 99), 'the RESULT is malformed'],
            'truncated event' => [pack('NCCJ', 10, 1, 130, 1), 'the EVENT is truncated'],
            'event json length past the end' => [pack('NCCJJNN', 26, 1, 130, 1, 2, 0, 99), 'the EVENT is malformed'],
            'a confirm, which goes the other way' => [pack('NCCJ', 10, 1, 5, 1), 'a frame of kind 5 is not an answer'],
        ];
    }

    public function test_queries_and_request_ids_are_checked(): void
    {
        foreach ([
            fn () => Frame::query(1, 'weather'),
            fn () => Frame::query(1, 'channel', "caf\xe9"),
            fn () => Frame::query(1, 'channels', str_repeat('x', 0x10000)),
            fn () => Frame::query(-1, 'stats'),
            fn () => Frame::publishAcked(0x100000000, ['c'], 'E', '{}'),
            fn () => Frame::listen(-1),
            fn () => Frame::confirm(-1),
        ] as $i => $build) {
            try {
                $build();
                $this->fail("case {$i} was built");
            } catch (InvalidArgumentException $e) {
                $this->assertNotSame('', $e->getMessage());
            }
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
