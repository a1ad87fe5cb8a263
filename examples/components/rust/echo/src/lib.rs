//! rust_sdk_echo: the echo component (examples/components/echo.c) in Rust over the SDK
//! (sdk/rust). An ASK is answered with its own payload; a MESSAGE is ignored without
//! reading it; the invocable `echo` returns its arguments:
//! `troupe invoke rust_sdk_echo echo '"hi"'` prints "hi".

use troupe_guest::prelude::*;

struct Echo;

impl Component for Echo {
    fn start() -> Self {
        Echo
    }

    fn handle(&mut self, msg: Message) -> Result<Flow, Error> {
        if msg.kind == Kind::Ask {
            // A reply can fail without it being our fault (the asker gave up: TIMEOUT).
            if let Err(e) = msg.reply(&msg.payload()) {
                troupe_guest::log_warn!("reply: {}", e);
            }
        }
        Ok(Flow::Continue)
    }

    fn invoke(&mut self, _export: &str, args: Payload) -> Result<Payload, Failure> {
        Ok(args)
    }
}

troupe_guest::component!(Echo, invoke: ["echo"]);
