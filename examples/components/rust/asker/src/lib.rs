//! rust_asker: the asker component (examples/components/asker.c) in Rust: a component
//! calling another one by name. The invocable `ask` takes a component's name (a JSON
//! string; no arguments mean "echo"), finds it with lookup, asks it
//! {"from":"asker","n":N} (the C asker's question, so that both answer alike) and returns the answer as its result. The ask suspends
//! this instance until the answer comes (the worker runs other components meanwhile);
//! a long answer is read in full by the SDK. Errors (NOTFOUND, TIMEOUT, DENIED, ...) are
//! the invocation's status, with "what: NAME" as its message.

use troupe_guest::prelude::*;

struct Asker {
    asked: i64,
}

impl Component for Asker {
    fn start() -> Self {
        Asker { asked: 0 }
    }

    fn invoke(&mut self, _export: &str, args: Payload) -> Result<Payload, Failure> {
        let name = if args.is_empty() {
            "echo".to_string()
        } else {
            args.string().map_err(|e| {
                e.with(format!("ask takes a component name (a JSON string): {}", e))
            })?
        };
        let to = troupe_guest::lookup(&name).map_err(|e| e.with(format!("lookup: {}", e)))?;
        self.asked += 1;
        let question = Json::object([("from", Json::from("asker")),
                                     ("n", Json::from(self.asked))]);
        troupe_guest::ask(to, 0, &question, 5000).map_err(|e| e.with(format!("ask: {}", e)))
    }
}

troupe_guest::component!(Asker, invoke: ["ask"]);
