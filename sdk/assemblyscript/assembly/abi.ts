// Every import of module `troupe`, exactly as docs/ABI.md lists it (name and type;
// tests/component/sdk/check_abi.sh checks the built modules against the document, and
// tests/abi_tables.mjs this file). Pointers are offsets into this module's memory, read
// or written during the call only. Each returns >= 0 or a negative error code. Use the
// wrappers of host.ts unless you need one of these as it is.

@external("troupe", "input_read")
export declare function input_read(ptr: usize, cap: i32, offset: i32): i32;
@external("troupe", "input_subject")
export declare function input_subject(ptr: usize, cap: i32): i32;
@external("troupe", "output")
export declare function output(ptr: usize, len: i32): i32;
@external("troupe", "self")
export declare function self_(): i64;
@external("troupe", "lookup")
export declare function lookup(name: usize, name_len: i32): i64;
@external("troupe", "send")
export declare function send(to: i64, tag: i32, ptr: usize, len: i32): i32;
@external("troupe", "send_name")
export declare function send_name(name: usize, name_len: i32, tag: i32, ptr: usize, len: i32): i32;
@external("troupe", "send_wait")
export declare function send_wait(to: i64, tag: i32, ptr: usize, len: i32, timeout_ms: i32): i32;
@external("troupe", "ask")
export declare function ask(to: i64, tag: i32, ptr: usize, len: i32, out: usize, out_cap: i32,
                            timeout_ms: i32): i32;
@external("troupe", "reply_read")
export declare function reply_read(ptr: usize, cap: i32, offset: i32): i32;
@external("troupe", "ask_async")
export declare function ask_async(to: i64, tag: i32, ptr: usize, len: i32, timeout_ms: i32): i64;
@external("troupe", "reply")
export declare function reply(corr: i64, ptr: usize, len: i32): i32;
@external("troupe", "publish")
export declare function publish(subject: usize, subject_len: i32, ptr: usize, len: i32): i32;
@external("troupe", "subscribe")
export declare function subscribe(pattern: usize, pattern_len: i32): i64;
@external("troupe", "unsubscribe")
export declare function unsubscribe(sub: i64): i32;
@external("troupe", "send_after")
export declare function send_after(delay_ms: i64, tag: i32, ptr: usize, len: i32): i64;
@external("troupe", "cancel_timer")
export declare function cancel_timer(timer: i64): i32;
@external("troupe", "monitor")
export declare function monitor(target: i64): i64;
@external("troupe", "demonitor")
export declare function demonitor(ref: i64): i32;
@external("troupe", "spawn")
export declare function spawn(name: usize, name_len: i32, module: usize, module_len: i32): i64;
@external("troupe", "log")
export declare function log(level: i32, ptr: usize, len: i32): i32;
@external("troupe", "time")
export declare function time(clock: i32): i64;
