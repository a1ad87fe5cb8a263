//! troupe-guest: the Rust guest SDK of Troupe components.
//!
//! A component is a `wasm32-wasi` module that imports the `troupe` module and exports
//! `handle-message`, invocable functions, `_health`, `_cleanup` and the state hand-over
//! pair (docs/ABI.md, version 1, is the contract; sdk/c/troupe_guest.h is the C twin of
//! this crate and the two follow the document name for name). Build a component as a
//! `cdylib` with Debian's toolchain, without network:
//!
//! ```text
//! RUSTC=/usr/bin/rustc /usr/bin/cargo build --offline --release --target wasm32-wasi
//! ```
//!
//! Layers, each usable without the next:
//!   1. [`Error`], [`Kind`], [`Down`], [`Health`], [`Level`], [`Clock`] and the multicodec
//!      constants: the values of the document's tables;
//!   2. payloads, pure Rust, also on the host: [`Payload`] (what arrives), the
//!      [`AsPayload`] trait (what may be sent), [`json::Json`] and [`borsh`];
//!   3. (wasm32 only) every `troupe` import ([`abi`]), safe wrappers over them
//!      ([`send`], [`ask`], [`publish`], [`spawn`], ...), the [`Component`] trait and
//!      the [`component!`] macro that exports it.
//!
//! Errors are values: every call returns `Result<_, Error>`, and [`Error::code`] is the
//! host's code. Nothing here is thread-safe or needs to be: an instance runs one call
//! at a time, and a call that waits (`ask`, `spawn`, `send_wait`) suspends the whole
//! instance -- no other export of it runs meanwhile.

mod consts;
mod error;
pub mod borsh;
pub mod json;
mod payload;

pub use consts::*;
pub use error::{Error, Failure};
pub use json::Json;
pub use payload::{cbor_int_payload, cbor_text_payload, AsPayload, Borsh, Codec, Payload};

#[cfg(target_arch = "wasm32")]
pub mod abi;
#[cfg(target_arch = "wasm32")]
mod component;
#[cfg(target_arch = "wasm32")]
mod host;

#[cfg(target_arch = "wasm32")]
pub use component::{Component, Flow, Message};
#[cfg(target_arch = "wasm32")]
pub use host::*;

#[cfg(target_arch = "wasm32")]
#[doc(hidden)]
pub use component::rt as __rt;

/// Everything a component usually needs: `use troupe_guest::prelude::*;`
pub mod prelude {
    pub use crate::json::Json;
    pub use crate::{AsPayload, Borsh, Clock, Down, Error, Failure, Health, Id, Kind, Level,
                    Payload};
    #[cfg(target_arch = "wasm32")]
    pub use crate::{Component, Flow, Message};
}
