#!/usr/bin/env bash
# Installs and builds everything the demo and the tests need, on Debian 12. Idempotent: a
# second run only does what is missing or out of date. Sourced by demo.sh and test.sh.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export ROOT

APT_PACKAGES=(
    php8.2-cli php8.2-dev php8.2-mbstring php8.2-xml  # PHP, and the headers ext-php-rs builds against
    clang libclang-dev                                 # bindgen, for ext-php-rs
    php-laravel-framework composer phpunit             # Laravel 8.83 and the PHP test tools
    redis-server php8.2-redis php-predis               # laravel-echo-server's Redis path, tested and benchmarked for real
    openssl                                            # a certificate for the test of scale-out over TLS
    php8.2-fpm libfcgi-bin iproute2                    # the extension under php-fpm, driven with cgi-fcgi; ss
    chromium                                           # the demo page test
    nginx-light supervisor systemd                     # the deploy/ recipes, run by the tests (systemd-analyze)
    zip unzip                                          # the extension's release asset for PIE
    python3-prometheus-client                          # the tests read /metrics with Prometheus' own parser
)

step() { printf '\n==> %s\n' "$*" >&2; }

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

install_debian_packages() {
    local missing=()
    for package in "${APT_PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        step "Installing Debian packages: ${missing[*]}"
        as_root apt-get update -qq
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    fi
}

check_toolchains() {
    command -v cargo >/dev/null || { echo "cargo is missing: install Rust with rustup (https://rustup.rs)" >&2; exit 1; }
    command -v node >/dev/null || { echo "Node.js 20.19 or newer is missing" >&2; exit 1; }
    local node_version
    node_version="$(node -p 'process.versions.node')"
    node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)' \
        || { echo "Node.js $node_version is too old: laravel-echo 2 needs 20.19 or newer" >&2; exit 1; }
}

install_npm_packages() {
    if [ ! -f "$ROOT/node_modules/.package-lock.json" ] || [ "$ROOT/package-lock.json" -nt "$ROOT/node_modules/.package-lock.json" ]; then
        step "Installing npm packages from package-lock.json"
        (cd "$ROOT" && npm ci --no-audit --no-fund --loglevel=error)
    fi
}

build_rust() {
    step "Building the sidecar and the PHP extension (cargo build --release)"
    (cd "$ROOT" && cargo build --release --locked --workspace)
}

prepare_php() {
    step "Preparing the Laravel package and the demo app (composer, offline)"
    (cd "$ROOT" && composer dump-autoload --dev --quiet)
    (cd "$ROOT/examples/demo-app" && composer update --no-interaction --quiet)
    # The demo page loads the Echo, socket.io and pusher-js browser builds from public/vendor.
    mkdir -p "$ROOT/examples/demo-app/public/vendor"
    cp "$ROOT/node_modules/socket.io-client/dist/socket.io.min.js" "$ROOT/examples/demo-app/public/vendor/socket.io.min.js"
    cp "$ROOT/node_modules/laravel-echo/dist/echo.js" "$ROOT/examples/demo-app/public/vendor/laravel-echo.js"
    cp "$ROOT/node_modules/pusher-js/dist/web/pusher.min.js" "$ROOT/examples/demo-app/public/vendor/pusher.min.js"
}

install_debian_packages
check_toolchains
install_npm_packages
build_rust
prepare_php

export SIDECAST_BIN="$ROOT/target/release/sidecast"
export SIDECAST_EXTENSION="$ROOT/target/release/libsidecast.so"
