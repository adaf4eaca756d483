<?php

use App\Events\ExampleEvent;
use Illuminate\Http\Request;
use Illuminate\Support\Facades\Broadcast;
use Illuminate\Support\Facades\Route;

Route::get('/', function () {
    return view('demo', [
        'echoPort' => (int) env('SIDECAST_PORT', 6001),
    ]);
});

// Fires the event from a web request, the way an app's controller would. With ?to_others=1 the
// client named by the X-Socket-ID header (Echo adds it to its app's requests) is left out.
Route::get('/fire', function (Request $request) {
    $event = new ExampleEvent($request->query('message', 'Hello World!'));
    if ($request->boolean('to_others')) {
        broadcast($event)->toOthers();
    } else {
        event($event);
    }

    return response()->json([
        'fired' => 'App\\Events\\ExampleEvent',
        'transport' => class_basename(Broadcast::connection()->transport()),
    ]);
});
