#!/usr/bin/env bash
# Builds the WASI test programs (NAME.c -> NAME.wasm, committed) with clang-22 and Debian's
# wasi-libc, for wasm32-wasip1. Run it after changing a program:
#
#   tests/wasi/build.sh
#
# Needs clang-22, lld-22, wasi-libc and libclang-rt-22-dev-wasm32 (compiler-rt's builtins for
# wasm32): installed with apt-get when missing.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"

PROGRAMS=(args_env stdio exit trap clocks files sandbox cat)

RT=/usr/lib/llvm-22/lib/clang/22/lib/wasi/libclang_rt.builtins-wasm32.a
if ! command -v clang-22 >/dev/null || [[ ! -x /usr/lib/llvm-22/bin/wasm-ld ]] \
    || [[ ! -f /usr/lib/wasm32-wasi/libc.a ]] || [[ ! -f $RT ]]; then
    echo "build.sh: installing clang-22, lld-22, wasi-libc and libclang-rt-22-dev-wasm32" >&2
    apt-get update
    apt-get install -y clang-22 lld-22 wasi-libc libclang-rt-22-dev-wasm32
fi

# Debian's wasi-libc lives in /usr/{include,lib}/wasm32-wasi: clang finds it with --sysroot=/usr
# and the wasm32-wasi triple (the older spelling of wasm32-wasip1, the same ABI).
FLAGS=(--target=wasm32-wasi -Wno-deprecated --sysroot=/usr -O2 -Wall -Werror -s)

for name in "${PROGRAMS[@]}"; do
    cmd=(clang-22 "${FLAGS[@]}" -o "$name.wasm" "$name.c")
    echo "+ ${cmd[*]}"
    "${cmd[@]}"
    chmod 644 "$name.wasm"  # wasm-ld marks its output executable
done
