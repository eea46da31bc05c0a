#!/usr/bin/env python3
"""wasm_check.py FILE.wasm EXPORT...

Checks that a Wasm module has no imports at all and exports each named
EXPORT as a function of type [] -> [i64]. Prints one summary line; exits
non-zero on the first problem. Standard library only.
"""
import sys


def leb_u(b, i):
    r = s = 0
    while True:
        x = b[i]
        i += 1
        r |= (x & 0x7F) << s
        s += 7
        if x < 0x80:
            return r, i


def name(b, i):
    n, i = leb_u(b, i)
    return b[i:i + n].decode("utf-8"), i + n


def sections(path):
    """The bytes of the module at `path` and (id, start, end) of each of its sections; exits if
    it is not a Wasm 1.0 binary."""
    b = open(path, "rb").read()
    if b[:8] != b"\0asm\x01\0\0\0":
        sys.exit(f"{path}: not a Wasm 1.0 binary")
    found, i = [], 8
    while i < len(b):
        sid = b[i]
        size, i = leb_u(b, i + 1)
        found.append((sid, i, i + size))
        i += size
    return b, found


def exports_in(b, i):
    """(name, kind, index) of each export of the export section starting at `i`."""
    n, j = leb_u(b, i)
    for _ in range(n):
        nm, j = name(b, j)
        kind = b[j]
        idx, j = leb_u(b, j + 1)
        yield nm, kind, idx


def main():
    path, wanted = sys.argv[1], sys.argv[2:]
    b, found = sections(path)
    types, funcs, imports, exports = [], [], 0, {}
    for sid, i, _ in found:
        if sid == 1:  # type
            n, j = leb_u(b, i)
            for _ in range(n):
                if b[j] != 0x60:
                    sys.exit(f"{path}: unexpected type form {b[j]:#x}")
                np, j = leb_u(b, j + 1)
                params = bytes(b[j:j + np]); j += np
                nr, j = leb_u(b, j)
                results = bytes(b[j:j + nr]); j += nr
                types.append((params, results))
        elif sid == 2:  # import
            imports, _ = leb_u(b, i)
        elif sid == 3:  # function
            n, j = leb_u(b, i)
            for _ in range(n):
                t, j = leb_u(b, j)
                funcs.append(t)
        elif sid == 7:  # export
            for nm, kind, idx in exports_in(b, i):
                exports[nm] = (kind, idx)
    if imports:
        sys.exit(f"{path}: has {imports} import(s); must have none")
    for w in wanted:
        if w not in exports:
            sys.exit(f"{path}: missing export {w}")
        kind, idx = exports[w]
        if kind != 0:
            sys.exit(f"{path}: export {w} is not a function")
        params, results = types[funcs[idx]]  # no imported functions, so no offset
        if params != b"" or results != b"\x7e":
            sys.exit(f"{path}: export {w} is not [] -> [i64]")
    print(f"{path}: imports=0 exports={','.join(sorted(exports))}")


if __name__ == "__main__":
    main()
