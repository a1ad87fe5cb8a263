// troupe-guest: the AssemblyScript guest SDK of Troupe components (docs/ABI.md,
// version 1; sdk/c/troupe_guest.h and sdk/rust are its C and Rust twins). Build a
// component with `troupe-asc` (bin/troupe-asc.js: asc with the options a component
// needs). Layers, each usable without the next:
//   1. constants: Kind, Down, Health, Level, Clock, Err and errorName, the multicodec codes;
//   2. payloads: Payload, Result, Json, BorshWriter / BorshReader;
//   3. every `troupe` import (abi), typed wrappers (send, ask, publish, spawn, ...), and
//      the Component class with the glue its entry file re-exports.
// Errors are values: a status (0 or a negative Err code), an i64 whose negative values
// are error codes, or a Result.

export * from "./assembly/consts";
export * from "./assembly/json";
export * from "./assembly/borsh";
export * from "./assembly/payload";
export * from "./assembly/host";
export * from "./assembly/component";
import * as abi from "./assembly/abi";
export { abi };
