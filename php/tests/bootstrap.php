<?php

// Laravel as Debian packages it (php-laravel-framework), then this package's own classes
// through the autoloader `composer dump-autoload` writes at the repository root.
require '/usr/share/php/Illuminate/autoload.php';
require __DIR__.'/../../vendor/autoload.php';
