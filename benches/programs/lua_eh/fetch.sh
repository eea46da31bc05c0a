#!/usr/bin/env bash
# Fetches Lua 5.4's C source into src/ (ignored by git) when it is missing.
#
# The source comes from the sdist of lupa 2.8 on PyPI, which bundles Lua 5.4.8
# (third-party/lua54; MIT license, Copyright (C) 1994-2025 Lua.org, PUC-Rio, the
# notice at the end of lua.h). Only the interpreter's .c/.h files are kept. The
# tarball's SHA-256 is checked.
#
# --no-binary lupa (not :all:): pip prepares the sdist's metadata, which needs
# lupa's build dependencies (Cython, setuptools); :all: would build those from
# source too.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"

VERSION=2.8
SHA256=d8022641b9ec8ecf2c5ecbe9f47e5a70e0b87c4b5ae921b92cb02a638e0acd08

[[ -f src/ldo.c && -f src/lua.h ]] && exit 0

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 -m pip download --quiet --no-binary lupa --no-deps "lupa==$VERSION" -d "$tmp"
tarball="$tmp/lupa-$VERSION.tar.gz"
echo "$SHA256  $tarball" | sha256sum -c --quiet
tar -xzf "$tarball" -C "$tmp"
rm -rf src
mkdir src
cp "$tmp/lupa-$VERSION"/third-party/lua54/*.[ch] src/
grep -q '#define LUA_VERSION_RELEASE	"8"' src/lua.h || { echo "fetch.sh: expected Lua 5.4.8" >&2; exit 1; }
echo "fetch.sh: Lua 5.4.8 source from lupa $VERSION in $(pwd)/src" >&2
