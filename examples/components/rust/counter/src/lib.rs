//! rust_counter: the counter component (examples/components/counter.c) in Rust. Every
//! MESSAGE adds one; an ASK, or the invocable `get`, answers {"count":N}; `add` takes an
//! integer (JSON, CBOR or Borsh) and adds it. At a hot upgrade to a module that takes
//! state (this one does), the count goes across as a Borsh i64: `troupe upgrade` keeps
//! it.

use troupe_guest::prelude::*;

struct Counter {
    count: i64,
}

impl Counter {
    fn answer(&self) -> Payload {
        Json::object([("count", Json::from(self.count))]).into()
    }
}

impl Component for Counter {
    fn start() -> Self {
        Counter { count: 0 }
    }

    fn handle(&mut self, msg: Message) -> Result<Flow, Error> {
        match msg.kind {
            Kind::Message => self.count += 1,
            Kind::Ask => {
                let _ = msg.reply(&self.answer());
            }
            _ => {}
        }
        Ok(Flow::Continue)
    }

    fn invoke(&mut self, export: &str, args: Payload) -> Result<Payload, Failure> {
        if export == "add" {
            let v = args.int()
                .map_err(|e| e.with("add takes one integer (JSON, CBOR or Borsh)"))?;
            self.count = self.count.wrapping_add(v);
        }
        Ok(self.answer())
    }

    fn save_state(&mut self) -> Result<Payload, Error> {
        Ok(Payload(troupe_guest::borsh::to_payload(&self.count)))
    }

    fn load_state(&mut self, state: Payload) -> Result<(), Error> {
        self.count = state.borsh::<i64>()?;
        Ok(())
    }
}

troupe_guest::component!(Counter, invoke: ["get", "add"], state);
