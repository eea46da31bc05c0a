// Runs a WASI preview1 command module under node (node:wasi): no preopened
// directories, no environment, the file's name as the only argument. Exits
// with the module's exit code. Usage: node --no-warnings wasi_run.mjs FILE.wasm
import { readFileSync } from "node:fs";
import { WASI } from "node:wasi";

const file = process.argv[2];
const wasi = new WASI({ version: "preview1", args: [file], env: {}, returnOnExit: true });
const module = await WebAssembly.compile(readFileSync(file));
const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
process.exitCode = wasi.start(instance);
