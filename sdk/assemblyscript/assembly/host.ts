// Typed wrappers over the `troupe` imports: strings and Payloads in, a status (0 or a
// negative Err code), an i64 (an id, a corr, a timer, ...; negative: an error code) or a
// Result out. A call that waits (ask, sendWait, spawn) suspends the instance until it is
// answered: the worker thread runs other components meanwhile, and no other export of
// this instance runs before it returns.

import * as abi from "./abi";
import { Err } from "./consts";
import { Payload, Result, err, ok } from "./payload";

/** A string's UTF-8 bytes, kept alive by the caller while the host reads them. */
function utf8(s: string): ArrayBuffer {
  return String.UTF8.encode(s);
}

function ptr(b: ArrayBuffer): usize {
  return changetype<usize>(b);
}

/** Reads the rest of an input of `total` bytes into buf (its first `got` bytes are
 *  there already) with a reader like input_read / reply_read. */
function readRest(buf: Uint8Array, got: i32, total: i32, reply: bool): Uint8Array {
  while (got < total) {
    const at = buf.dataStart + <usize>got;
    const n = reply ? abi.reply_read(at, total - got, got) : abi.input_read(at, total - got, got);
    if (n <= 0) break;
    got += n;
  }
  return got == total ? buf : buf.slice(0, got);
}

/** The current input (a message's payload, an invocation's arguments, the state of
 *  _state_load) of `len` bytes. */
export function input(len: i32): Payload {
  if (len <= 0) return new Payload();
  return new Payload(readRest(new Uint8Array(len), 0, len, false));
}

/** Up to buf.length bytes of the current input from offset: the count, 0 at the end. */
export function inputAt(buf: Uint8Array, offset: i32): i32 {
  return abi.input_read(buf.dataStart, buf.length, offset);
}

/** The subject of the PUBLICATION being handled; NOTFOUND for other inputs. */
export function inputSubject(): Result<string> {
  let buf = new Uint8Array(128);
  let n = abi.input_subject(buf.dataStart, buf.length);
  if (n < 0) return err<string>(n);
  if (n > buf.length) {
    buf = new Uint8Array(n);
    const m = abi.input_subject(buf.dataStart, n);
    if (m < 0) return err<string>(m);
  }
  return ok<string>(String.UTF8.decodeUnsafe(buf.dataStart, <usize>n));
}

/** Sets the result of the current invocation (or the reason of _health). */
export function output(p: Payload): i32 {
  return abi.output(p.bytes.dataStart, p.bytes.length);
}

/** This component's id. */
export function selfId(): i64 {
  return abi.self_();
}

/** The id of the component named `name`, or NOTFOUND. */
export function lookup(name: string): i64 {
  const n = utf8(name);
  return abi.lookup(ptr(n), n.byteLength);
}

/** A MESSAGE to `to` (DENIED without the capability, MAILBOX_FULL at once when its
 *  mailbox is at its bound). */
export function send(to: i64, tag: i32, p: Payload): i32 {
  return abi.send(to, tag, p.bytes.dataStart, p.bytes.length);
}

/** A MESSAGE to the component named `name`. */
export function sendName(name: string, tag: i32, p: Payload): i32 {
  const n = utf8(name);
  return abi.send_name(ptr(n), n.byteLength, tag, p.bytes.dataStart, p.bytes.length);
}

/** Like send, but a full mailbox suspends this instance until there is room, at most
 *  timeoutMs (then TIMEOUT). */
export function sendWait(to: i64, tag: i32, p: Payload, timeoutMs: i32): i32 {
  if (timeoutMs < 0) return Err.RANGE;
  return abi.send_wait(to, tag, p.bytes.dataStart, p.bytes.length, timeoutMs);
}

/** Asks `to` and waits for the answer at most timeoutMs, suspended: the whole reply
 *  (read in full however long), or TIMEOUT, NOT_RUNNING, DENIED, ... */
export function ask(to: i64, tag: i32, p: Payload, timeoutMs: i32): Result<Payload> {
  if (timeoutMs < 0) return err<Payload>(Err.RANGE);
  const first = new Uint8Array(256);
  const full = abi.ask(to, tag, p.bytes.dataStart, p.bytes.length, first.dataStart, 256, timeoutMs);
  if (full < 0) return err<Payload>(full);
  if (full <= 256) return ok<Payload>(new Payload(first.slice(0, full)));
  // A long answer: the rest is still at the host, read without asking again.
  const all = new Uint8Array(full);
  all.set(first, 0);
  return ok<Payload>(new Payload(readRest(all, 256, full, true)));
}

/** lookup, then ask. */
export function askName(name: string, tag: i32, p: Payload, timeoutMs: i32): Result<Payload> {
  const to = lookup(name);
  if (to < 0) return err<Payload>(<i32>to);
  return ask(to, tag, p, timeoutMs);
}

/** An ASK without waiting: its corr. A REPLY (or ASK_FAILED) message with that corr
 *  arrives later. */
export function askAsync(to: i64, tag: i32, p: Payload, timeoutMs: i32): i64 {
  if (timeoutMs < 0) return Err.RANGE;
  return abi.ask_async(to, tag, p.bytes.dataStart, p.bytes.length, timeoutMs);
}

/** Answers the ASK of corr (TIMEOUT when the asker stopped waiting). */
export function reply(corr: i64, p: Payload): i32 {
  return abi.reply(corr, p.bytes.dataStart, p.bytes.length);
}

/** Publishes on the host's broker (DENIED without the publish capability). */
export function publish(subject: string, p: Payload): i32 {
  const s = utf8(subject);
  return abi.publish(ptr(s), s.byteLength, p.bytes.dataStart, p.bytes.length);
}

/** Subscribes with a subject pattern ("news.>"): publications arrive as PUBLICATION
 *  messages until this incarnation ends (subscribe when the component is made). */
export function subscribe(pattern: string): i64 {
  const s = utf8(pattern);
  return abi.subscribe(ptr(s), s.byteLength);
}

export function unsubscribe(sub: i64): i32 {
  return abi.unsubscribe(sub);
}

/** A TIMER message to self after delayMs carrying tag and the payload: the timer id. */
export function sendAfter(delayMs: i64, tag: i32, p: Payload): i64 {
  if (delayMs < 0) return Err.RANGE;
  return abi.send_after(delayMs, tag, p.bytes.dataStart, p.bytes.length);
}

/** 1 cancelled, 0 already fired or unknown. */
export function cancelTimer(timer: i64): i32 {
  return abi.cancel_timer(timer);
}

/** Monitors target: a DOWN message (corr = the ref) when its current incarnation ends. */
export function monitor(target: i64): i64 {
  return abi.monitor(target);
}

export function demonitor(ref: i64): i32 {
  return abi.demonitor(ref);
}

/** Starts a component named `name` from a store reference ("echo", "echo@1.0") with this
 *  component's limits and capabilities, under the host's root supervisor; suspends until
 *  it is Ready: its id, or DENIED, NAME_TAKEN, NOTFOUND, TRAP, ... */
export function spawn(name: string, module: string): i64 {
  const n = utf8(name);
  const m = utf8(module);
  return abi.spawn(ptr(n), n.byteLength, ptr(m), m.byteLength);
}

/** A log line tagged with this component (Level.*). */
export function log(level: i32, text: string): i32 {
  const t = utf8(text);
  return abi.log(level, ptr(t), t.byteLength);
}

export function logDebug(text: string): void { log(0, text); }
export function logInfo(text: string): void { log(1, text); }
export function logWarn(text: string): void { log(2, text); }
export function logError(text: string): void { log(3, text); }

/** Nanoseconds of a clock (Clock.WALL, Clock.MONOTONIC); INVAL for another. */
export function time(clock: i32): i64 {
  return abi.time(clock);
}
