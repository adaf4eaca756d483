<?php

namespace Sidecast\Laravel\Facades;

use Illuminate\Support\Facades\Facade;

/**
 * @method static \Sidecast\Laravel\Contracts\Transport connection(?string $name = null)
 * @method static array channels(?string $prefix = null)
 * @method static array channel(\Illuminate\Broadcasting\Channel|string $channel)
 * @method static bool occupied(\Illuminate\Broadcasting\Channel|string $channel)
 * @method static array members(\Illuminate\Broadcasting\Channel|string $channel)
 * @method static array stats()
 * @method static bool flush(float $timeout = 1.0)
 *
 * @see \Sidecast\Laravel\Sidecast
 */
class Sidecast extends Facade
{
    protected static function getFacadeAccessor(): string
    {
        return \Sidecast\Laravel\Sidecast::class;
    }
}
