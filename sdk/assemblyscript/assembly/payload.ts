// Payloads: what a message, an ask, a reply or an invocation carries -- bytes that start
// with a multicodec prefix (docs/ABI.md: JSON 0x0200, CBOR 0x51, Borsh 0x701), or
// nothing. Payload holds one (prefix included) with constructors for each codec and
// decoders; Result<T> is a value or an error code, for the calls that give both.

import { Err, MC_BORSH, MC_CBOR, MC_JSON } from "./consts";
import { Json } from "./json";
import { BorshReader, BorshWriter } from "./borsh";

/** A value, or a negative error code (Err.*). `value` of an error traps: check `ok`. */
export class Result<T> {
  constructor(public readonly code: i32, private readonly val: T) {}
  get ok(): bool { return this.code >= 0; }
  get value(): T {
    if (this.code < 0) throw new Error("Result.value of an error");
    return this.val;
  }
}

export function ok<T>(v: T): Result<T> {
  return new Result<T>(0, v);
}

export function err<T>(code: i32): Result<T> {
  if (isReference<T>()) return new Result<T>(code < 0 ? code : Err.INTERNAL, changetype<T>(<usize>0));
  return new Result<T>(code < 0 ? code : Err.INTERNAL, <T>0);
}

export class Payload {
  constructor(public bytes: Uint8Array = new Uint8Array(0)) {}

  /** No payload. */
  static none(): Payload { return new Payload(); }
  /** Bytes as they are (they must start with a multicodec prefix to be sent). */
  static raw(bytes: u8[]): Payload {
    const b = new Uint8Array(bytes.length);
    for (let k = 0; k < bytes.length; k++) b[k] = bytes[k];
    return new Payload(b);
  }
  /** A JSON value with the JSON prefix. */
  static json(v: Json): Payload { return Payload.jsonText(v.toString()); }
  /** JSON text with the JSON prefix (it must be one JSON value: the host parses it). */
  static jsonText(text: string): Payload {
    const t = Uint8Array.wrap(String.UTF8.encode(text));
    const b = new Uint8Array(t.length + 2);
    b[0] = 0x80;
    b[1] = 0x04;
    b.set(t, 2);
    return new Payload(b);
  }
  /** What a BorshWriter wrote (its prefix included). */
  static borsh(w: BorshWriter): Payload { return Payload.raw(w.bytes); }
  /** The CBOR prefix and an integer. */
  static cborInt(v: i64): Payload {
    const out: u8[] = [0x51];
    if (v >= 0) cborHead(out, 0, <u64>v);
    else cborHead(out, 1, <u64>(-(v + 1)));
    return Payload.raw(out);
  }
  /** The CBOR prefix and a text string. */
  static cborText(s: string): Payload {
    const t = Uint8Array.wrap(String.UTF8.encode(s));
    const out: u8[] = [0x51];
    cborHead(out, 3, <u64>t.length);
    for (let k = 0; k < t.length; k++) out.push(t[k]);
    return Payload.raw(out);
  }

  get length(): i32 { return this.bytes.length; }
  get isEmpty(): bool { return this.bytes.length == 0; }

  /** MC_JSON, MC_CBOR or MC_BORSH from the prefix; 0 when empty or another codec. */
  codec(): u32 {
    const b = this.bytes;
    if (b.length >= 2 && b[0] == 0x80 && b[1] == 0x04) return MC_JSON;
    if (b.length >= 2 && b[0] == 0x81 && b[1] == 0x0e) return MC_BORSH;
    if (b.length >= 1 && b[0] == 0x51) return MC_CBOR;
    return 0;
  }

  /** The JSON text after the prefix; null when it is not JSON. */
  text(): string | null {
    if (this.codec() != MC_JSON) return null;
    return String.UTF8.decodeUnsafe(this.bytes.dataStart + 2, <usize>(this.bytes.length - 2));
  }

  /** The JSON value; null when not JSON or not valid. */
  json(): Json | null {
    if (this.codec() != MC_JSON) return null;
    return Json.parseBytes(this.bytes, 2, this.bytes.length);
  }

  /** A reader of the Borsh bytes after the prefix; null when not Borsh. */
  borsh(): BorshReader | null {
    if (this.codec() != MC_BORSH) return null;
    return new BorshReader(this.bytes, 2);
  }

  /** An integer: JSON, CBOR, or a Borsh i64 (like the C SDK's troupe_payload_int, plus
   *  Borsh). UNKNOWN_CODEC for no known prefix, INVAL when it holds something else. */
  int(): Result<i64> {
    const c = this.codec();
    if (c == MC_JSON) {
      const v = this.json();
      return v !== null && v.isInt ? ok<i64>(v.i) : err<i64>(Err.INVAL);
    }
    if (c == MC_CBOR) {
      const b = this.bytes;
      const h = cborReadHead(b, 1);
      if (h === null || h.next != b.length || h.value > <u64>i64.MAX_VALUE) return err<i64>(Err.INVAL);
      if (h.major == 0) return ok<i64>(<i64>h.value);
      if (h.major == 1) return ok<i64>(-1 - <i64>h.value);
      return err<i64>(Err.INVAL);
    }
    if (c == MC_BORSH) {
      const r = new BorshReader(this.bytes, 2);
      const v = r.i64();
      return r.done() ? err<i64>(Err.INVAL) : ok<i64>(v);
    }
    return err<i64>(Err.UNKNOWN_CODEC);
  }

  /** A string: JSON, CBOR text, or Borsh. UNKNOWN_CODEC / INVAL as int(). */
  string(): Result<string> {
    const c = this.codec();
    if (c == MC_JSON) {
      const v = this.json();
      return v !== null && v.isString ? ok<string>(v.s) : err<string>(Err.INVAL);
    }
    if (c == MC_CBOR) {
      const b = this.bytes;
      const h = cborReadHead(b, 1);
      if (h === null || h.major != 3 || h.value != <u64>(b.length - h.next)) return err<string>(Err.INVAL);
      return ok<string>(String.UTF8.decodeUnsafe(b.dataStart + <usize>h.next, <usize>h.value));
    }
    if (c == MC_BORSH) {
      const r = new BorshReader(this.bytes, 2);
      const s = r.string();
      return r.done() ? err<string>(Err.INVAL) : ok<string>(s);
    }
    return err<string>(Err.UNKNOWN_CODEC);
  }
}

function cborHead(out: u8[], major: u8, v: u64): void {
  const m = <u8>(major << 5);
  let n = 0;
  if (v < 24) { out.push(m | <u8>v); return; }
  if (v <= 0xff) { out.push(m | 24); n = 1; }
  else if (v <= 0xffff) { out.push(m | 25); n = 2; }
  else if (v <= 0xffffffff) { out.push(m | 26); n = 4; }
  else { out.push(m | 27); n = 8; }
  for (let k = n - 1; k >= 0; k--) out.push(<u8>(v >> (<u64>(8 * k))));
}

class CborHead {
  constructor(public major: u8, public value: u64, public next: i32) {}
}

function cborReadHead(b: Uint8Array, at: i32): CborHead | null {
  if (at >= b.length) return null;
  const first = b[at];
  const info = first & 31;
  let n = 0;
  if (info < 24) return new CborHead(first >> 5, <u64>info, at + 1);
  if (info == 24) n = 1;
  else if (info == 25) n = 2;
  else if (info == 26) n = 4;
  else if (info == 27) n = 8;
  else return null;
  if (at + 1 + n > b.length) return null;
  let v: u64 = 0;
  for (let k = 0; k < n; k++) v = (v << 8) | <u64>b[at + 1 + k];
  return new CborHead(first >> 5, v, at + 1 + n);
}
