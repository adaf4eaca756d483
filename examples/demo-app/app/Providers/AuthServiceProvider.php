<?php

namespace App\Providers;

use App\Auth\DemoUserProvider;
use Illuminate\Support\Facades\Auth;
use Illuminate\Support\ServiceProvider;

class AuthServiceProvider extends ServiceProvider
{
    public function boot()
    {
        Auth::provider('demo', fn () => new DemoUserProvider);
    }
}
