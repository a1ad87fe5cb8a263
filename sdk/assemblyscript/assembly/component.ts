// The component model of the SDK: a subclass of Component is the state of one instance;
// register() makes it this module's component (call it at the top level of the entry
// file, which runs as _initialize: once per start, before any message). The entry file
// re-exports the glue below -- handle_message (exported as `handle-message` by the
// SDK's transform), _health, _cleanup, _state_save / _state_load, as wanted -- and
// declares one export per invocable function that calls invoke():
//
//   export { handle_message } from "troupe-guest";
//   export function get(len: i32): i32 { return invoke("get", len); }
//
// The host calls one export at a time, and a call that waits suspends the instance
// without running another export of it; the glue still refuses a nested call (STATE).

import { CONTINUE, Err, Health, Kind, errorName } from "./consts";
import { Json } from "./json";
import { Payload, Result, err } from "./payload";
import * as host from "./host";

/** One message to Component.handle. The payload stays at the host until asked for
 *  (payload()): a component that only counts copies nothing. */
export class Message {
  constructor(public kind: i32, public from: i64, public tag: i32, public corr: i64,
              public len: i32) {}

  /** The payload, read from the host. */
  payload(): Payload { return host.input(this.len); }

  /** Answers this ASK (STATE for another kind). */
  reply(p: Payload): i32 {
    return this.kind == Kind.ASK ? host.reply(this.corr, p) : Err.STATE;
  }

  /** The subject of a PUBLICATION; null for other kinds. */
  subject(): string | null {
    if (this.kind != Kind.PUBLICATION) return null;
    const s = host.inputSubject();
    return s.ok ? s.value : null;
  }

  /** Why an ask_async failed (ASK_FAILED): its error code; 0 for other kinds. */
  error(): i32 { return this.kind == Kind.ASK_FAILED ? this.tag : 0; }

  /** How the monitored component ended (DOWN: Down.*); -1 for other kinds. */
  down(): i32 { return this.kind == Kind.DOWN ? this.tag : -1; }
}

/** What an invocation answers: a result (a prefixed payload, or none) or a failure (a
 *  negative code, and a message the host returns to the caller as a JSON string). */
export class Outcome {
  constructor(public code: i32, public result: Payload | null, public message: string | null) {}
  static ok(p: Payload): Outcome { return new Outcome(0, p, null); }
  static json(v: Json): Outcome { return new Outcome(0, Payload.json(v), null); }
  static none(): Outcome { return new Outcome(0, null, null); }
  static fail(code: i32, message: string | null = null): Outcome {
    // A failure must be negative: a 0 would read as success.
    return new Outcome(code < 0 ? code : Err.INTERNAL, null, message);
  }
  /** A failed call, named: "CALL: NAME" as the message. */
  static failed(call: string, code: i32): Outcome {
    return Outcome.fail(code, call + ": " + errorName(code));
  }
}

/** What _health answers, and an optional reason. */
export class HealthReport {
  constructor(public status: i32 = Health.HEALTHY, public reason: string | null = null) {}
}

/** A component. Every method has a default: it ignores messages, knows no invocation, is
 *  healthy and keeps no state. */
export abstract class Component {
  /** Handles a message: CONTINUE, STOP, or a negative code (a crash with it). */
  handle(msg: Message): i32 { return CONTINUE; }

  /** Answers the invocable export `name` (one the entry file declares). */
  invoke(name: string, args: Payload): Outcome {
    return Outcome.fail(Err.NOTFOUND, "no export " + name);
  }

  /** _health (re-export _health). */
  health(): HealthReport { return new HealthReport(); }

  /** _cleanup (re-export _cleanup): at an orderly stop, not after a crash. */
  cleanup(): void {}

  /** _state_save (re-export _state_save and _state_load): the state handed to the next
   *  module at a hot upgrade. It may not wait. */
  saveState(): Result<Payload> { return err<Payload>(Err.STATE); }

  /** _state_load: takes the state the old module saved; non-zero refuses it. */
  loadState(state: Payload): i32 { return Err.STATE; }
}

let instance: Component | null = null;
let busy = false;

/** Makes c this module's component. */
export function register(c: Component): void {
  instance = c;
}

/** The component, marked busy; null (with the reason logged) when there is none or a
 *  call is already running. */
function enter(): Component | null {
  const c = instance;
  if (c === null) {
    host.logError("troupe-guest: no component registered (call register() at the top level)");
    return null;
  }
  if (busy) return null;
  busy = true;
  return c;
}

export function handle_message(kind: i32, from: i64, tag: i32, corr: i64, len: i32): i32 {
  const c = enter();
  if (c === null) return Err.STATE;
  const rc = c.handle(new Message(kind, from, tag, corr, len < 0 ? 0 : len));
  busy = false;
  return rc;
}

/** The body of an invocable export: `export function get(len: i32): i32 { return
 *  invoke("get", len); }`. */
export function invoke(name: string, len: i32): i32 {
  const args = host.input(len);
  const c = enter();
  if (c === null) return Err.STATE;
  const o = c.invoke(name, args);
  busy = false;
  if (o.code < 0) {
    const m = o.message;
    if (m !== null) host.output(Payload.json(Json.str(m)));
    return o.code;
  }
  const r = o.result;
  // An empty result is what the host has without any output: not set.
  if (r === null || r.isEmpty) return 0;
  const rc = host.output(r);
  return rc < 0 ? rc : 0;
}

export function _health(): i32 {
  const c = enter();
  if (c === null) return Health.UNHEALTHY;
  const h = c.health();
  busy = false;
  const reason = h.reason;
  if (reason !== null) host.output(Payload.json(Json.str(reason)));
  return h.status;
}

export function _cleanup(): void {
  const c = enter();
  if (c === null) return;
  c.cleanup();
  busy = false;
}

export function _state_save(zero: i32): i32 {
  const c = enter();
  if (c === null) return Err.STATE;
  const s = c.saveState();
  busy = false;
  if (!s.ok) return s.code;
  const rc = host.output(s.value);
  return rc < 0 ? rc : 0;
}

export function _state_load(len: i32): i32 {
  const state = host.input(len);
  const c = enter();
  if (c === null) return Err.STATE;
  const rc = c.loadState(state);
  busy = false;
  return rc;
}

/** AssemblyScript's abort (a failed assert, an index out of range, out of memory, a
 *  Result.value of an error): logged at error level, then a trap -- the component
 *  crashes and its supervisor decides what follows. troupe-asc wires it in with
 *  `--use abort=...` so that no `env.abort` import is left (the host has none). */
export function troupeAbort(message: string | null, fileName: string | null, line: u32,
                            column: u32): void {
  let text = "abort: " + (message !== null ? message : "(no message)");
  if (fileName !== null) text += " at " + fileName + ":" + line.toString() + ":" + column.toString();
  host.logError(text);
  unreachable();
}
