// Borsh (multicodec 0x701): little-endian integers, bool as one byte, strings and byte
// strings and vectors with a u32 length first, Option as a 0/1 byte then the value.
// BorshWriter builds a payload (prefix included); BorshReader reads one, and its first
// failure sticks (`error` is MALFORMED_PAYLOAD, every later read gives 0/""), so a
// decoder reads all its fields and checks once, with done().

import { Err } from "./consts";

export class BorshWriter {
  bytes: u8[] = [0x81, 0x0e];

  u8(v: u8): BorshWriter { this.bytes.push(v); return this; }
  bool(v: bool): BorshWriter { this.bytes.push(v ? 1 : 0); return this; }
  u16(v: u16): BorshWriter { return this.le(<u64>v, 2); }
  u32(v: u32): BorshWriter { return this.le(<u64>v, 4); }
  u64(v: u64): BorshWriter { return this.le(v, 8); }
  i32(v: i32): BorshWriter { return this.le(<u64><u32>v, 4); }
  i64(v: i64): BorshWriter { return this.le(<u64>v, 8); }
  /** A string: u32 byte length, then UTF-8. */
  string(s: string): BorshWriter {
    return this.bytesOf(Uint8Array.wrap(String.UTF8.encode(s)));
  }
  /** A byte string (Vec<u8>): u32 length, then the bytes. */
  bytesOf(b: Uint8Array): BorshWriter {
    this.u32(<u32>b.length);
    for (let k = 0; k < b.length; k++) this.bytes.push(b[k]);
    return this;
  }
  /** The length of a vector to come (its items follow, written one by one). */
  len(n: i32): BorshWriter { return this.u32(<u32>n); }

  private le(v: u64, n: i32): BorshWriter {
    for (let k = 0; k < n; k++) this.bytes.push(<u8>(v >> (<u64>(8 * k))));
    return this;
  }
}

export class BorshReader {
  error: i32 = 0;
  constructor(public b: Uint8Array, public at: i32 = 0) {}

  private take(n: i32): i32 {
    if (this.error || n < 0 || this.at + n > this.b.length) {
      this.error = Err.MALFORMED_PAYLOAD;
      return -1;
    }
    const at = this.at;
    this.at += n;
    return at;
  }
  private le(n: i32): u64 {
    const at = this.take(n);
    if (at < 0) return 0;
    let v: u64 = 0;
    for (let k = n - 1; k >= 0; k--) v = (v << 8) | <u64>this.b[at + k];
    return v;
  }

  u8(): u8 { return <u8>this.le(1); }
  bool(): bool {
    const v = this.u8();
    if (v > 1) this.error = Err.MALFORMED_PAYLOAD;
    return v == 1;
  }
  u16(): u16 { return <u16>this.le(2); }
  u32(): u32 { return <u32>this.le(4); }
  u64(): u64 { return this.le(8); }
  i32(): i32 { return <i32>this.le(4); }
  i64(): i64 { return <i64>this.le(8); }
  /** Option's tag: true when a value follows. */
  some(): bool { return this.bool(); }
  bytes(): Uint8Array {
    const n = <i32>this.u32();
    const at = this.take(n);
    return at < 0 ? new Uint8Array(0) : this.b.slice(at, at + n);
  }
  string(): string {
    const n = <i32>this.u32();
    const at = this.take(n);
    return at < 0 ? "" : String.UTF8.decodeUnsafe(this.b.dataStart + <usize>at, <usize>n);
  }
  /** 0 when every read succeeded and every byte was read, else MALFORMED_PAYLOAD. */
  done(): i32 {
    if (!this.error && this.at != this.b.length) this.error = Err.MALFORMED_PAYLOAD;
    return this.error;
  }
}
