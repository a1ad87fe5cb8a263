// The ABI's constants (docs/ABI.md): message kinds, DOWN exit kinds, health answers, log
// levels, clocks, multicodec codes and the error codes, with the document's names.
// tests/abi_tables.mjs compares them with the document and the C SDK's list.

/** The version of docs/ABI.md this SDK implements. */
export const ABI_VERSION: i32 = 1;

/** Multicodec codes of a payload's prefix (an unsigned LEB128 varint in front). */
export const MC_CBOR: u32 = 0x51;
export const MC_JSON: u32 = 0x0200;
export const MC_BORSH: u32 = 0x0701;

/** What handle-message returns besides an error: go on, or stop normally. */
export const CONTINUE: i32 = 0;
export const STOP: i32 = 1;

/** The `kind` argument of handle-message ("Message kinds"). */
export namespace Kind {
  export const MESSAGE: i32 = 0;
  export const ASK: i32 = 1;
  export const REPLY: i32 = 2;
  export const ASK_FAILED: i32 = 3;
  export const DOWN: i32 = 4;
  export const TIMER: i32 = 5;
  export const PUBLICATION: i32 = 6;
}

const KIND_NAMES: string[] = ["MESSAGE", "ASK", "REPLY", "ASK_FAILED", "DOWN", "TIMER",
                              "PUBLICATION"];

/** The document's name of a kind ("ASK_FAILED"); "OTHER" for a kind of a later version. */
export function kindName(kind: i32): string {
  return kind >= 0 && kind < KIND_NAMES.length ? KIND_NAMES[kind] : "OTHER";
}

/** How a monitored incarnation ended (the tag of a DOWN message). */
export namespace Down {
  export const NORMAL: i32 = 0;
  export const SHUTDOWN: i32 = 1;
  export const KILLED: i32 = 2;
  export const CRASH: i32 = 3;
  export const NOPROC: i32 = 4;
}

/** What `_health` answers. */
export namespace Health {
  export const HEALTHY: i32 = 0;
  export const DEGRADED: i32 = 1;
  export const UNHEALTHY: i32 = 2;
}

/** Levels of `troupe.log`. */
export namespace Level {
  export const DEBUG: i32 = 0;
  export const INFO: i32 = 1;
  export const WARN: i32 = 2;
  export const ERROR: i32 = 3;
}

/** Clocks of `troupe.time`. */
export namespace Clock {
  export const WALL: i32 = 0;
  export const MONOTONIC: i32 = 1;
}

/** The error codes a guest can see: docs/ABI.md's table, the host's values. */
export namespace Err {
  export const NOMEM: i32 = -1;
  export const INVAL: i32 = -2;
  export const RANGE: i32 = -3;
  export const IO: i32 = -4;
  export const NOTFOUND: i32 = -5;
  export const EXISTS: i32 = -6;
  export const STATE: i32 = -8;
  export const INTERNAL: i32 = -9;
  export const EMPTY: i32 = -20;
  export const VARINT_TRUNCATED: i32 = -21;
  export const VARINT_OVERLONG: i32 = -22;
  export const VARINT_TOOLONG: i32 = -23;
  export const PREFIX_TRUNCATED: i32 = -24;
  export const UNKNOWN_CODEC: i32 = -25;
  export const MALFORMED_PAYLOAD: i32 = -26;
  export const LOSSY: i32 = -27;
  export const TOO_DEEP: i32 = -28;
  export const MALFORMED: i32 = -40;
  export const INVALID: i32 = -41;
  export const UNLINKABLE: i32 = -42;
  export const UNINSTANTIABLE: i32 = -43;
  export const TRAP: i32 = -44;
  export const EXIT: i32 = -46;
  export const NOT_RUNNING: i32 = -60;
  export const MAILBOX_FULL: i32 = -61;
  export const TIMEOUT: i32 = -62;
  export const STOPPED: i32 = -63;
  export const NAME_TAKEN: i32 = -65;
  export const START_FAILED: i32 = -66;
  export const DENIED: i32 = -80;
  export const NOT_READY: i32 = -83;
  export const TOO_LARGE: i32 = -84;
}

// Code and name of every error, in the document's order (one list: errorName and the
// tests read it).
// ERRORS-BEGIN
export const ERROR_CODES: i32[] = [
  -1, -2, -3, -4, -5, -6, -8, -9,
  -20, -21, -22, -23, -24, -25, -26, -27, -28,
  -40, -41, -42, -43, -44, -46,
  -60, -61, -62, -63, -65, -66,
  -80, -83, -84,
];
export const ERROR_NAMES: string[] = [
  "NOMEM", "INVAL", "RANGE", "IO", "NOTFOUND", "EXISTS", "STATE", "INTERNAL",
  "EMPTY", "VARINT_TRUNCATED", "VARINT_OVERLONG", "VARINT_TOOLONG", "PREFIX_TRUNCATED",
  "UNKNOWN_CODEC", "MALFORMED_PAYLOAD", "LOSSY", "TOO_DEEP",
  "MALFORMED", "INVALID", "UNLINKABLE", "UNINSTANTIABLE", "TRAP", "EXIT",
  "NOT_RUNNING", "MAILBOX_FULL", "TIMEOUT", "STOPPED", "NAME_TAKEN", "START_FAILED",
  "DENIED", "NOT_READY", "TOO_LARGE",
];
// ERRORS-END

/** "DENIED", "MAILBOX_FULL", ...; "UNKNOWN" for a code this version does not list. */
export function errorName(code: i32): string {
  for (let i = 0; i < ERROR_CODES.length; i++) {
    if (ERROR_CODES[i] == code) return ERROR_NAMES[i];
  }
  return "UNKNOWN";
}
