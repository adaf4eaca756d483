<?php

// Router for `php -S`: files under public/ are served as they are, everything else goes to
// Laravel (without it, `php -S` answers 404 itself for missing paths that contain a dot).
$uri = urldecode(parse_url($_SERVER['REQUEST_URI'], PHP_URL_PATH) ?? '/');

if ($uri !== '/' && is_file(__DIR__.'/public'.$uri)) {
    return false;
}

require_once __DIR__.'/public/index.php';
