// as_probe: every call of the AssemblyScript SDK (sdk/assemblyscript) behind an invocable
// export, so that tests/component/test_as_sdk.c can drive each against the real host and
// see its result (examples/components/rust/probe is its Rust twin, export for export).
// Arguments are JSON (mostly an array); results are JSON; an error is the invocation's
// status with "CALL: NAME" as its message. The messages it receives are counted by kind
// and the last one is kept (`last`, `seen`). An ASK is answered {"probe":QUESTION} at
// once, except with tag 7: kept, answered by `reply_later`. `_health` answers what
// `set_health` set; `_cleanup` logs a line.
import {
  BorshWriter, Clock, Component, ERROR_CODES, ERROR_NAMES, Err, HealthReport, Json, Kind,
  Message, Outcome, Payload, CONTINUE, askAsync, askName, cancelTimer, errorName, inputAt,
  kindName, logInfo, register, reply, selfId, sendAfter, sendName, sendWait, invoke,
  lookup as tLookup, send as tSend, publish as tPublish, subscribe as tSubscribe,
  unsubscribe as tUnsubscribe, monitor as tMonitor, demonitor as tDemonitor,
  spawn as tSpawn, log as tLog, time as tTime,
} from "troupe-guest";
export { handle_message, _health, _cleanup } from "troupe-guest";

function argStr(a: Json, i: i32): string | null {
  const v = a.at(i);
  return v !== null && v.isString ? v.s : null;
}

function argInt(a: Json, i: i32): i64 {
  const v = a.at(i);
  return v !== null && v.isInt ? v.i : i64.MIN_VALUE;
}

/** Argument i as a payload: a JSON value, or none when absent or null. */
function argPayload(a: Json, i: i32): Payload {
  const v = a.at(i);
  return v === null || v.isNull ? Payload.none() : Payload.json(v);
}

function badArg(i: i32, what: string): Outcome {
  return Outcome.fail(Err.INVAL, "argument " + i.toString() + " must be " + what);
}

/** A status or value of a call: its result, or the call's failure. */
function status(call: string, rc: i64, result: Json): Outcome {
  return rc < 0 ? Outcome.failed(call, <i32>rc) : Outcome.json(result);
}

class Probe extends Component {
  seen: i64[] = [0, 0, 0, 0, 0, 0, 0];
  last: Json = Json.nil();
  pending: i64 = -1;
  healthStatus: i32 = 0;
  healthReason: string | null = null;

  record(msg: Message): void {
    if (msg.kind < 0 || msg.kind > 6) return;
    this.seen[msg.kind]++;
    const payload = msg.payload();
    const pj = payload.json();
    const m = Json.object()
      .set("kind", Json.str(kindName(msg.kind)))
      .set("from", Json.int(msg.from))
      .set("tag", Json.int(msg.tag))
      .set("corr", Json.int(msg.corr))
      .set("payload", pj !== null ? pj : Json.nil());
    const subject = msg.subject();
    if (subject !== null) m.set("subject", Json.str(subject));
    if (msg.kind == Kind.ASK_FAILED) m.set("error", Json.str(errorName(msg.error())));
    if (msg.kind == Kind.DOWN) {
      m.set("down", Json.int(msg.down()));
      m.set("reason", Json.str(String.UTF8.decodeUnsafe(payload.bytes.dataStart,
                                                        <usize>payload.length)));
    }
    this.last = m;
  }

  handle(msg: Message): i32 {
    this.record(msg);
    if (msg.kind == Kind.ASK) {
      if (msg.tag == 7) {
        this.pending = msg.corr;
      } else {
        const q = msg.payload().json();
        const rc = msg.reply(Payload.json(Json.object().set("probe", q !== null ? q : Json.nil())));
        if (rc < 0) return rc;
      }
    }
    return CONTINUE;
  }

  health(): HealthReport { return new HealthReport(this.healthStatus, this.healthReason); }

  cleanup(): void {
    logInfo("as_probe cleanup after " + this.seen[0].toString() + " messages");
  }

  invoke(name: string, args: Payload): Outcome {
    if (name == "borsh") return this.borsh(args);
    if (name == "json") {
      // Any JSON value: parsed and written back, with its text as a string.
      const text = args.text();
      if (text === null) return Outcome.failed("json", Err.UNKNOWN_CODEC);
      const v = Json.parse(text);
      if (v === null) return Outcome.failed("json", Err.MALFORMED_PAYLOAD);
      return Outcome.json(Json.object().set("value", v).set("text", Json.str(v.toString())));
    }
    let a = Json.nil();
    if (!args.isEmpty) {
      const parsed = args.json();
      if (parsed !== null) a = parsed;
    }
    return this.call(name, a);
  }

  /** Borsh (u32 a, string s, vec<u16> v, option<bool> b) -> Borsh (u64 a + sum(v),
   *  string s reversed, bool b or false, bytes of s). */
  borsh(args: Payload): Outcome {
    const r = args.borsh();
    if (r === null) return Outcome.failed("borsh", Err.UNKNOWN_CODEC);
    let sum = <u64>r.u32();
    const s = r.string();
    const n = r.u32();
    for (let k: u32 = 0; k < n && !r.error; k++) sum += <u64>r.u16();
    const b = r.some() ? r.bool() : false;
    const rc = r.done();
    if (rc) return Outcome.failed("borsh", rc);
    let rev = "";
    for (let k = s.length - 1; k >= 0; k--) {
      const c = s.charCodeAt(k);
      // a surrogate pair stays in order
      if (c >= 0xdc00 && c < 0xe000 && k > 0) { rev += s.substring(k - 1, k + 1); k--; }
      else rev += s.charAt(k);
    }
    const w = new BorshWriter().u64(sum).string(rev).bool(b)
      .bytesOf(Uint8Array.wrap(String.UTF8.encode(s)));
    return Outcome.ok(Payload.borsh(w));
  }

  call(name: string, a: Json): Outcome {
    if (name == "self_id") return Outcome.json(Json.int(selfId()));
    if (name == "last") return Outcome.json(this.last);
    if (name == "seen") {
      const out = Json.array();
      for (let k = 0; k < 7; k++) out.push(Json.int(this.seen[k]));
      return Outcome.json(out);
    }
    if (name == "errors") {
      const out = Json.array();
      for (let k = 0; k < ERROR_CODES.length; k++) {
        out.push(Json.array([Json.int(ERROR_CODES[k]), Json.str(ERROR_NAMES[k])]));
      }
      return Outcome.json(out);
    }
    if (name == "reply_later") {
      if (this.pending < 0) return Outcome.fail(Err.STATE, "no ask is waiting");
      const corr = this.pending;
      this.pending = -1;
      return status("reply", reply(corr, argPayload(a, 0)), Json.int(corr));
    }
    if (name == "set_health") {
      const h = argInt(a, 0);
      this.healthStatus = h == 0 ? 0 : h == 1 ? 1 : 2;
      this.healthReason = argStr(a, 1);
      return Outcome.json(Json.bool(true));
    }
    if (name == "fail") {
      // [code, message]: a failure with that code and message.
      return Outcome.fail(<i32>argInt(a, 0), argStr(a, 1));
    }
    if (name == "input_chunks") {
      // The arguments again, read 3 bytes at a time from the host: their length.
      const buf = new Uint8Array(3);
      let at = 0, chunks = 0;
      while (true) {
        const n = inputAt(buf, at);
        if (n < 0) return Outcome.failed("input_at", n);
        if (n == 0) break;
        at += n;
        chunks++;
      }
      return Outcome.json(Json.array([Json.int(at), Json.int(chunks)]));
    }
    if (name == "time") {
      const c = argInt(a, 0);
      if (c == i64.MIN_VALUE) return badArg(0, "an integer");
      // Clock.WALL and Clock.MONOTONIC are the two the host knows; another goes to the
      // host as it is and comes back INVAL.
      const t = tTime(c == 0 ? Clock.WALL : c == 1 ? Clock.MONOTONIC : <i32>c);
      return status("time", t, Json.int(t));
    }
    if (name == "unsubscribe") return status("unsubscribe", tUnsubscribe(argInt(a, 0)), Json.bool(true));
    if (name == "cancel_timer") {
      const rc = cancelTimer(argInt(a, 0));
      return status("cancel_timer", rc, Json.bool(rc == 1));
    }
    if (name == "demonitor") return status("demonitor", tDemonitor(argInt(a, 0)), Json.bool(true));
    if (name == "send_after") {
      const rc = sendAfter(argInt(a, 0), <i32>argInt(a, 1), argPayload(a, 2));
      return status("send_after", rc, Json.int(rc));
    }

    if (name == "log") {
      const text = argStr(a, 1);
      if (text === null) return badArg(1, "a string");
      return status("log", tLog(<i32>argInt(a, 0), text), Json.bool(true));
    }

    // The calls whose first argument is a string.
    const s0 = argStr(a, 0);
    if (s0 === null) {
      const known = ["lookup", "send", "send_name", "send_wait", "send_raw", "ask", "ask_async",
                     "publish", "subscribe", "monitor", "spawn"];
      return known.includes(name) ? badArg(0, "a string")
                                  : Outcome.fail(Err.NOTFOUND, "no export " + name);
    }
    if (name == "lookup") {
      const id = tLookup(s0);
      return status("lookup", id, Json.int(id));
    }
    if (name == "send_name") {
      return status("send_name", sendName(s0, <i32>argInt(a, 1), argPayload(a, 2)), Json.bool(true));
    }
    if (name == "send_raw") {
      // [name, [bytes...]]: a payload exactly as given (a wrong prefix too).
      const bytes: u8[] = [];
      const list = a.at(1);
      if (list !== null) for (let k = 0; k < list.items.length; k++) bytes.push(<u8>list.items[k].i);
      return status("send", sendName(s0, 0, Payload.raw(bytes)), Json.bool(true));
    }
    if (name == "ask") {
      // [name, question, timeout_ms]: the answer as it came.
      const r = askName(s0, 0, argPayload(a, 1), <i32>argInt(a, 2));
      return r.ok ? Outcome.ok(r.value) : Outcome.failed("ask", r.code);
    }
    if (name == "publish") return status("publish", tPublish(s0, argPayload(a, 1)), Json.bool(true));
    if (name == "subscribe") {
      const sub = tSubscribe(s0);
      return status("subscribe", sub, Json.int(sub));
    }
    if (name == "spawn") {
      const s1 = argStr(a, 1);
      if (s1 === null) return badArg(1, "a string");
      const id = tSpawn(s0, s1);
      return status("spawn", id, Json.int(id));
    }

    // The calls to a component by name: looked up first.
    const to = tLookup(s0);
    if (name == "send" || name == "send_wait" || name == "ask_async" || name == "monitor") {
      if (to < 0) return Outcome.failed("lookup", <i32>to);
    }
    if (name == "send") return status("send", tSend(to, <i32>argInt(a, 1), argPayload(a, 2)), Json.bool(true));
    if (name == "send_wait") {
      return status("send_wait", sendWait(to, <i32>argInt(a, 1), argPayload(a, 2), <i32>argInt(a, 3)),
                    Json.bool(true));
    }
    if (name == "ask_async") {
      const corr = askAsync(to, 0, argPayload(a, 1), <i32>argInt(a, 2));
      return status("ask_async", corr, Json.int(corr));
    }
    if (name == "monitor") {
      const ref = tMonitor(to);
      return status("monitor", ref, Json.int(ref));
    }
    return Outcome.fail(Err.NOTFOUND, "no export " + name);
  }
}

register(new Probe());

export function self_id(len: i32): i32 { return invoke("self_id", len); }
export function lookup(len: i32): i32 { return invoke("lookup", len); }
export function send(len: i32): i32 { return invoke("send", len); }
export function send_name(len: i32): i32 { return invoke("send_name", len); }
export function send_wait(len: i32): i32 { return invoke("send_wait", len); }
export function send_raw(len: i32): i32 { return invoke("send_raw", len); }
export function ask(len: i32): i32 { return invoke("ask", len); }
export function ask_async(len: i32): i32 { return invoke("ask_async", len); }
export function reply_later(len: i32): i32 { return invoke("reply_later", len); }
export function publish(len: i32): i32 { return invoke("publish", len); }
export function subscribe(len: i32): i32 { return invoke("subscribe", len); }
export function unsubscribe(len: i32): i32 { return invoke("unsubscribe", len); }
export function send_after(len: i32): i32 { return invoke("send_after", len); }
export function cancel_timer(len: i32): i32 { return invoke("cancel_timer", len); }
export function monitor(len: i32): i32 { return invoke("monitor", len); }
export function demonitor(len: i32): i32 { return invoke("demonitor", len); }
export function spawn(len: i32): i32 { return invoke("spawn", len); }
export function log(len: i32): i32 { return invoke("log", len); }
export function time(len: i32): i32 { return invoke("time", len); }
export function input_chunks(len: i32): i32 { return invoke("input_chunks", len); }
export function last(len: i32): i32 { return invoke("last", len); }
export function seen(len: i32): i32 { return invoke("seen", len); }
export function set_health(len: i32): i32 { return invoke("set_health", len); }
export function fail(len: i32): i32 { return invoke("fail", len); }
export function errors(len: i32): i32 { return invoke("errors", len); }
export function json(len: i32): i32 { return invoke("json", len); }
export function borsh(len: i32): i32 { return invoke("borsh", len); }
