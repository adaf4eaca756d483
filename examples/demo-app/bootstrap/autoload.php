<?php

// Laravel from Debian's php-laravel-framework package; the app and the sidecast package from
// the autoloader `composer update` wrote (the package is a path repository: the repository
// root, symlinked into vendor/).
require '/usr/share/php/Illuminate/autoload.php';
require __DIR__.'/../vendor/autoload.php';
