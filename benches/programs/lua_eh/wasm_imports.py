#!/usr/bin/env python3
"""wasm_imports.py FILE.wasm: prints each import of a Wasm module as
MODULE NAME KIND, one a line, then the exports and the tags. Standard library only."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from wasm_check import exports_in, leb_u, name, sections  # noqa: E402

KINDS = {0: "func", 1: "table", 2: "memory", 3: "global", 4: "tag"}


def main():
    b, found = sections(sys.argv[1])
    for sid, i, _ in found:
        if sid == 2:  # import: only the names and kinds are read
            n, j = leb_u(b, i)
            for _ in range(n):
                mod, j = name(b, j)
                nm, j = name(b, j)
                kind = b[j]
                j += 1
                print(f"import {mod} {nm} {KINDS.get(kind, kind)}")
                if kind in (0, 4):  # func: type index; tag: attribute + type index
                    if kind == 4:
                        j += 1
                    _, j = leb_u(b, j)
                elif kind == 1:  # table: reftype + limits
                    j += 1
                    flags, j = leb_u(b, j)
                    _, j = leb_u(b, j)
                    if flags & 1:
                        _, j = leb_u(b, j)
                elif kind == 2:  # memory: limits
                    flags, j = leb_u(b, j)
                    _, j = leb_u(b, j)
                    if flags & 1:
                        _, j = leb_u(b, j)
                elif kind == 3:  # global: valtype + mutability
                    j += 2
        elif sid == 13:  # tag
            n, _ = leb_u(b, i)
            print(f"tags {n}")
        elif sid == 7:  # export
            for nm, kind, _ in exports_in(b, i):
                print(f"export {nm} {KINDS.get(kind, kind)}")


if __name__ == "__main__":
    main()
