// A small JSON value type with a parser and an escaping writer: what a payload of prefix
// 0x0200 holds. The host parses every JSON payload it is handed, so what is sent must be
// valid; Json.toString() writes valid JSON (strings escaped, UTF-8 kept as it is).
// The parser works on the UTF-8 bytes (no UTF-16 round trip for the structure), refuses
// trailing garbage and nests at most MAX_DEPTH deep (a hostile payload cannot exhaust
// the stack).

export const MAX_DEPTH: i32 = 64;

export enum JsonKind { Null, Bool, Int, Float, String, Array, Object }

export class Json {
  kind: JsonKind = JsonKind.Null;
  b: bool = false;
  i: i64 = 0;
  f: f64 = 0;
  s: string = "";
  /** The items of an array, the values of an object. */
  items: Json[] = [];
  /** The keys of an object, in order (items[k] is keys[k]'s value). */
  keys: string[] = [];

  static nil(): Json { return new Json(); }
  static bool(v: bool): Json { const j = new Json(); j.kind = JsonKind.Bool; j.b = v; return j; }
  static int(v: i64): Json { const j = new Json(); j.kind = JsonKind.Int; j.i = v; return j; }
  static float(v: f64): Json { const j = new Json(); j.kind = JsonKind.Float; j.f = v; return j; }
  static str(v: string): Json { const j = new Json(); j.kind = JsonKind.String; j.s = v; return j; }
  static array(items: Json[] = []): Json {
    const j = new Json(); j.kind = JsonKind.Array; j.items = items; return j;
  }
  static object(): Json { const j = new Json(); j.kind = JsonKind.Object; return j; }

  /** Adds (or replaces) key in an object; returns this, to chain. */
  set(key: string, value: Json): Json {
    for (let k = 0; k < this.keys.length; k++) {
      if (this.keys[k] == key) { this.items[k] = value; return this; }
    }
    this.keys.push(key);
    this.items.push(value);
    return this;
  }
  /** Appends to an array; returns this. */
  push(value: Json): Json { this.items.push(value); return this; }

  get isNull(): bool { return this.kind == JsonKind.Null; }
  get isInt(): bool { return this.kind == JsonKind.Int; }
  get isString(): bool { return this.kind == JsonKind.String; }
  get isArray(): bool { return this.kind == JsonKind.Array; }
  get isObject(): bool { return this.kind == JsonKind.Object; }

  /** The value of key in an object; null when absent or not an object. */
  get(key: string): Json | null {
    if (this.kind != JsonKind.Object) return null;
    for (let k = 0; k < this.keys.length; k++) if (this.keys[k] == key) return this.items[k];
    return null;
  }
  /** Item i of an array; null when absent or not an array. */
  at(i: i32): Json | null {
    if (this.kind != JsonKind.Array || i < 0 || i >= this.items.length) return null;
    return this.items[i];
  }

  /** Compact JSON text. */
  toString(): string {
    const out = new Array<string>();
    write(this, out);
    return out.join("");
  }

  /** The value of a JSON text; null when it is not exactly one valid JSON value. */
  static parse(text: string): Json | null {
    const buf = Uint8Array.wrap(String.UTF8.encode(text));
    return Json.parseBytes(buf, 0, buf.length);
  }

  /** The value of the JSON text in bytes [start, end). */
  static parseBytes(bytes: Uint8Array, start: i32, end: i32): Json | null {
    const p = new Parser(bytes, start, end);
    const v = p.value(0);
    if (v === null) return null;
    p.ws();
    return p.at == end ? v : null;
  }
}

function hex4(c: i32): string {
  const h = "0123456789abcdef";
  return "\\u00" + h.charAt((c >> 4) & 15) + h.charAt(c & 15);
}

/** The JSON text of a string: quoted, with `"`, `\` and control characters escaped. */
export function quote(s: string): string {
  let out = "\"";
  let from = 0;
  for (let k = 0; k < s.length; k++) {
    const c = s.charCodeAt(k);
    if (c >= 0x20 && c != 0x22 && c != 0x5c) continue;
    out += s.substring(from, k);
    if (c == 0x22) out += "\\\"";
    else if (c == 0x5c) out += "\\\\";
    else if (c == 0x0a) out += "\\n";
    else if (c == 0x0d) out += "\\r";
    else if (c == 0x09) out += "\\t";
    else if (c == 0x08) out += "\\b";
    else if (c == 0x0c) out += "\\f";
    else out += hex4(c);
    from = k + 1;
  }
  return out + s.substring(from) + "\"";
}

function write(v: Json, out: Array<string>): void {
  switch (v.kind) {
    case JsonKind.Null: out.push("null"); break;
    case JsonKind.Bool: out.push(v.b ? "true" : "false"); break;
    case JsonKind.Int: out.push(v.i.toString()); break;
    case JsonKind.Float:
      // JSON has no NaN nor infinities: null, as JSON.stringify writes them.
      out.push(isFinite(v.f) ? v.f.toString() : "null");
      break;
    case JsonKind.String: out.push(quote(v.s)); break;
    case JsonKind.Array:
      out.push("[");
      for (let k = 0; k < v.items.length; k++) {
        if (k) out.push(",");
        write(v.items[k], out);
      }
      out.push("]");
      break;
    default:
      out.push("{");
      for (let k = 0; k < v.keys.length; k++) {
        if (k) out.push(",");
        out.push(quote(v.keys[k]));
        out.push(":");
        write(v.items[k], out);
      }
      out.push("}");
  }
}

class Parser {
  constructor(public b: Uint8Array, public at: i32, public end: i32) {}

  ws(): void {
    while (this.at < this.end) {
      const c = this.b[this.at];
      if (c != 0x20 && c != 0x09 && c != 0x0a && c != 0x0d) break;
      this.at++;
    }
  }

  word(w: string): bool {
    for (let k = 0; k < w.length; k++) {
      if (this.at + k >= this.end || <i32>this.b[this.at + k] != w.charCodeAt(k)) return false;
    }
    this.at += w.length;
    return true;
  }

  value(depth: i32): Json | null {
    if (depth > MAX_DEPTH) return null;
    this.ws();
    if (this.at >= this.end) return null;
    const c = this.b[this.at];
    if (c == 0x7b) return this.object(depth);
    if (c == 0x5b) return this.array(depth);
    if (c == 0x22) {
      const s = this.string();
      return s === null ? null : Json.str(s);
    }
    if (this.word("null")) return Json.nil();
    if (this.word("true")) return Json.bool(true);
    if (this.word("false")) return Json.bool(false);
    return this.number();
  }

  object(depth: i32): Json | null {
    this.at++;
    const o = Json.object();
    this.ws();
    if (this.at < this.end && this.b[this.at] == 0x7d) { this.at++; return o; }
    while (true) {
      this.ws();
      if (this.at >= this.end || this.b[this.at] != 0x22) return null;
      const k = this.string();
      if (k === null) return null;
      this.ws();
      if (this.at >= this.end || this.b[this.at] != 0x3a) return null;
      this.at++;
      const v = this.value(depth + 1);
      if (v === null) return null;
      o.set(k, v);
      this.ws();
      if (this.at >= this.end) return null;
      const c = this.b[this.at++];
      if (c == 0x7d) return o;
      if (c != 0x2c) return null;
    }
  }

  array(depth: i32): Json | null {
    this.at++;
    const a = Json.array();
    this.ws();
    if (this.at < this.end && this.b[this.at] == 0x5d) { this.at++; return a; }
    while (true) {
      const v = this.value(depth + 1);
      if (v === null) return null;
      a.push(v);
      this.ws();
      if (this.at >= this.end) return null;
      const c = this.b[this.at++];
      if (c == 0x5d) return a;
      if (c != 0x2c) return null;
    }
  }

  hex(): i32 {
    if (this.at + 4 > this.end) return -1;
    let v = 0;
    for (let k = 0; k < 4; k++) {
      const c = <i32>this.b[this.at++];
      let d = -1;
      if (c >= 0x30 && c <= 0x39) d = c - 0x30;
      else if (c >= 0x61 && c <= 0x66) d = c - 0x61 + 10;
      else if (c >= 0x41 && c <= 0x46) d = c - 0x41 + 10;
      if (d < 0) return -1;
      v = (v << 4) | d;
    }
    return v;
  }

  string(): string | null {
    this.at++; // the opening quote
    let out = "";
    let run = this.at;
    while (true) {
      if (this.at >= this.end) return null;
      const c = this.b[this.at];
      if (c == 0x22 || c == 0x5c) {
        out += String.UTF8.decodeUnsafe(this.b.dataStart + <usize>run, <usize>(this.at - run));
        this.at++;
        if (c == 0x22) return out;
        if (this.at >= this.end) return null;
        const e = this.b[this.at++];
        if (e == 0x22) out += "\"";
        else if (e == 0x5c) out += "\\";
        else if (e == 0x2f) out += "/";
        else if (e == 0x62) out += "\b";
        else if (e == 0x66) out += "\f";
        else if (e == 0x6e) out += "\n";
        else if (e == 0x72) out += "\r";
        else if (e == 0x74) out += "\t";
        else if (e == 0x75) {
          const u = this.hex();
          if (u < 0) return null;
          // A surrogate pair's halves are UTF-16 code units, as AssemblyScript's
          // strings are: kept as they come, the pair is one character.
          out += String.fromCharCode(u);
        } else return null;
        run = this.at;
      } else if (c < 0x20) {
        return null;
      } else {
        this.at++;
      }
    }
  }

  number(): Json | null {
    const start = this.at;
    let isInt = true;
    if (this.at < this.end && this.b[this.at] == 0x2d) this.at++;
    const digits = this.at;
    while (this.at < this.end && this.b[this.at] >= 0x30 && this.b[this.at] <= 0x39) this.at++;
    if (this.at == digits) return null;
    if (this.b[digits] == 0x30 && this.at - digits > 1) return null; // no leading zeros
    if (this.at < this.end && this.b[this.at] == 0x2e) {
      isInt = false;
      this.at++;
      const f = this.at;
      while (this.at < this.end && this.b[this.at] >= 0x30 && this.b[this.at] <= 0x39) this.at++;
      if (this.at == f) return null;
    }
    if (this.at < this.end && (this.b[this.at] == 0x65 || this.b[this.at] == 0x45)) {
      isInt = false;
      this.at++;
      if (this.at < this.end && (this.b[this.at] == 0x2b || this.b[this.at] == 0x2d)) this.at++;
      const e = this.at;
      while (this.at < this.end && this.b[this.at] >= 0x30 && this.b[this.at] <= 0x39) this.at++;
      if (this.at == e) return null;
    }
    const text = String.UTF8.decodeUnsafe(this.b.dataStart + <usize>start, <usize>(this.at - start));
    // An integer that fits an i64 stays one (19 digits: compared with the bound as text,
    // of the same length); a longer one is a float, as JSON numbers are.
    const n = this.at - digits;
    if (isInt && n <= 19) {
      const bound = start == digits ? "9223372036854775807" : "9223372036854775808";
      if (n < 19 || text.substring(text.length - 19) <= bound) {
        return Json.int(I64.parseInt(text, 10));
      }
    }
    return Json.float(F64.parseFloat(text));
  }
}
