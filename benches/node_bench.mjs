// Runs one entry of a benchmark module under node: prints compile_ns=N, then one line per run:
// the checksum and the run's nanoseconds. Usage: node node_bench.mjs FILE.wasm ENTRY RUNS
import { readFileSync } from "node:fs";

const [file, entry, runs] = process.argv.slice(2);
const bytes = readFileSync(file);
const t0 = process.hrtime.bigint();
const module = await WebAssembly.compile(bytes);
console.log(`compile_ns=${process.hrtime.bigint() - t0}`);
const instance = await WebAssembly.instantiate(module, {});
for (let i = 0; i < Number(runs); i++) {
  const start = process.hrtime.bigint();
  const sum = instance.exports[entry]();
  console.log(`${sum} ${process.hrtime.bigint() - start}`);
}
