//! Safe wrappers over the `troupe` imports (wasm32 only): typed handles in, `Result`
//! out, payloads as anything [`AsPayload`]. A call that waits (`ask`, `send_wait`,
//! `spawn`) suspends the instance until it is answered; the worker thread runs other
//! components meanwhile, and no other export of this instance runs before it returns.

use crate::abi;
use crate::{AsPayload, Clock, Corr, Error, Id, Level, Monitor, Payload, Subscription, Timer};

fn len(n: usize) -> Result<i32, Error> {
    i32::try_from(n).map_err(|_| Error::TooLarge)
}

fn status(rc: i32) -> Result<(), Error> {
    Error::check(rc as i64).map(|_| ())
}

fn value(rc: i64) -> Result<i64, Error> {
    Error::check(rc)
}

/// Reads a whole input of `total` bytes with a reader like input_read / reply_read,
/// starting after the bytes already in `buf` (its first part, when it has one).
fn read_rest(mut buf: Vec<u8>, total: usize,
             read: unsafe extern "C" fn(*mut u8, i32, i32) -> i32) -> Vec<u8> {
    let mut got = buf.len();
    buf.resize(total, 0);
    while got < total {
        let n = unsafe { read(buf[got..].as_mut_ptr(), (total - got) as i32, got as i32) };
        if n <= 0 {
            break;
        }
        got += n as usize;
    }
    buf.truncate(got);
    buf
}

/// The current input (a message's payload, an invocation's arguments, the state of
/// `_state_load`) of `len` bytes.
pub fn input(len: usize) -> Payload {
    Payload(read_rest(Vec::new(), len, abi::input_read))
}

/// Up to `buf.len()` bytes of the current input from `offset`: the count, 0 at the end.
pub fn input_at(buf: &mut [u8], offset: usize) -> Result<usize, Error> {
    let rc = unsafe { abi::input_read(buf.as_mut_ptr(), len(buf.len())?, len(offset)?) };
    Error::check(rc as i64).map(|n| n as usize)
}

/// The subject of the PUBLICATION being handled; `NotFound` for other inputs.
pub fn input_subject() -> Result<String, Error> {
    let mut buf = vec![0u8; 128];
    let n = value(unsafe { abi::input_subject(buf.as_mut_ptr(), 128) } as i64)? as usize;
    if n > buf.len() {
        buf.resize(n, 0);
        value(unsafe { abi::input_subject(buf.as_mut_ptr(), n as i32) } as i64)?;
    }
    buf.truncate(n);
    String::from_utf8(buf).map_err(|_| Error::MalformedPayload)
}

/// Sets the result of the current invocation (or the reason of `_health`).
pub fn output<P: AsPayload + ?Sized>(p: &P) -> Result<(), Error> {
    let b = p.payload_bytes();
    status(unsafe { abi::output(b.as_ptr(), len(b.len())?) })
}

/// This component's id.
pub fn self_id() -> Id {
    Id(unsafe { abi::self_() } as u64)
}

/// The id of the component named `name`; `NotFound`.
pub fn lookup(name: &str) -> Result<Id, Error> {
    value(unsafe { abi::lookup(name.as_ptr(), len(name.len())?) }).map(|v| Id(v as u64))
}

/// A MESSAGE to `to` (`Denied` without the capability, `MailboxFull` at once when its
/// mailbox is at its bound).
pub fn send<P: AsPayload + ?Sized>(to: Id, tag: i32, p: &P) -> Result<(), Error> {
    let b = p.payload_bytes();
    status(unsafe { abi::send(to.0 as i64, tag, b.as_ptr(), len(b.len())?) })
}

/// A MESSAGE to the component named `name`.
pub fn send_name<P: AsPayload + ?Sized>(name: &str, tag: i32, p: &P) -> Result<(), Error> {
    let b = p.payload_bytes();
    status(unsafe {
        abi::send_name(name.as_ptr(), len(name.len())?, tag, b.as_ptr(), len(b.len())?)
    })
}

/// Like [`send`], but a full mailbox suspends this instance until there is room, at
/// most `timeout_ms` (then `Timeout`).
pub fn send_wait<P: AsPayload + ?Sized>(to: Id, tag: i32, p: &P, timeout_ms: u32)
                                        -> Result<(), Error> {
    let b = p.payload_bytes();
    let t = i32::try_from(timeout_ms).map_err(|_| Error::Range)?;
    status(unsafe { abi::send_wait(to.0 as i64, tag, b.as_ptr(), len(b.len())?, t) })
}

/// Asks `to` and waits for the answer at most `timeout_ms`, suspended: the whole reply
/// (read in full however long), or `Timeout`, `NotRunning`, `Denied`, ...
pub fn ask<P: AsPayload + ?Sized>(to: Id, tag: i32, p: &P, timeout_ms: u32)
                                  -> Result<Payload, Error> {
    let b = p.payload_bytes();
    let t = i32::try_from(timeout_ms).map_err(|_| Error::Range)?;
    let mut first = vec![0u8; 256];
    let full = value(unsafe {
        abi::ask(to.0 as i64, tag, b.as_ptr(), len(b.len())?, first.as_mut_ptr(), 256, t)
    } as i64)? as usize;
    if full <= first.len() {
        first.truncate(full);
        return Ok(Payload(first));
    }
    // A long answer: the rest is still at the host, read without asking again.
    Ok(Payload(read_rest(first, full, abi::reply_read)))
}

/// [`lookup`] then [`ask`].
pub fn ask_name<P: AsPayload + ?Sized>(name: &str, tag: i32, p: &P, timeout_ms: u32)
                                       -> Result<Payload, Error> {
    ask(lookup(name)?, tag, p, timeout_ms)
}

/// An ASK without waiting: its corr. A REPLY (or ASK_FAILED) message with that corr
/// arrives later.
pub fn ask_async<P: AsPayload + ?Sized>(to: Id, tag: i32, p: &P, timeout_ms: u32)
                                        -> Result<Corr, Error> {
    let b = p.payload_bytes();
    let t = i32::try_from(timeout_ms).map_err(|_| Error::Range)?;
    value(unsafe { abi::ask_async(to.0 as i64, tag, b.as_ptr(), len(b.len())?, t) }).map(Corr)
}

/// Answers the ASK of `corr` (`Timeout` when the asker stopped waiting).
pub fn reply<P: AsPayload + ?Sized>(corr: Corr, p: &P) -> Result<(), Error> {
    let b = p.payload_bytes();
    status(unsafe { abi::reply(corr.0, b.as_ptr(), len(b.len())?) })
}

/// Publishes on the host's broker (`Denied` without the publish capability).
pub fn publish<P: AsPayload + ?Sized>(subject: &str, p: &P) -> Result<(), Error> {
    let b = p.payload_bytes();
    status(unsafe {
        abi::publish(subject.as_ptr(), len(subject.len())?, b.as_ptr(), len(b.len())?)
    })
}

/// Subscribes with a subject pattern ("news.>"): publications arrive as PUBLICATION
/// messages until this incarnation ends (subscribe in [`Component::start`]).
///
/// [`Component::start`]: crate::Component::start
pub fn subscribe(pattern: &str) -> Result<Subscription, Error> {
    value(unsafe { abi::subscribe(pattern.as_ptr(), len(pattern.len())?) }).map(Subscription)
}

pub fn unsubscribe(sub: Subscription) -> Result<(), Error> {
    status(unsafe { abi::unsubscribe(sub.0) })
}

/// A TIMER message to self after `delay_ms` carrying `tag` and the payload.
pub fn send_after<P: AsPayload + ?Sized>(delay_ms: u64, tag: i32, p: &P) -> Result<Timer, Error> {
    let b = p.payload_bytes();
    let d = i64::try_from(delay_ms).map_err(|_| Error::Range)?;
    value(unsafe { abi::send_after(d, tag, b.as_ptr(), len(b.len())?) }).map(Timer)
}

/// `true` cancelled, `false` already fired or unknown.
pub fn cancel_timer(t: Timer) -> Result<bool, Error> {
    value(unsafe { abi::cancel_timer(t.0) } as i64).map(|v| v == 1)
}

/// Monitors `target`: a DOWN message (corr = the ref) when its current incarnation
/// ends.
pub fn monitor(target: Id) -> Result<Monitor, Error> {
    value(unsafe { abi::monitor(target.0 as i64) }).map(Monitor)
}

pub fn demonitor(m: Monitor) -> Result<(), Error> {
    status(unsafe { abi::demonitor(m.0) })
}

/// Starts a component named `name` from a store reference (`module`, "echo" or
/// "echo@1.0"), with this component's limits and capabilities, under the host's root
/// supervisor; suspends until it is Ready. `Denied` unless the spawn capability allows
/// the reference; `NameTaken`, `NotFound`, `Trap`, ...
pub fn spawn(name: &str, module: &str) -> Result<Id, Error> {
    value(unsafe {
        abi::spawn(name.as_ptr(), len(name.len())?, module.as_ptr(), len(module.len())?)
    })
    .map(|v| Id(v as u64))
}

/// A log line tagged with this component.
pub fn log(level: Level, text: &str) -> Result<(), Error> {
    status(unsafe { abi::log(level as i32, text.as_ptr(), len(text.len())?) })
}

/// Nanoseconds of a clock.
pub fn time(clock: Clock) -> Result<u64, Error> {
    value(unsafe { abi::time(clock as i32) }).map(|v| v as u64)
}

/// `troupe_guest::log_info!("{} ticks", n)`: a formatted log line at that level (the
/// result of `log` is dropped: a log line that cannot be written has nowhere to go).
#[macro_export]
macro_rules! log_debug { ($($a:tt)*) => { let _ = $crate::log($crate::Level::Debug, &format!($($a)*)); } }
#[macro_export]
macro_rules! log_info { ($($a:tt)*) => { let _ = $crate::log($crate::Level::Info, &format!($($a)*)); } }
#[macro_export]
macro_rules! log_warn { ($($a:tt)*) => { let _ = $crate::log($crate::Level::Warn, &format!($($a)*)); } }
#[macro_export]
macro_rules! log_error { ($($a:tt)*) => { let _ = $crate::log($crate::Level::Error, &format!($($a)*)); } }
