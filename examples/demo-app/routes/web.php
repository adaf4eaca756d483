<?php

use App\Events\Announcement;
use App\Events\ExampleEvent;
use App\Models\User;
use App\Notifications\Pinged;
use Illuminate\Http\Request;
use Illuminate\Support\Facades\Auth;
use Illuminate\Support\Facades\Broadcast;
use Illuminate\Support\Facades\Route;

// The demo page, connected over socket.io, or with ?broadcaster=reverb over the Pusher protocol;
// with ?same_origin=1 to the page's own origin, as behind nginx (deploy/nginx/sidecast.conf).
Route::get('/', function (Request $request) {
    return view('demo', [
        'echoPort' => (int) env('SIDECAST_PORT', 6001),
        'reverb' => $request->query('broadcaster') === 'reverb',
        'sameOrigin' => $request->boolean('same_origin'),
        'appKey' => (string) config('broadcasting.connections.sidecast.key'),
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
        'transport' => method_exists($broadcaster = Broadcast::connection(), 'transport')
            ? class_basename($broadcaster->transport())
            : class_basename($broadcaster),
    ]);
});

// Signs the browser in as user {id} (a demo has no passwords) and returns the CSRF token a
// page would put in its <meta name="csrf-token">.
Route::get('/login/{id}', function (Request $request, $id) {
    $user = User::find($id);
    abort_if($user === null, 404);
    Auth::guard('web')->login($user);
    $request->session()->regenerate();

    return response()->json(['user' => $user->id, 'csrf' => csrf_token()]);
});

// Broadcasts an Announcement on any channel, named as Echo sends it (private-orders.1).
Route::get('/announce', function (Request $request) {
    $event = new Announcement((string) $request->query('channel'), (string) $request->query('message', ''));
    if ($request->boolean('to_others')) {
        broadcast($event)->toOthers();
    } else {
        event($event);
    }

    return response()->json(['announced' => $request->query('channel')]);
});

// Sends user {id} a broadcast notification.
Route::get('/notify/{id}', function (Request $request, $id) {
    $user = User::find($id);
    abort_if($user === null, 404);
    $user->notify(new Pinged((string) $request->query('message', 'ping')));

    return response()->json(['notified' => $user->id]);
});

// The lifecycle events the app heard (App\Listeners\RecordLifecycle), one per line, oldest first.
Route::get('/lifecycle', function () {
    $journal = App\Listeners\RecordLifecycle::journal();
    $lines = is_file($journal) ? file($journal, FILE_IGNORE_NEW_LINES | FILE_SKIP_EMPTY_LINES) : [];

    return response()->json(array_map(fn ($line) => json_decode($line, true), $lines));
});
