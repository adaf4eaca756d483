<?php

use App\Models\User;
use Illuminate\Support\Facades\Broadcast;

// Users sign in with the session (a browser) or with a bearer token (an API client); both
// guards are tried for every channel.
$guards = ['guards' => ['web', 'api']];

// Private: only the user whose orders they are.
Broadcast::channel('orders.{userId}', function (User $user, $userId) {
    return $user->id === (int) $userId;
}, $guards);

// Presence: every signed-in user, described by id and name.
Broadcast::channel('chat.{room}', function (User $user) {
    return ['id' => $user->id, 'name' => $user->name];
}, $guards);

// Presence with a slow callback, for tests of clients that leave while being authorized.
Broadcast::channel('slow-chat.{room}', function (User $user) {
    usleep(600_000);

    return ['id' => $user->id, 'name' => $user->name];
}, $guards);

// Laravel's notification channel: Echo.private('App.Models.User.7').notification(cb).
Broadcast::channel('App.Models.User.{id}', function (User $user, $id) {
    return $user->id === (int) $id;
}, $guards);

// An encrypted channel (private-encrypted-secret.7): the same rule as orders, payloads sealed
// by the driver with the connection's encryption master key, opened by pusher-js.
Broadcast::channel('secret.{userId}', function (User $user, $userId) {
    return $user->id === (int) $userId;
}, $guards);
