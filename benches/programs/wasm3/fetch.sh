#!/usr/bin/env bash
# Fetches wasm3's C source into wasm3/src/ (ignored by git) when it is missing.
#
# The source comes from the sdist of pywasm3 0.5.0 on PyPI, which bundles
# wasm3's interpreter (wasm3/*.c, *.h; MIT license, Copyright (c) 2019
# Volodymyr Shymanskyy and Steven Massey). Only that directory and the
# LICENSE file are kept. The tarball's SHA-256 is checked.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"

VERSION=0.5.0
SHA256=5a47c8a39f7f6ae71b3316b2e5d86c9d0db6e771a65f09a86e4d4aa3a19aefcc

[[ -f src/m3_exec.h && -f src/LICENSE ]] && exit 0

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 -m pip download --quiet --no-binary :all: --no-deps "pywasm3==$VERSION" -d "$tmp"
tarball="$tmp/pywasm3-$VERSION.tar.gz"
echo "$SHA256  $tarball" | sha256sum -c --quiet
tar -xzf "$tarball" -C "$tmp"
rm -rf src
mkdir src
cp "$tmp/pywasm3-$VERSION"/wasm3/*.[ch] "$tmp/pywasm3-$VERSION/LICENSE" src/
echo "fetch.sh: wasm3 source from pywasm3 $VERSION in $(pwd)/src" >&2
