//! rust_echo: a component in Rust with no crate at all, to show that the ABI
//! (docs/ABI.md) is not tied to C or to the C SDK: the `troupe` imports are declared
//! by hand below, with the ABI's exact types.
//!
//! - An ASK is answered with its JSON payload wrapped: `"hi"` -> `{"rust":"hi"}`
//!   (an empty question gives `{"rust":null}`; a CBOR or Borsh one comes back as is).
//! - The invocable `relay` asks the C `echo` component (found by name with
//!   troupe.lookup) with its own arguments (or `"from rust"` when there are none) and
//!   returns echo's answer: a Rust component calling a C one through the host.
//!
//! Built with Debian's rustc (examples/components/CMakeLists.txt):
//!   /usr/bin/rustc --target wasm32-wasi --crate-type cdylib -O -C strip=symbols \
//!       rust_echo.rs -o rust_echo.wasm

#[link(wasm_import_module = "troupe")]
extern "C" {
    fn input_read(ptr: *mut u8, cap: i32, offset: i32) -> i32;
    fn output(ptr: *const u8, len: i32) -> i32;
    fn lookup(name: *const u8, name_len: i32) -> i64;
    fn ask(to: i64, tag: i32, ptr: *const u8, len: i32, out: *mut u8, out_cap: i32,
           timeout_ms: i32) -> i32;
    fn reply_read(ptr: *mut u8, cap: i32, offset: i32) -> i32;
    fn reply(corr: i64, ptr: *const u8, len: i32) -> i32;
    fn log(level: i32, ptr: *const u8, len: i32) -> i32;
}

const KIND_ASK: i32 = 1;
const JSON: &[u8] = &[0x80, 0x04]; // the multicodec prefix of JSON (0x0200, a varint)
const LEVEL_WARN: i32 = 2;

/// The whole current input (a message payload or invocation arguments) of `len` bytes.
fn read_input(len: i32) -> Vec<u8> {
    let mut buf = vec![0u8; len.max(0) as usize];
    let mut got = 0usize;
    while got < buf.len() {
        let n = unsafe {
            input_read(buf[got..].as_mut_ptr(), (buf.len() - got) as i32, got as i32)
        };
        if n <= 0 {
            break;
        }
        got += n as usize;
    }
    buf.truncate(got);
    buf
}

fn log_warn(text: &str) {
    unsafe { log(LEVEL_WARN, text.as_ptr(), text.len() as i32) };
}

/// handle-message: [i32 kind, i64 from, i32 tag, i64 corr, i32 len] -> [i32].
#[export_name = "handle-message"]
pub extern "C" fn handle_message(kind: i32, _from: i64, _tag: i32, corr: i64, len: i32) -> i32 {
    if kind != KIND_ASK {
        return 0; // everything else is ignored; the payload is not even read
    }
    let question = read_input(len);
    let answer: Vec<u8> = if question.is_empty() {
        [JSON, b"{\"rust\":null}".as_slice()].concat()
    } else if question.starts_with(JSON) {
        [JSON, b"{\"rust\":", &question[JSON.len()..], b"}"].concat()
    } else {
        question // not JSON: returned unchanged (already a valid prefixed payload)
    };
    let rc = unsafe { reply(corr, answer.as_ptr(), answer.len() as i32) };
    if rc < 0 {
        log_warn(&format!("rust_echo: reply failed with {}", rc));
    }
    0
}

/// The invocable `relay`: [i32 args_len] -> [i32 status].
#[no_mangle]
pub extern "C" fn relay(args_len: i32) -> i32 {
    let mut question = read_input(args_len);
    if question.is_empty() {
        question = [JSON, b"\"from rust\"".as_slice()].concat();
    }
    let name = b"echo";
    let echo = unsafe { lookup(name.as_ptr(), name.len() as i32) };
    if echo < 0 {
        log_warn("rust_echo: no component named echo");
        return echo as i32; // NOTFOUND, as the invocation's status
    }
    let mut answer = vec![0u8; 256];
    let full = unsafe {
        ask(echo, 0, question.as_ptr(), question.len() as i32, answer.as_mut_ptr(),
            answer.len() as i32, 5000)
    };
    if full < 0 {
        return full; // TIMEOUT, NOT_RUNNING, DENIED, ...
    }
    if full as usize > answer.len() {
        // A long answer: the rest is read from the host without asking again.
        answer.resize(full as usize, 0);
        let mut got = 256usize;
        while got < answer.len() {
            let n = unsafe {
                reply_read(answer[got..].as_mut_ptr(), (answer.len() - got) as i32, got as i32)
            };
            if n <= 0 {
                break;
            }
            got += n as usize;
        }
        answer.truncate(got);
    } else {
        answer.truncate(full as usize);
    }
    let rc = unsafe { output(answer.as_ptr(), answer.len() as i32) };
    if rc < 0 { rc } else { 0 }
}
