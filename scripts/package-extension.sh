#!/usr/bin/env bash
# Builds the sidecast extension for one PHP and packs it as the release asset PIE (the PHP
# Installer for Extensions, 1.4 or newer) downloads for that PHP:
#
#   scripts/package-extension.sh 0.1.0                       # for the php on PATH
#   scripts/package-extension.sh 0.1.0 --php /usr/bin/php8.3
#   scripts/package-extension.sh 0.1.0 --prebuilt target/release/libsidecast.so
#
# writes target/pie/php_sidecast-<version>_php<X.Y>-<arch>-linux-glibc-nts.zip with sidecast.so
# at its top level. <version> must be the release's tag, as PIE looks the asset up by it.
# Building for each supported PHP and uploading the files to the GitHub release is the
# release's job (docs/php-extension.md#installing-with-pie).
set -euo pipefail

cd "$(dirname "$0")/.."

[ $# -ge 1 ] && [[ $1 != -* ]] || { echo "usage: $0 VERSION [--php /path/to/php] [--prebuilt FILE]" >&2; exit 2; }
version=$1
shift
php=php
prebuilt=()
while [ $# -gt 0 ]; do
    case "$1" in
        --php) php=$2; shift 2 ;;
        --prebuilt) prebuilt=(--prebuilt "$2"); shift 2 ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done
[[ $version =~ ^v?[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.-]+)?$ ]] \
    || { echo "package-extension: \"$version\" is not a version such as 1.2.3" >&2; exit 2; }

build=$(mktemp -d)
trap 'rm -rf "$build"' EXIT
# install-extension.sh checks the PHP (8.1 to 8.5, NTS, glibc) and builds for it.
scripts/install-extension.sh --php "$php" "${prebuilt[@]}" --no-ini --extension-dir "$build" >&2

php_version=$("$php" -r 'echo PHP_MAJOR_VERSION.".".PHP_MINOR_VERSION;')
case "$(uname -m)" in
    x86_64|amd64) arch=x86_64 ;;
    aarch64|arm64) arch=arm64 ;;
    *) echo "package-extension: no PIE name for the architecture $(uname -m)" >&2; exit 1 ;;
esac
mkdir -p target/pie
asset=target/pie/php_sidecast-${version}_php${php_version}-${arch}-linux-glibc-nts.zip
rm -f "$asset"
(cd "$build" && zip -q -X "$OLDPWD/$asset" sidecast.so)
echo "$asset"
