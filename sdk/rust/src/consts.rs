//! The ABI's constants (docs/ABI.md): message kinds, DOWN exit kinds, health answers,
//! log levels, clocks, multicodec codes, and the typed handles the host hands out (ids,
//! ask correlations, timers, subscriptions, monitors), so that a timer cannot be passed
//! where a monitor is expected. Checked against the document by tests/abi_tables.rs.

use std::fmt;

/// The version of docs/ABI.md this crate implements.
pub const ABI_VERSION: u32 = 1;

/// Multicodec codes of a payload's prefix (an unsigned LEB128 varint in front).
pub const MC_CBOR: u32 = 0x51;
pub const MC_JSON: u32 = 0x0200;
pub const MC_BORSH: u32 = 0x0701;
/// The same as bytes: what a payload starts with.
pub const PREFIX_CBOR: &[u8] = &[0x51];
pub const PREFIX_JSON: &[u8] = &[0x80, 0x04];
pub const PREFIX_BORSH: &[u8] = &[0x81, 0x0e];

/// The `kind` argument of handle-message ("Message kinds").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A send: `from`, `tag`; the payload is the message.
    Message,
    /// Answer with [`Message::reply`](crate::Message::reply) (now) or
    /// [`reply`](crate::reply) with its corr (later).
    Ask,
    /// The answer to an [`ask_async`](crate::ask_async) (`corr`).
    Reply,
    /// That ask failed: [`Message::error`](crate::Message::error) says why; no payload.
    AskFailed,
    /// A monitored component ended: [`Message::down`](crate::Message::down) says how.
    Down,
    /// A [`send_after`](crate::send_after) fired: `tag`, `corr` is the timer id.
    Timer,
    /// A publication; its subject with [`Message::subject`](crate::Message::subject).
    Publication,
    /// A kind of a later ABI version.
    Other(i32),
}

impl Kind {
    pub const ALL: [Kind; 7] = [Kind::Message, Kind::Ask, Kind::Reply, Kind::AskFailed,
                                Kind::Down, Kind::Timer, Kind::Publication];

    pub fn from_code(v: i32) -> Kind {
        match v {
            0 => Kind::Message,
            1 => Kind::Ask,
            2 => Kind::Reply,
            3 => Kind::AskFailed,
            4 => Kind::Down,
            5 => Kind::Timer,
            6 => Kind::Publication,
            v => Kind::Other(v),
        }
    }

    pub fn code(self) -> i32 {
        match self {
            Kind::Message => 0,
            Kind::Ask => 1,
            Kind::Reply => 2,
            Kind::AskFailed => 3,
            Kind::Down => 4,
            Kind::Timer => 5,
            Kind::Publication => 6,
            Kind::Other(v) => v,
        }
    }

    /// The document's name: "MESSAGE", "ASK_FAILED", ...
    pub fn name(self) -> &'static str {
        match self {
            Kind::Message => "MESSAGE",
            Kind::Ask => "ASK",
            Kind::Reply => "REPLY",
            Kind::AskFailed => "ASK_FAILED",
            Kind::Down => "DOWN",
            Kind::Timer => "TIMER",
            Kind::Publication => "PUBLICATION",
            Kind::Other(_) => "OTHER",
        }
    }
}

/// How a monitored incarnation ended (the tag of a DOWN message).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Down {
    Normal,
    Shutdown,
    Killed,
    Crash,
    NoProc,
    Other(i32),
}

impl Down {
    pub fn from_code(v: i32) -> Down {
        match v {
            0 => Down::Normal,
            1 => Down::Shutdown,
            2 => Down::Killed,
            3 => Down::Crash,
            4 => Down::NoProc,
            v => Down::Other(v),
        }
    }

    pub fn code(self) -> i32 {
        match self {
            Down::Normal => 0,
            Down::Shutdown => 1,
            Down::Killed => 2,
            Down::Crash => 3,
            Down::NoProc => 4,
            Down::Other(v) => v,
        }
    }
}

/// What `_health` answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Health {
    Healthy = 0,
    Degraded = 1,
    Unhealthy = 2,
}

/// Levels of `troupe.log`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Debug = 0,
    Info = 1,
    Warn = 2,
    Error = 3,
}

/// Clocks of `troupe.time`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clock {
    /// Nanoseconds since the Unix epoch.
    Wall = 0,
    /// Nanoseconds from an arbitrary start.
    Monotonic = 1,
}

/// A component id: stable across restarts, never reused. `Id::HOST` (0) is the host,
/// an embedder or a C actor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Id(pub u64);

impl Id {
    pub const HOST: Id = Id(0);
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

macro_rules! handle {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub struct $name(pub i64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}", self.0)
            }
        }
    };
}

handle!(
    /// An ask's correlation: what [`reply`](crate::reply) answers, and what REPLY and
    /// ASK_FAILED messages of an [`ask_async`](crate::ask_async) carry.
    Corr
);
handle!(
    /// A pending [`send_after`](crate::send_after) (the TIMER message's corr).
    Timer
);
handle!(
    /// A [`subscribe`](crate::subscribe)'s id.
    Subscription
);
handle!(
    /// A [`monitor`](crate::monitor) ref (the DOWN message's corr).
    Monitor
);
