#!/usr/bin/env bash
# Builds the benchmark programs to WebAssembly (wasm/NAME.wasm, committed) and
# natively (native/NAME, not committed), checks the Wasm modules, and writes
# expected.txt from the native builds' checksums.
#
#   benches/programs/build.sh            build everything
#   KITE_SKIP_NODE=1 build.sh            skip the cross-check with node
#
# Needs clang-22 and lld-22 (installed with apt-get when missing), llvm-22
# (llvm-objdump-22, a dependency of clang-22) and python3.
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
PROGRAMS=(tailvm switchvm fib hash matmul sort nbody)
declare -A ENTRIES=(
    [tailvm]="run run_fib run_sieve run_ops"
    [switchvm]="run run_fib run_sieve run_ops"
    [fib]="run"
    [hash]="run"
    [matmul]="run"
    [sort]="run"
    [nbody]="run"
)
# Programs whose handlers tail-call: built with -mtail-call, checked for return_call.
declare -A TAILCALL=([tailvm]=1)
# Number of handlers in tailvm.c that end in a musttail dispatch (every opcode but HALT).
TAILVM_DISPATCHING_HANDLERS=41

WASM_FLAGS=(--target=wasm32 -O2 -nostdlib -ffp-contract=off
            -Werror=unknown-attributes -fuse-ld=lld -Wl,--no-entry)
NATIVE_FLAGS=(-O2 -ffp-contract=off -Werror=unknown-attributes)

mkdir -p wasm native

for name in "${PROGRAMS[@]}"; do
    src="$name.c"
    exports=()
    for e in ${ENTRIES[$name]}; do exports+=("-Wl,--export=$e"); done
    extra=()
    [[ -n "${TAILCALL[$name]:-}" ]] && extra+=(-mtail-call)

    # --- Wasm --------------------------------------------------------------
    cmd=("$CC" "${WASM_FLAGS[@]}" "${extra[@]}" "${exports[@]}" -o "wasm/$name.wasm" "$src")
    echo "+ ${cmd[*]}"
    "${cmd[@]}"
    chmod 644 "wasm/$name.wasm"  # wasm-ld marks its output executable
    python3 wasm_check.py "wasm/$name.wasm" ${ENTRIES[$name]}

    dis=$("$OBJDUMP" -d "wasm/$name.wasm")
    n_rci=$(grep -c 'return_call_indirect' <<<"$dis" || true)
    n_ci=$(grep -E '\scall_indirect' <<<"$dis" | grep -vc 'return_call_indirect' || true)
    if [[ -n "${TAILCALL[$name]:-}" ]]; then
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

    # --- Native ------------------------------------------------------------
    cmd=("$CC" "${NATIVE_FLAGS[@]}" -o "native/$name" "$src" native_main.c)
    echo "+ ${cmd[*]}"
    "${cmd[@]}"
done

# ---------------------------------------------------------------------------
# expected.txt from the native builds
# ---------------------------------------------------------------------------
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
{
    echo "# NAME ENTRY CHECKSUM: written by build.sh from the native builds (clang-22 -O2 -ffp-contract=off)"
    for name in "${PROGRAMS[@]}"; do
        for e in ${ENTRIES[$name]}; do
            out=$("./native/$name" "$e")
            sum=$(sed -n 1p <<<"$out")
            ns=$(sed -n 2p <<<"$out")
            [[ "$sum" =~ ^-?[0-9]+$ && "$ns" == ns=* ]] || { echo "build.sh: bad output from native/$name $e: $out" >&2; exit 1; }
            printf '  native %-9s %-10s %21s  %8.3f s\n' "$name" "$e" "$sum" "$(awk -v n="${ns#ns=}" 'BEGIN{print n/1e9}')" >&2
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
[[ "$(awk '$1=="fib" {print $3}' expected.txt)" == 39088169 ]] || { echo "build.sh: fib(38) is not 39088169" >&2; exit 1; }
echo "wrote expected.txt"

# ---------------------------------------------------------------------------
# Optional independent check: run every Wasm entry in node's V8
# ---------------------------------------------------------------------------
if [[ -z "${KITE_SKIP_NODE:-}" ]] && command -v node >/dev/null; then
    node node_check.mjs
fi
