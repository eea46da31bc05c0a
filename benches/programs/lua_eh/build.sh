#!/usr/bin/env bash
# Builds lua_eh.wasm and lua_eh_legacy.wasm (committed) from Lua
# 5.4.8 (fetch.sh), main.c and script.lua, and writes expected.txt, the
# script's output under wasmtime 48.0.8. See ../README.md, section lua_eh.
#
# Lua raises errors with longjmp and catches them with setjmp (luaD_throw,
# luaD_rawrunprotected). clang-22 lowers both to Wasm exception handling
# (-mllvm -wasm-enable-sjlj): a setjmp's function catches the tag __c_longjmp
# around its calls, longjmp throws it. eh_lib.cpp (C++, -fwasm-exceptions) adds
# frames with destructors, whose cleanup handlers catch any exception, run the
# destructors and throw it on. The two builds differ only in the encoding:
#   lua_eh.wasm         -wasm-use-legacy-eh=false: try_table (catch, catch_all_ref),
#                       throw, throw_ref (the exnref proposal, Wasm 3.0)
#   lua_eh_legacy.wasm  -wasm-use-legacy-eh=true: try, catch, catch_all, rethrow,
#                       throw (legacy)
# The run-time half of the lowering is sjlj_rt.c and c_longjmp.S, since
# Debian's wasi-libc (2022) has no setjmp support.
#
# Checks: the EH instructions each build has (and that neither has the other
# encoding's), the WASI imports (only those of ALLOWED_IMPORTS), the output of a
# native build of the same sources against wasmtime's, and, with node (unless
# KITE_SKIP_NODE is set), node's output of the legacy build.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"
root=$(cd ../../.. && pwd)

need=()
command -v clang-22 >/dev/null || need+=(clang-22)
command -v wasm-ld-22 >/dev/null || need+=(lld-22)
command -v llvm-objdump-22 >/dev/null || need+=(llvm-22)
[[ -f /usr/lib/wasm32-wasi/libc.a ]] || need+=(wasi-libc)
[[ -f /usr/lib/llvm-22/lib/clang/22/lib/wasi/libclang_rt.builtins-wasm32.a ]] || need+=(libclang-rt-22-dev-wasm32)
if ((${#need[@]})); then
    echo "build.sh: installing ${need[*]}" >&2
    apt-get update
    apt-get install -y "${need[@]}"
fi

CC=clang-22
OBJDUMP=llvm-objdump-22
./fetch.sh

# The script, embedded as a byte array.
mkdir -p gen
python3 ../embed_bytes.py script.lua gen/script_lua.h script_lua 16 script.lua

# Lua's core and the libraries main.c opens; not lua.c/luac.c (main.c is the
# program), ltests.c/onelua.c (test and amalgamation builds), linit.c (main.c
# opens its own list), liolib.c, loslib.c and loadlib.c (files, processes,
# dynamic libraries).
LUA_SRC=()
for f in src/*.c; do
    case ${f#src/} in
        lua.c | luac.c | ltests.c | onelua.c | linit.c | liolib.c | loslib.c | loadlib.c) ;;
        *) LUA_SRC+=("$f") ;;
    esac
done
# Determinism: a fixed seed for string hashing (Lua mixes in time() and
# addresses) and for table.sort's pivot randomization (clock() and time()).
# l_signalT: Lua's hook flags are sig_atomic_t, whose <signal.h> wasi-libc
# refuses without signal emulation.
DEFS=(-D'luai_makeseed(L)=0x5eedu' -D'l_randomizePivot()=0x9e3779b9u' -Dl_signalT=int)
# --target=wasm32-wasi: Debian's sysroot is /usr/include/wasm32-wasi and
# /usr/lib/wasm32-wasi (clang-22 would look for wasm32-wasip1 under the new
# name). -mexception-handling: the sjlj lowering requires the feature. 1 MiB of
# linear-memory stack (wasm-ld's default is 64 KiB) for Lua's C recursion
# (LUAI_MAXCCALLS = 200 nested C calls). --strip-debug drops the DWARF that
# Debian's libc.a carries, keeping the name section.
WASM_FLAGS=(--target=wasm32-wasi -Wno-deprecated -O2 -mexception-handling -mllvm -wasm-enable-sjlj)
WASM_LDFLAGS=(-fuse-ld=lld -Wl,-z,stack-size=1048576 -Wl,--strip-debug)
INCLUDES=(-Iinclude -Isrc -I.)
# eh_lib.cpp: Wasm exception handling for C++ cleanups; no RTTI, no C++ library
# (it has no catch and no throw of its own). clang-22 crashes on C with
# -fexceptions -fwasm-exceptions, hence C++ for the frames with cleanups.
CXX_FLAGS=(-x c++ -std=c++17 -fwasm-exceptions -fno-rtti)

# Instruction counts: "OP=N ..." for the EH instructions of a module.
EH_OPS=(try_table throw throw_ref try catch catch_all delegate rethrow)
eh_counts() {
    "$OBJDUMP" -d "$1" | awk -F'\t' -v ops="${EH_OPS[*]}" '
        BEGIN { n = split(ops, o, " "); for (i = 1; i <= n; i++) c[o[i]] = 0 }
        NF >= 2 { split($2, a, " "); if (a[1] in c) c[a[1]]++ }
        END { for (i = 1; i <= n; i++) printf "%s%s=%d", (i > 1 ? " " : ""), o[i], c[o[i]]; print "" }'
}
count_of() { tr ' ' '\n' <<<"$1" | awk -F= -v op="$2" '$1 == op {print $2}'; }

# The WASI preview1 functions a module may import (what main.c's stdio and
# lauxlib's loadfile pull in from wasi-libc).
ALLOWED_IMPORTS="clock_time_get fd_close fd_fdstat_get fd_fdstat_set_flags fd_prestat_get
                 fd_prestat_dir_name fd_read fd_renumber fd_seek fd_write path_open proc_exit"

declare -A LEGACY=([lua_eh]=false [lua_eh_legacy]=true)
for name in lua_eh lua_eh_legacy; do
    out=$name.wasm
    obj=$(mktemp --suffix=.o)
    cmd=("$CC" "${WASM_FLAGS[@]}" -mllvm -wasm-use-legacy-eh=${LEGACY[$name]} "${INCLUDES[@]}" "${CXX_FLAGS[@]}"
         -c -o "$obj" eh_lib.cpp)
    echo "+ ${cmd[*]}"
    "${cmd[@]}"
    cmd=("$CC" "${WASM_FLAGS[@]}" "${WASM_LDFLAGS[@]}" -mllvm -wasm-use-legacy-eh=${LEGACY[$name]} "${INCLUDES[@]}" "${DEFS[@]}"
         -o "$out" main.c sjlj_rt.c c_longjmp.S "${LUA_SRC[@]}" "$obj")
    echo "+ ${cmd[*]}"
    "${cmd[@]}"
    rm -f "$obj"
    chmod 644 "$out"
    counts=$(eh_counts "$out")
    echo "  $name: $(stat -c %s "$out") bytes; $counts"
    if [[ $name == lua_eh ]]; then
        must=(try_table throw throw_ref) mustnot=(try catch catch_all delegate rethrow)
    else
        must=(try catch catch_all rethrow throw) mustnot=(try_table throw_ref)
    fi
    for op in "${must[@]}"; do
        (($(count_of "$counts" "$op") > 0)) || { echo "build.sh: $out has no $op" >&2; exit 1; }
    done
    for op in "${mustnot[@]}"; do
        (($(count_of "$counts" "$op") == 0)) || { echo "build.sh: $out has $op" >&2; exit 1; }
    done
    imports=$(python3 wasm_imports.py "$out" | awk '$1 == "import" {print $2 "." $3}')
    for i in $imports; do
        [[ ${i%%.*} == wasi_snapshot_preview1 && " $(echo $ALLOWED_IMPORTS) " == *" ${i#*.} "* ]] \
            || { echo "build.sh: $out imports $i" >&2; exit 1; }
    done
    echo "  $name imports: $(sed 's/wasi_snapshot_preview1\.//g' <<<"$imports" | tr '\n' ' ')"
done

# expected.txt: the output of lua_eh.wasm under wasmtime 48.0.8, which does not
# implement the legacy instructions (so cannot run lua_eh_legacy.wasm).
cmd=(cargo run --quiet --release -p kite-bench --bin wasmtime_wasi_run -- "$PWD/lua_eh.wasm")
echo "+ ${cmd[*]} > expected.txt"
(cd "$root" && "${cmd[@]}") >expected.txt.tmp
mv expected.txt.tmp expected.txt
echo "  expected.txt: $(wc -l <expected.txt) lines"

# An independent check: the same sources built natively print the same. All of
# it as C++ (clang-22 -x c++, LUA_CORE_CXX for eh_lib.cpp), so that Lua's errors
# are C++ exceptions and run eh_lib.cpp's destructors as the Wasm builds do (a
# native longjmp would skip them).
native=$(mktemp -d)
trap 'rm -rf "$native"' EXIT
"$CC" -x c++ -O2 -Isrc -I. "${DEFS[@]}" -DLUA_CORE_CXX -w -o "$native/lua_eh" main.c "${LUA_SRC[@]}" eh_lib.cpp -lm -lstdc++
"$native/lua_eh" >"$native/out.txt"
cmp "$native/out.txt" expected.txt || { echo "build.sh: the native build's output differs from expected.txt" >&2; exit 1; }
echo "  native build: same output"

# node 20 implements legacy EH only (no try_table/exnref, not even behind a flag).
if [[ -z "${KITE_SKIP_NODE:-}" ]] && command -v node >/dev/null; then
    node --no-warnings wasi_run.mjs lua_eh_legacy.wasm >"$native/node.txt" || echo "  node exited with $? (see README: node 20 sometimes crashes after the output)"
    cmp "$native/node.txt" expected.txt || { echo "build.sh: node's output of lua_eh_legacy.wasm differs from expected.txt" >&2; exit 1; }
    echo "  node $(node --version), lua_eh_legacy.wasm: same output"
fi
