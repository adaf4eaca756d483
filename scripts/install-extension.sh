#!/usr/bin/env bash
# Builds the sidecast PHP extension and installs it the way PHP extensions are installed:
# `sidecast.so` in the extension directory of the PHP it was built for, and an ini file that
# loads it (`extension=sidecast`) for every SAPI — the CLI, php-fpm, Apache's module.
#
#   scripts/install-extension.sh                     # for the `php` on PATH
#   scripts/install-extension.sh --php /usr/bin/php8.3
#   scripts/install-extension.sh --extension-dir DIR --ini-dir DIR   # elsewhere (images, tests)
#   scripts/install-extension.sh --no-ini            # only the .so (docker-php-ext-enable sidecast)
#   scripts/install-extension.sh --prebuilt FILE     # install a sidecast .so built before, for this PHP
#
# Run it as yourself: it builds with your Rust (rustup), and asks sudo only to copy into
# directories you may not write to. Needs the PHP headers (`php8.2-dev` on Debian, which brings
# php-config) and clang with libclang (`clang libclang-dev`). Supported: PHP 8.1 to 8.5,
# non-thread-safe (NTS) builds, Linux with glibc; the script refuses anything else before
# building.
set -euo pipefail

cd "$(dirname "$0")/.."

php=php
extension_dir=
ini_dir=
write_ini=1
prebuilt=
while [ $# -gt 0 ]; do
    case "$1" in
        --php) php=$2; shift 2 ;;
        --extension-dir) extension_dir=$2; shift 2 ;;
        --ini-dir) ini_dir=$2; shift 2 ;;
        --no-ini) write_ini=0; shift ;;
        --prebuilt) prebuilt=$2; shift 2 ;;
        -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done

fail() { echo "install-extension: $*" >&2; exit 1; }

# Runs a command that writes into directory $1: directly when it may, else through sudo.
into() {
    local dir=$1
    shift
    if [ -w "$dir" ] || { [ ! -e "$dir" ] && [ -w "$(dirname "$dir")" ]; } || [ "$(id -u)" -eq 0 ]; then
        "$@"
    else
        sudo "$@"
    fi
}

command -v "$php" >/dev/null || fail "no PHP at '$php'; give one with --php /path/to/php"
php=$(command -v "$php")
# php-config of the same build: php8.3 → php-config8.3, php → php-config.
php_config=$(dirname "$php")/php-config${php##*/php}
[ -x "$php_config" ] || php_config=$(command -v php-config || true)
[ -x "$php_config" ] || fail "php-config is missing: install the PHP headers (Debian: apt install php$("$php" -r 'echo PHP_MAJOR_VERSION.".".PHP_MINOR_VERSION;')-dev)"

# shellcheck disable=SC2016
read -r version version_id zts < <("$php" -r 'echo PHP_MAJOR_VERSION.".".PHP_MINOR_VERSION, " ", PHP_VERSION_ID, " ", PHP_ZTS, "\n";')
[ $(( $("$php_config" --vernum) / 100 )) = $(( version_id / 100 )) ] \
    || fail "$php_config is for PHP $("$php_config" --version), not $php ($version); give the matching one's PHP with --php"
[ "$version_id" -ge 80100 ] && [ "$version_id" -lt 80600 ] \
    || fail "PHP $version is not supported: the extension builds for PHP 8.1 to 8.5"
[ "$zts" = 0 ] \
    || fail "PHP $version here is thread-safe (ZTS); the extension supports non-thread-safe (NTS) builds only. Use the plain-PHP transport (it needs no extension) or an NTS PHP"
[ "$(uname -s)" = Linux ] || fail "the extension is built and tested on Linux only"
# musl's ldd exits 1 on --version: read its output, not its status.
libc=$(ldd --version 2>&1 || true)
if grep -qi musl <<<"$libc"; then
    fail "this system's C library is musl (Alpine); the extension is built and tested with glibc only. Use the plain-PHP transport, or a glibc-based image (php:8.x-fpm-bookworm)"
fi
if [ -z "$prebuilt" ]; then
    command -v clang >/dev/null || fail "clang is missing (Debian: apt install clang libclang-dev)"
    command -v cargo >/dev/null || fail "cargo is missing: install Rust with rustup (https://rustup.rs)"
fi

# Whether the PHP itself will find what is installed, so that loading it can be checked here.
own_layout=0
[ -z "$extension_dir" ] && [ -z "$ini_dir" ] && [ "$write_ini" = 1 ] && own_layout=1
extension_dir=${extension_dir:-$("$php_config" --extension-dir)}
built=${prebuilt:-target/release/libsidecast.so}
if [ -n "$prebuilt" ]; then
    [ -f "$prebuilt" ] || fail "no file at $prebuilt"
    # PHP itself refuses a module built for another API version; ask it before installing.
    # (Its output is read whole: `grep -q` in a pipe could end PHP early, failing pipefail.)
    modules=$("$php" -n -d "extension=$(realpath "$prebuilt")" -m 2>&1 || true)
    grep -qx sidecast <<<"$modules" || fail "$prebuilt does not load in $php: build it for PHP $version"
else
    echo "Building the sidecast extension for PHP $version (NTS) at $php ..."
    if [ "$php" = "$(command -v php)" ]; then
        cargo build --release --locked -p sidecast-ext
    else
        # ext-php-rs finds the PHP to build for through these; set only when asked, so that a
        # plain `cargo build` afterwards does not rebuild the extension.
        PHP=$php PHP_CONFIG=$php_config cargo build --release --locked -p sidecast-ext
    fi
fi

into "$extension_dir" mkdir -p "$extension_dir"
into "$extension_dir" install -m 0644 "$built" "$extension_dir/sidecast.so"
echo "Installed $extension_dir/sidecast.so"

if [ "$write_ini" = 1 ]; then
    # PHP finds `sidecast` in its own extension directory; elsewhere the ini names the file.
    if [ "$extension_dir" = "$("$php_config" --extension-dir)" ]; then
        load=sidecast
    else
        load=$extension_dir/sidecast.so
    fi
    ini_text="; priority=20
; The sidecast extension: Sidecast\\Broadcaster for the sidecast broadcast driver.
; Its settings (sidecast.socket, sidecast.timeout, ...) are listed in docs/php-extension.md.
extension=$load"
    mods_available=/etc/php/$version/mods-available
    if [ -z "$ini_dir" ] && [ -d "$mods_available" ] && command -v phpenmod >/dev/null; then
        # Debian's layout: one file, linked into every SAPI's conf.d by phpenmod.
        printf '%s\n' "$ini_text" | into "$mods_available" tee "$mods_available/sidecast.ini" >/dev/null
        into "$mods_available" phpenmod -v "$version" sidecast
        echo "Enabled with $mods_available/sidecast.ini (phpenmod -v $version sidecast)"
    else
        # Elsewhere (the official Docker images): the directory PHP scans for ini files.
        ini_dir=${ini_dir:-$("$php" -r 'echo PHP_CONFIG_FILE_SCAN_DIR;')}
        [ -n "$ini_dir" ] || fail "this PHP scans no ini directory; add extension=sidecast to php.ini yourself, or give --ini-dir"
        into "$ini_dir" mkdir -p "$ini_dir"
        printf '%s\n' "$ini_text" | into "$ini_dir" tee "$ini_dir/sidecast.ini" >/dev/null
        echo "Enabled with $ini_dir/sidecast.ini"
    fi
fi

if [ "$own_layout" = 1 ]; then
    modules=$("$php" -m 2>&1 || true)
    grep -qx sidecast <<<"$modules" || fail "installed, but $php does not load it; see $php --ini"
    "$php" --ri sidecast | sed -n '1,6p'
    echo "Restart php-fpm (or your web server) so that it loads the extension too."
fi
