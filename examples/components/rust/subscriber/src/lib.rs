//! rust_subscriber: the subscriber component (examples/components/subscriber.c) in
//! Rust: the broker from the receiving side. It subscribes to "news.>" in `start` (a
//! subscription ends with the incarnation, so a restarted subscriber subscribes again),
//! counts the PUBLICATIONs and remembers the last subject (its payload is never read).
//! An ASK, or the invocable `count`, answers {"count":N,"last":"SUBJECT"}.

use troupe_guest::prelude::*;

struct Subscriber {
    received: i64,
    last: String,
}

impl Subscriber {
    fn answer(&self) -> Json {
        Json::object([("count", Json::from(self.received)),
                      ("last", Json::from(self.last.as_str()))])
    }
}

impl Component for Subscriber {
    fn start() -> Self {
        // DENIED without the subscribe capability: the component still starts.
        if let Err(e) = troupe_guest::subscribe("news.>") {
            troupe_guest::log_error!("subscribe news.>: {}", e);
        }
        Subscriber { received: 0, last: String::new() }
    }

    fn handle(&mut self, msg: Message) -> Result<Flow, Error> {
        match msg.kind {
            Kind::Publication => {
                self.received += 1;
                self.last = msg.subject().unwrap_or_default();
            }
            Kind::Ask => {
                let _ = msg.reply(&self.answer());
            }
            _ => {}
        }
        Ok(Flow::Continue)
    }

    fn invoke(&mut self, _export: &str, _args: Payload) -> Result<Payload, Failure> {
        Ok(self.answer().into())
    }
}

troupe_guest::component!(Subscriber, invoke: ["count"]);
