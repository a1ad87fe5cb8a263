#!/usr/bin/env node
// troupe-asc: asc (AssemblyScript 0.28, this package's dependency) with what a Troupe
// component needs, then the caller's arguments (an entry file, -o OUT.wasm, ...):
//   --exportStart _initialize   top-level code runs in _initialize, called by the host
//                               once the instance exists (not in a wasm start function,
//                               which runs before the host can take import calls);
//   --use abort=...troupeAbort  AssemblyScript's abort logs through troupe.log and traps,
//                               so the module imports no `env.abort` (the host has none);
//   --transform transform.js    the export handle_message is renamed handle-message;
//   -O3s                        optimized for speed, then size; asserts stay (a failed
//                               one is a crash, as it should be).
// The caller's arguments come last and may override these (another -O level, ...).
// It runs offline: asc is resolved from this package's node_modules.
import asc from "assemblyscript/asc";
import { fileURLToPath } from "node:url";
import path from "node:path";

const sdk = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const args = [
  "--exportStart", "_initialize",
  "--use", "abort=~lib/troupe-guest/assembly/component/troupeAbort",
  "--transform", path.join(sdk, "transform.js"),
  "--optimizeLevel", "3", "--shrinkLevel", "1",
  ...process.argv.slice(2),
];
const { error } = await asc.main(args, { stdout: process.stdout, stderr: process.stderr });
if (error) {
  process.exitCode = 1;
}
