//! rust_crasher: the crasher component (examples/components/crasher.c) in Rust, for
//! supervision across languages. A MESSAGE fails by its tag: 0 traps (`unreachable`),
//! 1 returns an error (a crash with INVAL's code, no trap), 2 stops normally, 3 calls
//! `std::process::exit(3)` (WASI proc_exit: a crash with exit code 3). Any other tag is
//! an ordinary message, counted. An ASK "ping" is answered "pong" (a restarted crasher
//! is back), "count" {"handled":N} (this incarnation's ordinary messages). The
//! invocable `crash` traps.

use troupe_guest::prelude::*;

struct Crasher {
    handled: i64,
}

fn trap() -> ! {
    troupe_guest::log_info!("rust_crasher: trapping");
    core::arch::wasm32::unreachable()
}

impl Component for Crasher {
    fn start() -> Self {
        Crasher { handled: 0 }
    }

    fn handle(&mut self, msg: Message) -> Result<Flow, Error> {
        match msg.kind {
            Kind::Ask => {
                let answer = match msg.payload().text() {
                    Ok("\"ping\"") => Payload::json_text("\"pong\""),
                    Ok("\"count\"") => {
                        Json::object([("handled", Json::from(self.handled))]).into()
                    }
                    _ => Payload::json_text("\"ask me ping\""),
                };
                let _ = msg.reply(&answer);
                Ok(Flow::Continue)
            }
            Kind::Message => match msg.tag {
                0 => trap(),
                1 => Err(Error::Inval),
                2 => Ok(Flow::Stop),
                3 => std::process::exit(3),
                _ => {
                    self.handled += 1;
                    Ok(Flow::Continue)
                }
            },
            _ => Ok(Flow::Continue),
        }
    }

    fn invoke(&mut self, _export: &str, _args: Payload) -> Result<Payload, Failure> {
        trap()
    }
}

troupe_guest::component!(Crasher, invoke: ["crash"]);
