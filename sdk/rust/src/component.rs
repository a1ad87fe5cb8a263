//! The component model of the SDK: a type implementing [`Component`] is the state of
//! one instance, and [`component!`](crate::component) exports it -- `_initialize`
//! (which makes the instance with [`Component::start`]), `handle-message`, the
//! invocable exports named in the macro, and, when asked for, `_health`, `_cleanup` and
//! the state hand-over pair `_state_save` / `_state_load` (docs/ABI.md, "Exports").
//!
//! The instance lives in a static slot of the module (one component per module, as the
//! ABI has it). The host calls one export at a time, and a call that waits suspends the
//! instance without running another export of it, so a `&mut` to the instance is never
//! aliased; the slot still refuses a nested call (`State`) rather than trust that.

use crate::{AsPayload, Corr, Down, Error, Failure, Health, Id, Kind, Payload, Timer};

/// What a component does after a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    /// Go on with the next message.
    Continue,
    /// Stop normally (a supervisor restarts a permanent component).
    Stop,
}

/// One message to [`Component::handle`]. The payload stays at the host until asked
/// for ([`payload`](Message::payload)): a component that only counts copies nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Message {
    pub kind: Kind,
    /// The sender ([`Id::HOST`] for the host), the asked (ASK_FAILED), the monitored
    /// (DOWN), self (TIMER), the publisher (PUBLICATION).
    pub from: Id,
    /// The sender's tag; for ASK_FAILED the error code, for DOWN the exit kind.
    pub tag: i32,
    /// The ask (ASK), the `ask_async` (REPLY, ASK_FAILED), the monitor ref (DOWN), the
    /// timer (TIMER); 0 otherwise.
    pub corr: i64,
    /// The payload's length.
    pub len: usize,
}

impl Message {
    /// The payload, read from the host.
    pub fn payload(&self) -> Payload {
        crate::input(self.len)
    }

    /// Answers this ASK (`State` for another kind).
    pub fn reply<P: AsPayload + ?Sized>(&self, p: &P) -> Result<(), Error> {
        if self.kind != Kind::Ask {
            return Err(Error::State);
        }
        crate::reply(Corr(self.corr), p)
    }

    /// The ask's correlation, to [`reply`](crate::reply) later (ASK), or the
    /// `ask_async` this answers (REPLY, ASK_FAILED).
    pub fn corr(&self) -> Corr {
        Corr(self.corr)
    }

    /// The subject of a PUBLICATION.
    pub fn subject(&self) -> Option<String> {
        if self.kind == Kind::Publication { crate::input_subject().ok() } else { None }
    }

    /// Why an `ask_async` failed (ASK_FAILED).
    pub fn error(&self) -> Option<Error> {
        if self.kind == Kind::AskFailed { Some(Error::from_code(self.tag)) } else { None }
    }

    /// How the monitored component ended (DOWN), and its monitor ref.
    pub fn down(&self) -> Option<(Down, crate::Monitor)> {
        if self.kind == Kind::Down {
            Some((Down::from_code(self.tag), crate::Monitor(self.corr)))
        } else {
            None
        }
    }

    /// The timer that fired (TIMER).
    pub fn timer(&self) -> Option<Timer> {
        if self.kind == Kind::Timer { Some(Timer(self.corr)) } else { None }
    }
}

/// A component. Only [`start`](Component::start) is required; the other methods have
/// defaults that ignore messages, know no invocation, are healthy and keep no state.
pub trait Component: Sized + 'static {
    /// Makes the instance: at every start of the component (a restart is a new
    /// instance), before any message. Subscribe here. A panic fails the start.
    fn start() -> Self;

    /// Handles a message. `Err(e)` crashes the component with e's code (its
    /// supervisor decides what follows).
    fn handle(&mut self, msg: Message) -> Result<Flow, Error> {
        let _ = msg;
        Ok(Flow::Continue)
    }

    /// Answers the invocable export `export` (one named in `component!`): its result
    /// (a prefixed payload, or empty), or a failure (its code is the status, its
    /// message goes back to the caller).
    fn invoke(&mut self, export: &str, args: Payload) -> Result<Payload, Failure> {
        let _ = args;
        Err(Error::NotFound.with(format!("no export {}", export)))
    }

    /// `_health` (exported with `health` in `component!`): the answer and an optional
    /// reason.
    fn health(&mut self) -> (Health, Option<String>) {
        (Health::Healthy, None)
    }

    /// `_cleanup` (exported with `cleanup`): at an orderly stop, not after a crash.
    fn cleanup(&mut self) {}

    /// `_state_save` (exported with `state`): the state handed to the next module at a
    /// hot upgrade. It may not wait.
    fn save_state(&mut self) -> Result<Payload, Error> {
        Err(Error::State)
    }

    /// `_state_load` (exported with `state`): takes the state the old module saved
    /// (after `start` ran); `Err` refuses it and the upgrade rolls back.
    fn load_state(&mut self, state: Payload) -> Result<(), Error> {
        let _ = state;
        Err(Error::State)
    }
}

#[doc(hidden)]
pub mod rt {
    //! What the `component!` macro's exports call. Not an API.
    use super::*;
    use std::cell::{Cell, UnsafeCell};

    pub struct Slot<T> {
        value: UnsafeCell<Option<T>>,
        busy: Cell<bool>,
    }

    // wasm32 modules are single-threaded: the host runs one export at a time.
    unsafe impl<T> Sync for Slot<T> {}

    extern "C" {
        // wasm-ld's synthetic function running the module's static constructors (what
        // a WASI reactor's _initialize must call before anything else).
        fn __wasm_call_ctors();
    }

    impl<T: Component> Slot<T> {
        pub const fn new() -> Slot<T> {
            Slot { value: UnsafeCell::new(None), busy: Cell::new(false) }
        }

        /// Runs f on the instance (made first if an export comes before
        /// _initialize, which the host never does); `State` when nested.
        fn with<R>(&self, f: impl FnOnce(&mut T) -> R) -> Result<R, Error> {
            if self.busy.replace(true) {
                return Err(Error::State);
            }
            // Safety: not nested (busy), single-threaded: the only reference.
            let v = unsafe { &mut *self.value.get() };
            let r = f(v.get_or_insert_with(T::start));
            self.busy.set(false);
            Ok(r)
        }

        pub fn initialize(&self) {
            unsafe { __wasm_call_ctors() };
            let _ = self.with(|_| ());
        }

        pub fn handle(&self, kind: i32, from: i64, tag: i32, corr: i64, len: i32) -> i32 {
            let msg = Message { kind: Kind::from_code(kind), from: Id(from as u64), tag, corr,
                                len: len.max(0) as usize };
            match self.with(|c| c.handle(msg)) {
                Ok(Ok(Flow::Continue)) => 0,
                Ok(Ok(Flow::Stop)) => 1,
                Ok(Err(e)) | Err(e) => e.code(),
            }
        }

        pub fn invoke(&self, export: &str, len: i32) -> i32 {
            let args = crate::input(len.max(0) as usize);
            let r = self.with(|c| c.invoke(export, args)).unwrap_or_else(|e| Err(e.into()));
            match r {
                // An empty result is what the host has without any output: not set, so
                // that no zero-length output reaches the host (whose `output` of 0
                // bytes, before any other, hands memcpy a null pointer).
                Ok(result) if result.is_empty() => 0,
                Ok(result) => match crate::output(&result) {
                    Ok(()) => 0,
                    Err(e) => e.code(),
                },
                Err(f) => {
                    if let Some(m) = f.message {
                        let _ = crate::output(&crate::Json::Str(m));
                    }
                    // A failure must be negative: an Unknown(0) would read as success.
                    if f.error.code() < 0 { f.error.code() } else { Error::Internal.code() }
                }
            }
        }

        pub fn health(&self) -> i32 {
            match self.with(|c| c.health()) {
                Ok((h, reason)) => {
                    if let Some(r) = reason {
                        let _ = crate::output(&crate::Json::Str(r));
                    }
                    h as i32
                }
                Err(_) => Health::Unhealthy as i32,
            }
        }

        pub fn cleanup(&self) {
            let _ = self.with(|c| c.cleanup());
        }

        pub fn state_save(&self) -> i32 {
            match self.with(|c| c.save_state()) {
                Ok(Ok(state)) => crate::output(&state).map_or_else(|e| e.code(), |_| 0),
                Ok(Err(e)) | Err(e) => e.code(),
            }
        }

        pub fn state_load(&self, len: i32) -> i32 {
            let state = crate::input(len.max(0) as usize);
            match self.with(|c| c.load_state(state)) {
                Ok(Ok(())) => 0,
                Ok(Err(e)) | Err(e) => e.code(),
            }
        }
    }
}

/// Exports a [`Component`] type as this module's component:
///
/// ```text
/// troupe_guest::component!(Counter, invoke: ["get", "add"], health, cleanup, state);
/// ```
///
/// Always `_initialize` and `handle-message`; `invoke: [...]` adds an invocable
/// export per name (any name not starting with `_`); `health` exports `_health`,
/// `cleanup` `_cleanup`, `state` the pair `_state_save` / `_state_load`. Options come
/// in this order, each optional.
// Each optional word (`health`, ...) is matched as `$(, health $($h:literal)?)?`: the
// inner, never-filled `$h` gives the transcriber a variable to repeat the word's
// exports on (macro_rules repeats only on variables), so a word present emits them once.
#[macro_export]
macro_rules! component {
    ($ty:ty $(, invoke: [$($name:literal),* $(,)?])? $(, health $($health:literal)?)?
     $(, cleanup $($cleanup:literal)?)? $(, state $($state:literal)?)? $(,)?) => {
        const _: () = {
            static SLOT: $crate::__rt::Slot<$ty> = $crate::__rt::Slot::new();

            #[export_name = "_initialize"]
            pub extern "C" fn __troupe_initialize() {
                SLOT.initialize()
            }

            #[export_name = "handle-message"]
            pub extern "C" fn __troupe_handle_message(kind: i32, from: i64, tag: i32, corr: i64,
                                                      len: i32) -> i32 {
                SLOT.handle(kind, from, tag, corr, len)
            }

            $($(
                const _: () = {
                    #[export_name = $name]
                    pub extern "C" fn __troupe_invoke(args_len: i32) -> i32 {
                        SLOT.invoke($name, args_len)
                    }
                };
            )*)?

            $(
                $($health)?
                #[export_name = "_health"]
                pub extern "C" fn __troupe_health() -> i32 {
                    SLOT.health()
                }
            )?

            $(
                $($cleanup)?
                #[export_name = "_cleanup"]
                pub extern "C" fn __troupe_cleanup() {
                    SLOT.cleanup()
                }
            )?

            $(
                $($state)?
                #[export_name = "_state_save"]
                pub extern "C" fn __troupe_state_save(_zero: i32) -> i32 {
                    SLOT.state_save()
                }

                #[export_name = "_state_load"]
                pub extern "C" fn __troupe_state_load(len: i32) -> i32 {
                    SLOT.state_load(len)
                }
            )?
        };
    };
}
