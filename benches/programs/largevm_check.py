#!/usr/bin/env python3
"""largevm_check.py FILE.wasm [MIN_HANDLERS MIN_TABLE]

Checks the funcref table of the tail-calling largevm build: the handlers
(functions of type (11 x i32) -> ()) are at least MIN_HANDLERS (default 250)
of the entries of a table of at least MIN_TABLE (default 1000) entries, and
they are interleaved with functions of other types the way rustc and clang
lay tables out: at least 12 other types in the table, never more than 4
handlers in a row, and most other-typed functions placed between the first
and the last handler. Prints one summary line; exits non-zero on a failure.
Standard library only.
"""
import sys

from wasm_check import leb_u


def main():
    path = sys.argv[1]
    min_handlers = int(sys.argv[2]) if len(sys.argv) > 2 else 250
    min_table = int(sys.argv[3]) if len(sys.argv) > 3 else 1000
    b = open(path, "rb").read()
    if b[:8] != b"\0asm\x01\0\0\0":
        sys.exit(f"{path}: not a Wasm 1.0 binary")
    types, funcs, tables, elems = [], [], [], []
    i = 8
    while i < len(b):
        sid = b[i]
        size, i = leb_u(b, i + 1)
        end = i + size
        if sid == 1:  # type
            n, j = leb_u(b, i)
            for _ in range(n):
                np, j = leb_u(b, j + 1)
                params = bytes(b[j:j + np]); j += np
                nr, j = leb_u(b, j)
                results = bytes(b[j:j + nr]); j += nr
                types.append((params, results))
        elif sid == 2:  # import: the benchmark modules have none
            n, _ = leb_u(b, i)
            if n:
                sys.exit(f"{path}: has imports")
        elif sid == 3:  # function
            n, j = leb_u(b, i)
            for _ in range(n):
                t, j = leb_u(b, j)
                funcs.append(t)
        elif sid == 4:  # table
            n, j = leb_u(b, i)
            for _ in range(n):
                j += 1  # reftype
                flags, j = leb_u(b, j)
                lo, j = leb_u(b, j)
                if flags & 1:
                    _, j = leb_u(b, j)
                tables.append(lo)
        elif sid == 9:  # element: wasm-ld writes one active segment, flags 0
            n, j = leb_u(b, i)
            for _ in range(n):
                flags, j = leb_u(b, j)
                if flags != 0:
                    sys.exit(f"{path}: element segment with flags {flags}; expected 0")
                if b[j] != 0x41:
                    sys.exit(f"{path}: element offset is not i32.const")
                off, j = leb_u(b, j + 1)
                if b[j] != 0x0B:
                    sys.exit(f"{path}: element offset is not a constant")
                cnt, j = leb_u(b, j + 1)
                for k in range(cnt):
                    f, j = leb_u(b, j)
                    elems.append((off + k, f))
        i = end
    if len(tables) != 1:
        sys.exit(f"{path}: {len(tables)} tables; expected 1")
    handler_type = (b"\x7f" * 11, b"")
    slots = sorted(elems)
    kinds = [types[funcs[f]] for _, f in slots]
    is_h = [k == handler_type for k in kinds]
    handlers = [s for (s, _), h in zip(slots, is_h) if h]
    others = [s for (s, _), h in zip(slots, is_h) if not h]
    other_types = {k for k, h in zip(kinds, is_h) if not h}
    problems = []
    if tables[0] < min_table or len(slots) < min_table:
        problems.append(f"table has {tables[0]} entries ({len(slots)} elements), expected >= {min_table}")
    if len(handlers) < min_handlers:
        problems.append(f"{len(handlers)} handlers, expected >= {min_handlers}")
    if len(other_types) < 12:
        problems.append(f"{len(other_types)} other function types in the table, expected >= 12")
    run = longest = 0
    for h in is_h:
        run = run + 1 if h else 0
        longest = max(longest, run)
    between = [s for s in others if handlers and handlers[0] < s < handlers[-1]]
    if longest > 4:
        problems.append(f"{longest} handlers in a row, expected <= 4")
    if len(between) < 0.8 * len(others):
        problems.append(f"only {len(between)} of {len(others)} other functions between the handlers")
    print(f"{path}: table {tables[0]} entries ({len(slots)} elements, {len(set(kinds))} types): "
          f"{len(handlers)} handlers (11 x i32) -> () in slots {handlers[0] if handlers else '-'}.."
          f"{handlers[-1] if handlers else '-'}, {len(between)} of the {len(others)} other functions "
          f"between them, at most {longest} handler(s) in a row")
    if problems:
        sys.exit(f"{path}: " + "; ".join(problems))


main()
