<?php

namespace App\Providers;

use Illuminate\Support\Facades\Broadcast;
use Illuminate\Support\ServiceProvider;

class BroadcastServiceProvider extends ServiceProvider
{
    public function boot()
    {
        // POST /broadcasting/auth, which sidecast asks before a client joins a private or
        // presence channel.
        Broadcast::routes();

        require base_path('routes/channels.php');
    }
}
