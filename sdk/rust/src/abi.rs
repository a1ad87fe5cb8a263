//! Every import of module `troupe`, exactly as docs/ABI.md lists it (name and type;
//! tests/component/sdk/check_abi.sh checks the built modules against the document).
//! Pointers are offsets into this module's memory, read or written during the call
//! only. Each returns >= 0 or a negative error code. Use the safe wrappers of the crate
//! root unless you need one of these as it is.

#[link(wasm_import_module = "troupe")]
extern "C" {
    pub fn input_read(ptr: *mut u8, cap: i32, offset: i32) -> i32;
    pub fn input_subject(ptr: *mut u8, cap: i32) -> i32;
    pub fn output(ptr: *const u8, len: i32) -> i32;
    #[link_name = "self"]
    pub fn self_(/* this component's id */) -> i64;
    pub fn lookup(name: *const u8, name_len: i32) -> i64;
    pub fn send(to: i64, tag: i32, ptr: *const u8, len: i32) -> i32;
    pub fn send_name(name: *const u8, name_len: i32, tag: i32, ptr: *const u8, len: i32) -> i32;
    pub fn send_wait(to: i64, tag: i32, ptr: *const u8, len: i32, timeout_ms: i32) -> i32;
    pub fn ask(to: i64, tag: i32, ptr: *const u8, len: i32, out: *mut u8, out_cap: i32,
               timeout_ms: i32) -> i32;
    pub fn reply_read(ptr: *mut u8, cap: i32, offset: i32) -> i32;
    pub fn ask_async(to: i64, tag: i32, ptr: *const u8, len: i32, timeout_ms: i32) -> i64;
    pub fn reply(corr: i64, ptr: *const u8, len: i32) -> i32;
    pub fn publish(subject: *const u8, subject_len: i32, ptr: *const u8, len: i32) -> i32;
    pub fn subscribe(pattern: *const u8, pattern_len: i32) -> i64;
    pub fn unsubscribe(sub: i64) -> i32;
    pub fn send_after(delay_ms: i64, tag: i32, ptr: *const u8, len: i32) -> i64;
    pub fn cancel_timer(timer: i64) -> i32;
    pub fn monitor(target: i64) -> i64;
    pub fn demonitor(r#ref: i64) -> i32;
    pub fn spawn(name: *const u8, name_len: i32, module: *const u8, module_len: i32) -> i64;
    pub fn log(level: i32, ptr: *const u8, len: i32) -> i32;
    pub fn time(clock: i32) -> i64;
}
