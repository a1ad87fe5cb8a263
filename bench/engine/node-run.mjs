// node-run.mjs: the "node" runner of the engine benchmarks -- runs one WASI command
// module under V8 with node's own WASI (node:wasi, preview1), the guest writing to our
// stdout, and reports on stderr the time from having the bytes to the program's end
// (compile + instantiate + run, as troupe-bench-wasm does) as "bench-time-ns N".
// Usage: node --no-warnings node-run.mjs FILE.wasm [ARGS...]
import { readFileSync } from 'node:fs';
import { WASI } from 'node:wasi';

const file = process.argv[2];
if (!file) {
  process.stderr.write('usage: node node-run.mjs FILE.wasm [ARGS...]\n');
  process.exit(2);
}
const bytes = readFileSync(file);
const wasi = new WASI({ version: 'preview1', args: [file, ...process.argv.slice(3)], env: {},
                        returnOnExit: true });
const t0 = process.hrtime.bigint();
const module = await WebAssembly.compile(bytes);
const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
const code = wasi.start(instance);
const t1 = process.hrtime.bigint();
process.stderr.write(`bench-time-ns ${t1 - t0}\n`);
process.exitCode = code;
