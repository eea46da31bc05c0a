#!/usr/bin/env bash
# Builds the benchmark programs to WebAssembly (wasm/NAME.wasm, committed) and
# natively (native/NAME, not committed), checks the Wasm modules, and writes
# expected.txt from the native builds' checksums.
#
#   benches/programs/build.sh            build everything
#   KITE_SKIP_NODE=1 build.sh            skip the cross-check with node
#
# NAME_simd is NAME.c built again with -msimd128 -O3 (natively -O3), both
# with -DSIMD_BUILD; its checksum must equal NAME's.
#
# tailvm_ref is not compiled: it is wasm/tailvm.wasm with every dispatch
# rewritten to return_call_ref by benches/src/bin/typed_dispatch.rs (cargo run,
# so it needs the workspace's Rust toolchain). Natively it is tailvm.
#
# Needs clang-22 and lld-22 (installed with apt-get when missing), llvm-22
# (llvm-objdump-22, a dependency of clang-22) and python3; python3 -m pip once,
# to fetch wasm3's source (wasm3/fetch.sh).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"

# ---------------------------------------------------------------------------
# Tools
# ---------------------------------------------------------------------------
find_wasm_ld() {
    local c
    for c in /usr/lib/llvm-22/bin/wasm-ld "$(command -v wasm-ld-22 || true)"; do
        if [[ -n "$c" && -x "$c" ]]; then echo "$c"; return 0; fi
    done
    return 1
}

if ! command -v clang-22 >/dev/null || ! find_wasm_ld >/dev/null \
    || ! command -v llvm-objdump-22 >/dev/null; then
    echo "build.sh: installing clang-22 and lld-22" >&2
    apt-get update
    apt-get install -y clang-22 lld-22 llvm-22
fi
command -v python3 >/dev/null || { echo "build.sh: python3 is required" >&2; exit 1; }

CC=clang-22
OBJDUMP=llvm-objdump-22
WASM_LD=$(find_wasm_ld)
# clang's wasm driver runs "wasm-ld" from its own bin directory when asked for
# lld; /usr/lib/llvm-22/bin/wasm-ld is exactly that file.
[[ -x /usr/lib/llvm-22/bin/wasm-ld ]] || { echo "build.sh: $WASM_LD found, but clang-22 -fuse-ld=lld needs /usr/lib/llvm-22/bin/wasm-ld" >&2; exit 1; }

# ---------------------------------------------------------------------------
# Programs: NAME -> exported entry points (each () -> i64)
# ---------------------------------------------------------------------------
PROGRAMS=(tailvm tailvm_ref switchvm fib hash matmul sort nbody wasm3 largevm largeswitchvm
          utf8 matmul_simd nbody_simd hash_simd utf8_simd)
declare -A ENTRIES=(
    [tailvm]="run run_fib run_sieve run_ops"
    [tailvm_ref]="run run_fib run_sieve run_ops"
    [switchvm]="run run_fib run_sieve run_ops"
    [fib]="run"
    [hash]="run"
    [matmul]="run"
    [sort]="run"
    [nbody]="run"
    [wasm3]="run run_fib run_sieve"
    [largevm]="run run_fib run_sieve run_ops"
    [largeswitchvm]="run run_fib run_sieve run_ops"
    [utf8]="run"
    [matmul_simd]="run"
    [nbody_simd]="run"
    [hash_simd]="run"
    [utf8_simd]="run"
)
# Programs made from another program's Wasm by typed_dispatch (clang cannot emit
# return_call_ref), listed after it: NAME -> the program it is made from. Their
# native build is that program's (native/NAME is a link to it), since the C is
# the same: only the Wasm instruction that dispatches differs.
declare -A REWRITTEN=([tailvm_ref]=tailvm)
# Programs whose handlers tail-call: built with -mtail-call, checked for return_call.
declare -A TAILCALL=([tailvm]=1 [wasm3]=1 [largevm]=1)
# Number of handlers in tailvm.c that end in a musttail dispatch (every opcode but HALT).
TAILVM_DISPATCHING_HANDLERS=41
# wasm3's ops end in a musttail dispatch (wasm3/wasm3_unity.c): clang-22 emits
# about 500 return_call_indirect for them; at least this many are required.
WASM3_MIN_RETURN_CALL_INDIRECT=300
# largevm: 256 handlers, all but halt and trap end in a musttail dispatch.
LARGEVM_MIN_RETURN_CALL_INDIRECT=250
# SIMD builds (NAME_simd, from NAME.c): clang-22 autovectorizes at -O3 with
# -msimd128. Each must have at least SIMD_MIN_V128 SIMD instructions, and the
# function that does a program's timed work (SIMD_KERNEL) must have some, so
# that a clang that stops vectorizing it fails the build instead of quietly
# benchmarking scalar code twice. nbody_simd has none: clang-22's cost model
# for wasm32 finds f64x2 not worth it in advance() (it vectorizes it natively),
# so its v128 code is in the set-up and energy(). Every other build must have
# no SIMD instruction at all (it is meant to run on a runtime without SIMD).
SIMD_MIN_V128=10
declare -A SIMD_KERNEL=([matmul_simd]=matmul [hash_simd]=fmix_sum [utf8_simd]=validate)
# A line of llvm-objdump -d that is a SIMD instruction (every SIMD opcode
# starts with one of these prefixes).
SIMD_OP='(v128|i8x16|i16x8|i32x4|i64x2|f32x4|f64x2)[.]'
# Extra clang arguments (sources, include paths, libraries), for both builds and
# for one of them. wasm3's libc shim is for wasm32 only; natively it uses libc.
declare -A EXTRA_ARGS=([wasm3]="-Iwasm3/src -Iwasm3/gen wasm3/wasm3_unity.c")
declare -A WASM_EXTRA_ARGS=([wasm3]="-isystem wasm3/libc/include wasm3/libc/libc.c")
declare -A NATIVE_EXTRA_ARGS=([wasm3]="-lm")

WASM_FLAGS=(--target=wasm32 -nostdlib -ffp-contract=off
            -Werror=unknown-attributes -fuse-ld=lld -Wl,--no-entry)
NATIVE_FLAGS=(-ffp-contract=off -Werror=unknown-attributes)
# Optimisation: -O2; the SIMD builds -O3, the level SIMD code is usually built
# at (clang's vectorizers run at -O2 as well). -DSIMD_BUILD tells a source it
# is a SIMD build: utf8.c then uses its vector validator (clang does not
# vectorize the scalar one); matmul, nbody and hash ignore it. Natively the
# SIMD builds get the default x86-64 target (SSE2), not -march=native, so the
# native reference uses 128-bit vectors like Wasm.
SCALAR_OPT=(-O2)
WASM_SIMD_OPT=(-O3 -msimd128 -DSIMD_BUILD)
NATIVE_SIMD_OPT=(-O3 -DSIMD_BUILD)

mkdir -p wasm native

# wasm3: fetch its source (once) and build the guest module it runs, embedded
# in wasm3.c as the byte array of wasm3/gen/guest_wasm.h.
wasm3/fetch.sh
mkdir -p wasm3/gen
cmd=("$CC" --target=wasm32 -mcpu=mvp -O2 -nostdlib -fno-builtin -fuse-ld=lld -Wl,--no-entry
     -Wl,--strip-all -Wl,-z,stack-size=4096 -o wasm3/gen/guest.wasm wasm3/guest.c)
echo "+ ${cmd[*]}"
"${cmd[@]}"
python3 wasm_check.py wasm3/gen/guest.wasm
python3 embed_bytes.py wasm3/gen/guest.wasm wasm3/gen/guest_wasm.h guest_wasm 12 wasm3/guest.c

# largevm.c and largeswitchvm.c are generated and committed: rewrite them if
# gen_largevm.py has changed (it writes only files whose text differs).
python3 gen_largevm.py

for name in "${PROGRAMS[@]}"; do
    if [[ -n "${REWRITTEN[$name]:-}" ]]; then
        from=${REWRITTEN[$name]}
        # typed_dispatch validates what it writes (function references on) and
        # fails if nothing dispatches; tests/all/typed_dispatch.rs checks that
        # no handler dispatch is left as return_call_indirect.
        cmd=(cargo run --quiet --release -p kite-bench --bin typed_dispatch -- "wasm/$from.wasm" "wasm/$name.wasm")
        echo "+ ${cmd[*]}"
        "${cmd[@]}"
        python3 wasm_check.py "wasm/$name.wasm" ${ENTRIES[$name]}
        ln -sfn "$from" "native/$name"
        continue
    fi
    src="${name%_simd}.c"
    wasm_opt=("${SCALAR_OPT[@]}") native_opt=("${SCALAR_OPT[@]}")
    if [[ $name == *_simd ]]; then wasm_opt=("${WASM_SIMD_OPT[@]}") native_opt=("${NATIVE_SIMD_OPT[@]}"); fi
    exports=()
    for e in ${ENTRIES[$name]}; do exports+=("-Wl,--export=$e"); done
    extra=()
    [[ -n "${TAILCALL[$name]:-}" ]] && extra+=(-mtail-call)

    # --- Wasm --------------------------------------------------------------
    cmd=("$CC" "${WASM_FLAGS[@]}" "${wasm_opt[@]}" "${extra[@]}" "${exports[@]}" -o "wasm/$name.wasm" "$src"
         ${EXTRA_ARGS[$name]:-} ${WASM_EXTRA_ARGS[$name]:-})
    echo "+ ${cmd[*]}"
    "${cmd[@]}"
    chmod 644 "wasm/$name.wasm"  # wasm-ld marks its output executable
    python3 wasm_check.py "wasm/$name.wasm" ${ENTRIES[$name]}

    dis=$("$OBJDUMP" -d "wasm/$name.wasm")
    n_rci=$(grep -c 'return_call_indirect' <<<"$dis" || true)
    n_ci=$(grep -E '\scall_indirect' <<<"$dis" | grep -vc 'return_call_indirect' || true)
    n_simd=$(grep -cE "$SIMD_OP" <<<"$dis" || true)
    if [[ $name == *_simd ]]; then
        # "function count" per function with SIMD instructions, most first
        per_fn=$(awk -v op="$SIMD_OP" '/^[0-9a-f]+ <.*>:$/ {fn = substr($2, 2, length($2) - 3)}
                                       $0 ~ op {n[fn]++}
                                       END {for (f in n) print f, n[f]}' <<<"$dis" | sort -k2,2nr)
        echo "  $name: $n_simd SIMD instructions ($(paste -sd, <<<"$per_fn" | sed 's/,/, /g'))"
        if (( n_simd < SIMD_MIN_V128 )); then
            echo "build.sh: wasm/$name.wasm has $n_simd SIMD instructions, expected >= $SIMD_MIN_V128" >&2
            exit 1
        fi
        kernel=${SIMD_KERNEL[$name]:-}
        if [[ -n "$kernel" ]] && ! grep -q "^$kernel " <<<"$per_fn"; then
            echo "build.sh: wasm/$name.wasm: no SIMD instruction in $kernel, which does the timed work" >&2
            exit 1
        fi
    elif (( n_simd > 0 )); then
        echo "build.sh: wasm/$name.wasm has $n_simd SIMD instructions, expected none" >&2
        exit 1
    fi
    if [[ $name == tailvm ]]; then
        # Without -mtail-call clang drops musttail (with only a warning): the
        # handlers would then recurse with call_indirect and overflow the stack.
        if (( n_rci < TAILVM_DISPATCHING_HANDLERS )); then
            echo "build.sh: wasm/$name.wasm has $n_rci return_call_indirect, expected >= $TAILVM_DISPATCHING_HANDLERS" >&2
            exit 1
        fi
        if (( n_ci > 1 )); then  # only vm_exec's first dispatch may be a plain call
            echo "build.sh: wasm/$name.wasm has $n_ci plain call_indirect, expected <= 1" >&2
            exit 1
        fi
        echo "  $name: $n_rci return_call_indirect, $n_ci call_indirect"
    fi
    if [[ $name == wasm3 ]]; then
        if (( n_rci < WASM3_MIN_RETURN_CALL_INDIRECT )); then
            echo "build.sh: wasm/$name.wasm has $n_rci return_call_indirect, expected >= $WASM3_MIN_RETURN_CALL_INDIRECT" >&2
            exit 1
        fi
        # Only the ops that run code and come back (calls, a function's entry, a
        # loop) may make a plain call_indirect; every other op must tail-call.
        bad=$(awk '/^[0-9a-f]+ <.*>:$/ {fn = $2}
                   /[ \t]call_indirect/ && fn ~ /^<op_/ && fn !~ /^<op_(Call|CallIndirect|CallRawFunction|Entry|Loop)>:$/ {print fn}' \
              <<<"$dis" | sort -u | tr '\n' ' ')
        if [[ -n "$bad" ]]; then
            echo "build.sh: wasm/$name.wasm: plain call_indirect in $bad" >&2
            exit 1
        fi
        echo "  $name: $n_rci return_call_indirect, $n_ci call_indirect (none in an op that should tail-call)"
    fi
    if [[ $name == largevm ]]; then
        if (( n_rci < LARGEVM_MIN_RETURN_CALL_INDIRECT )); then
            echo "build.sh: wasm/$name.wasm has $n_rci return_call_indirect, expected >= $LARGEVM_MIN_RETURN_CALL_INDIRECT" >&2
            exit 1
        fi
        # Plain call_indirect is for the helper calls; every handler but halt
        # and trap must dispatch with return_call_indirect.
        bad=$(awk '/^[0-9a-f]+ <.*>:$/ {fn = $2; if (fn ~ /^<op_/ && fn !~ /^<op_(halt|trap)>:$/) need[fn] = 1}
                   /return_call_indirect/ {have[fn] = 1}
                   END {for (f in need) if (!(f in have)) print f}' <<<"$dis" | sort | tr '\n' ' ')
        if [[ -n "$bad" ]]; then
            echo "build.sh: wasm/$name.wasm: no return_call_indirect in $bad" >&2
            exit 1
        fi
        python3 largevm_check.py "wasm/$name.wasm" 250 1000  # table size and handler interleaving
        echo "  $name: $n_rci return_call_indirect, $n_ci call_indirect (helper calls)"
    fi

    # --- Native ------------------------------------------------------------
    cmd=("$CC" "${NATIVE_FLAGS[@]}" "${native_opt[@]}" -o "native/$name" "$src" native_main.c
         ${EXTRA_ARGS[$name]:-} ${NATIVE_EXTRA_ARGS[$name]:-})
    echo "+ ${cmd[*]}"
    "${cmd[@]}"
done

# ---------------------------------------------------------------------------
# expected.txt from the native builds
# ---------------------------------------------------------------------------
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
{
    echo "# NAME ENTRY CHECKSUM: written by build.sh from the native builds (clang-22 -O2 -ffp-contract=off; NAME_simd -O3)"
    for name in "${PROGRAMS[@]}"; do
        for e in ${ENTRIES[$name]}; do
            out=$("./native/$name" "$e")
            sum=$(sed -n 1p <<<"$out")
            ns=$(sed -n 2p <<<"$out")
            [[ "$sum" =~ ^-?[0-9]+$ && "$ns" == ns=* ]] || { echo "build.sh: bad output from native/$name $e: $out" >&2; exit 1; }
            printf '  native %-13s %-10s %21s  %8.3f s\n' "$name" "$e" "$sum" "$(awk -v n="${ns#ns=}" 'BEGIN{print n/1e9}')" >&2
            echo "$name $e $sum"
        done
    done
} >"$tmp"
mv "$tmp" expected.txt
chmod 644 expected.txt
trap - EXIT

# The two VMs run the same bytecode programs: their checksums must agree.
for e in ${ENTRIES[tailvm]}; do
    a=$(awk -v e="$e" '$1=="tailvm" && $2==e {print $3}' expected.txt)
    b=$(awk -v e="$e" '$1=="switchvm" && $2==e {print $3}' expected.txt)
    [[ "$a" == "$b" ]] || { echo "build.sh: tailvm $e = $a but switchvm $e = $b" >&2; exit 1; }
done
for e in ${ENTRIES[largevm]}; do
    a=$(awk -v e="$e" '$1=="largevm" && $2==e {print $3}' expected.txt)
    b=$(awk -v e="$e" '$1=="largeswitchvm" && $2==e {print $3}' expected.txt)
    [[ "$a" == "$b" ]] || { echo "build.sh: largevm $e = $a but largeswitchvm $e = $b" >&2; exit 1; }
done
# A SIMD build computes what its scalar build does.
for name in "${PROGRAMS[@]}"; do
    [[ $name == *_simd ]] || continue
    for e in ${ENTRIES[$name]}; do
        a=$(awk -v n="${name%_simd}" -v e="$e" '$1==n && $2==e {print $3}' expected.txt)
        b=$(awk -v n="$name" -v e="$e" '$1==n && $2==e {print $3}' expected.txt)
        [[ "$a" == "$b" ]] || { echo "build.sh: ${name%_simd} $e = $a but $name $e = $b" >&2; exit 1; }
    done
done
[[ "$(awk '$1=="fib" {print $3}' expected.txt)" == 39088169 ]] || { echo "build.sh: fib(38) is not 39088169" >&2; exit 1; }
[[ "$(awk '$1=="wasm3" && $2=="run_fib" {print $3}' expected.txt)" == 9227465 ]] || { echo "build.sh: wasm3's guest fib(35) is not 9227465" >&2; exit 1; }
echo "wrote expected.txt"

# ---------------------------------------------------------------------------
# Optional independent check: run every Wasm entry in node's V8
# ---------------------------------------------------------------------------
if [[ -z "${KITE_SKIP_NODE:-}" ]] && command -v node >/dev/null; then
    node node_check.mjs
fi
