//! The error codes a guest can see: exactly the table of docs/ABI.md, with the host's
//! values (include/troupe/error.h) and the C SDK's names (TROUPE_GUEST_ERROR_LIST in
//! sdk/c/troupe_guest.h). One list below makes the enum, its codes and its names;
//! tests/abi_tables.rs reads the document and the C header and compares.

use std::fmt;

macro_rules! errors {
    ($($(#[$doc:meta])* $variant:ident = $code:literal, $name:literal;)*) => {
        /// A Troupe error: [`code`](Error::code) is the host's value, [`name`](Error::name)
        /// the document's name. `Unknown` holds a code this version does not list.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Error {
            $($(#[$doc])* $variant,)*
            Unknown(i32),
        }

        impl Error {
            /// Every listed error, in the document's order.
            pub const ALL: &'static [Error] = &[$(Error::$variant),*];

            /// The error of a negative code (any other code gives `Unknown`).
            pub fn from_code(code: i32) -> Error {
                match code {
                    $($code => Error::$variant,)*
                    c => Error::Unknown(c),
                }
            }

            /// The host's (negative) code.
            pub fn code(self) -> i32 {
                match self {
                    $(Error::$variant => $code,)*
                    Error::Unknown(c) => c,
                }
            }

            /// "DENIED", "MAILBOX_FULL", ...; "UNKNOWN" for an unlisted code.
            pub fn name(self) -> &'static str {
                match self {
                    $(Error::$variant => $name,)*
                    Error::Unknown(_) => "UNKNOWN",
                }
            }
        }
    };
}

errors! {
    /// The host ran out of memory.
    NoMem = -1, "NOMEM";
    /// An argument is invalid (an unknown clock, a bad subject, a zero id).
    Inval = -2, "INVAL";
    /// A value is out of range (a negative timeout).
    Range = -3, "RANGE";
    /// (spawn) The store could not read the module.
    Io = -4, "IO";
    /// No such component, export, subscription, module; not a publication.
    NotFound = -5, "NOTFOUND";
    /// (spawn) The supervisor already has a child of that name.
    Exists = -6, "EXISTS";
    /// The call is not possible now (`ask` inside `_cleanup` or `_health`).
    State = -8, "STATE";
    /// A fault of the host.
    Internal = -9, "INTERNAL";
    Empty = -20, "EMPTY";
    VarintTruncated = -21, "VARINT_TRUNCATED";
    VarintOverlong = -22, "VARINT_OVERLONG";
    VarintTooLong = -23, "VARINT_TOOLONG";
    PrefixTruncated = -24, "PREFIX_TRUNCATED";
    UnknownCodec = -25, "UNKNOWN_CODEC";
    MalformedPayload = -26, "MALFORMED_PAYLOAD";
    Lossy = -27, "LOSSY";
    TooDeep = -28, "TOO_DEEP";
    /// (spawn) The module did not load, compile or instantiate.
    Malformed = -40, "MALFORMED";
    Invalid = -41, "INVALID";
    Unlinkable = -42, "UNLINKABLE";
    Uninstantiable = -43, "UNINSTANTIABLE";
    /// (spawn) Its start trapped.
    Trap = -44, "TRAP";
    /// (spawn) Its start called `proc_exit` with a non-zero code.
    Exit = -46, "EXIT";
    /// The target died before answering.
    NotRunning = -60, "NOT_RUNNING";
    /// The target's mailbox is at its bound.
    MailboxFull = -61, "MAILBOX_FULL";
    /// An ask, a `send_wait` or a spawn timed out.
    Timeout = -62, "TIMEOUT";
    /// The host is stopping.
    Stopped = -63, "STOPPED";
    /// (spawn) The name is taken.
    NameTaken = -65, "NAME_TAKEN";
    /// (spawn) The start failed for another reason.
    StartFailed = -66, "START_FAILED";
    /// A capability does not allow it.
    Denied = -80, "DENIED";
    /// The target is not Ready (invocations).
    NotReady = -83, "NOT_READY";
    /// A payload is larger than the sender's or the target's `max_message_bytes`.
    TooLarge = -84, "TOO_LARGE";
}

impl Error {
    /// `Ok(v)` for a non-negative host return value, the error otherwise.
    pub fn check(rc: i64) -> Result<i64, Error> {
        if rc >= 0 {
            Ok(rc)
        } else {
            Err(Error::from_code(rc.max(i32::MIN as i64) as i32))
        }
    }

    /// This error with a message, as an invocation's failure.
    pub fn with(self, message: impl Into<String>) -> Failure {
        Failure { error: self, message: Some(message.into()) }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Unknown(c) => write!(f, "UNKNOWN ({})", c),
            e => f.write_str(e.name()),
        }
    }
}

impl std::error::Error for Error {}

/// How an invocation fails: its status (the error's code) and, optionally, a message
/// (the host returns it to the caller as a JSON string). `?` converts an [`Error`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub error: Error,
    pub message: Option<String>,
}

impl From<Error> for Failure {
    fn from(error: Error) -> Failure {
        Failure { error, message: None }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.message {
            Some(m) => write!(f, "{}: {}", m, self.error),
            None => write!(f, "{}", self.error),
        }
    }
}
