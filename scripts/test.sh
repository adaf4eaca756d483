#!/usr/bin/env bash
# Runs every test of sidecast, after installing and building what they need (scripts/setup.sh).
# What CI runs (.ci/run). Exits non-zero on the first failing group.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
cd "$ROOT"

step "Rust: formatting, lints, unit, property and integration tests"
cargo fmt --all -- --check
cargo clippy --release --locked --workspace --all-targets -- -D warnings
cargo test --release --locked --workspace

step "PHP: the Laravel package with the plain-PHP transport, then with the extension loaded"
phpunit -c php/phpunit.xml.dist
php -d extension="$SIDECAST_EXTENSION" "$(command -v phpunit)" -c php/phpunit.xml.dist

step "End to end: Laravel 8 → PHP → Unix socket → sidecast → Echo clients, and the demo page in Chromium"
node --test --test-concurrency=1 tests/e2e/*.test.mjs

step "All tests passed"
