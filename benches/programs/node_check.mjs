// node_check.mjs: an independent check of the Wasm builds with node's V8.
// Instantiates every wasm/NAME.wasm with no imports, calls each entry listed
// in expected.txt, and compares the i64 result (a BigInt) with the checksum
// there. Prints one line per entry and "N passed, N failed"; exits 1 on any
// mismatch. Usage: node node_check.mjs   (from this directory)
//
// The programs in TYPED_REFERENCES use typed function references, which node
// 20's V8 reads in their pre-standard encoding: where this node cannot
// validate one of them, its entries are skipped (any other module that does
// not validate still fails).
import { readFileSync } from "node:fs";

const dir = new URL(".", import.meta.url);
const lines = readFileSync(new URL("expected.txt", dir), "utf8")
  .split("\n").filter((l) => l.trim() && !l.startsWith("#"));
const instances = new Map();
const TYPED_REFERENCES = new Set(["tailvm_ref"]);
let passed = 0, failed = 0, skipped = 0;
for (const line of lines) {
  const [name, entry, want] = line.trim().split(/\s+/);
  if (!instances.has(name)) {
    const bytes = readFileSync(new URL(`wasm/${name}.wasm`, dir));
    const unreadable = TYPED_REFERENCES.has(name) && !WebAssembly.validate(bytes);
    instances.set(name, unreadable ? null : (await WebAssembly.instantiate(bytes, {})).instance);
  }
  if (instances.get(name) === null) {
    skipped++;
    console.log(`skip ${name} ${entry} (this node cannot read typed function references)`);
    continue;
  }
  const fn = instances.get(name).exports[entry];
  const t0 = process.hrtime.bigint();
  const got = fn();
  const ns = process.hrtime.bigint() - t0;
  const ok = got === BigInt(want);
  ok ? passed++ : failed++;
  console.log(`${ok ? "ok  " : "FAIL"} ${name} ${entry} ${got} (expected ${want}) ns=${ns}`);
}
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed ? 1 : 0);
