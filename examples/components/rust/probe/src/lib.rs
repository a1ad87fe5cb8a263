//! rust_probe: every call of the Rust SDK (sdk/rust) behind an invocable export, so
//! that tests/component/test_rust_sdk.c can drive each against the real host and see
//! its result. Arguments are JSON (mostly an array); results are JSON, an error is the
//! invocation's status with "CALL: NAME" as its message. The messages it receives are
//! counted by kind and the last one is kept (`last`, `seen`). An ASK is answered
//! {"probe":QUESTION} at once, except with tag 7: kept, answered by `reply_later`.
//! `_health` answers what `set_health` set; `_cleanup` logs a line.

use troupe_guest::prelude::*;
use troupe_guest::{borsh, Corr, Monitor, Subscription, Timer};

struct Probe {
    seen: [i64; 7],
    last: Json,
    pending: Option<Corr>,
    health: (Health, Option<String>),
}

fn arg_str(a: &Json, i: usize) -> Result<String, Failure> {
    a.at(i).and_then(Json::as_str).map(str::to_string)
        .ok_or_else(|| Error::Inval.with(format!("argument {} must be a string", i)))
}

fn arg_int(a: &Json, i: usize) -> Result<i64, Failure> {
    a.at(i).and_then(Json::as_i64)
        .ok_or_else(|| Error::Inval.with(format!("argument {} must be an integer", i)))
}

/// Argument i as a payload: a JSON value, or none when absent or null.
fn arg_payload(a: &Json, i: usize) -> Payload {
    match a.at(i) {
        None | Some(Json::Null) => Payload::default(),
        Some(v) => v.clone().into(),
    }
}

/// An SDK error as the invocation's failure, named after the call.
fn named(call: &'static str) -> impl Fn(Error) -> Failure {
    move |e| e.with(format!("{}: {}", call, e.name()))
}

fn ok(v: impl Into<Json>) -> Result<Payload, Failure> {
    Ok(v.into().into())
}

impl Probe {
    fn record(&mut self, msg: &Message) {
        if let Kind::Other(_) = msg.kind {
            return;
        }
        self.seen[msg.kind.code() as usize] += 1;
        let payload = msg.payload();
        let mut m = vec![("kind", Json::from(msg.kind.name())),
                         ("from", Json::from(msg.from)),
                         ("tag", Json::from(msg.tag)),
                         ("corr", Json::from(msg.corr)),
                         ("payload", payload.json().unwrap_or(Json::Null))];
        if let Some(s) = msg.subject() {
            m.push(("subject", Json::from(s)));
        }
        if let Some(e) = msg.error() {
            m.push(("error", Json::from(e.name())));
        }
        if let Some((down, _)) = msg.down() {
            m.push(("down", Json::from(down.code())));
            m.push(("reason", Json::from(String::from_utf8_lossy(payload.bytes()).as_ref())));
        }
        self.last = Json::object(m);
    }

    fn call(&mut self, export: &str, a: &Json, args: &Payload) -> Result<Payload, Failure> {
        use troupe_guest as t;
        match export {
            "self_id" => ok(t::self_id()),
            "lookup" => ok(t::lookup(&arg_str(a, 0)?).map_err(named("lookup"))?),
            "send" => {
                let to = t::lookup(&arg_str(a, 0)?).map_err(named("lookup"))?;
                t::send(to, arg_int(a, 1)? as i32, &arg_payload(a, 2)).map_err(named("send"))?;
                ok(true)
            }
            "send_name" => {
                t::send_name(&arg_str(a, 0)?, arg_int(a, 1)? as i32, &arg_payload(a, 2))
                    .map_err(named("send_name"))?;
                ok(true)
            }
            "send_wait" => {
                let to = t::lookup(&arg_str(a, 0)?).map_err(named("lookup"))?;
                t::send_wait(to, arg_int(a, 1)? as i32, &arg_payload(a, 2), arg_int(a, 3)? as u32)
                    .map_err(named("send_wait"))?;
                ok(true)
            }
            "send_raw" => {
                // [name, [bytes...]]: a payload exactly as given (a wrong prefix too).
                let bytes: Vec<u8> = a.at(1).and_then(Json::as_array).unwrap_or(&[]).iter()
                    .map(|b| b.as_i64().unwrap_or(0) as u8).collect();
                t::send_name(&arg_str(a, 0)?, 0, &bytes).map_err(named("send"))?;
                ok(true)
            }
            "ask" => {
                // [name, question, timeout_ms]: the answer as it came.
                t::ask_name(&arg_str(a, 0)?, 0, &arg_payload(a, 1), arg_int(a, 2)? as u32)
                    .map_err(named("ask"))
            }
            "ask_async" => {
                let to = t::lookup(&arg_str(a, 0)?).map_err(named("lookup"))?;
                let corr = t::ask_async(to, 0, &arg_payload(a, 1), arg_int(a, 2)? as u32)
                    .map_err(named("ask_async"))?;
                ok(corr.0)
            }
            "reply_later" => {
                let corr = self.pending.take()
                    .ok_or_else(|| Error::State.with("no ask is waiting"))?;
                t::reply(corr, &arg_payload(a, 0)).map_err(named("reply"))?;
                ok(corr.0)
            }
            "publish" => {
                t::publish(&arg_str(a, 0)?, &arg_payload(a, 1)).map_err(named("publish"))?;
                ok(true)
            }
            "subscribe" => ok(t::subscribe(&arg_str(a, 0)?).map_err(named("subscribe"))?.0),
            "unsubscribe" => {
                t::unsubscribe(Subscription(arg_int(a, 0)?)).map_err(named("unsubscribe"))?;
                ok(true)
            }
            "send_after" => {
                let timer = t::send_after(arg_int(a, 0)? as u64, arg_int(a, 1)? as i32,
                                          &arg_payload(a, 2)).map_err(named("send_after"))?;
                ok(timer.0)
            }
            "cancel_timer" => {
                ok(t::cancel_timer(Timer(arg_int(a, 0)?)).map_err(named("cancel_timer"))?)
            }
            "monitor" => {
                let target = t::lookup(&arg_str(a, 0)?).map_err(named("lookup"))?;
                ok(t::monitor(target).map_err(named("monitor"))?.0)
            }
            "demonitor" => {
                t::demonitor(Monitor(arg_int(a, 0)?)).map_err(named("demonitor"))?;
                ok(true)
            }
            "spawn" => ok(t::spawn(&arg_str(a, 0)?, &arg_str(a, 1)?).map_err(named("spawn"))?),
            "log" => {
                let level = match arg_int(a, 0)? {
                    0 => Level::Debug,
                    1 => Level::Info,
                    2 => Level::Warn,
                    _ => Level::Error,
                };
                t::log(level, &arg_str(a, 1)?).map_err(named("log"))?;
                ok(true)
            }
            "time" => match arg_int(a, 0)? {
                0 => ok(t::time(Clock::Wall).map_err(named("time"))?),
                1 => ok(t::time(Clock::Monotonic).map_err(named("time"))?),
                // A clock the enum cannot name: through the raw import, checked.
                c => ok(Error::check(unsafe { t::abi::time(c as i32) }).map_err(named("time"))?),
            },
            "input_chunks" => {
                // The arguments again, read 3 bytes at a time from the host: their length.
                let mut buf = [0u8; 3];
                let (mut at, mut chunks) = (0, 0);
                loop {
                    let n = t::input_at(&mut buf, at).map_err(named("input_at"))?;
                    if n == 0 {
                        break;
                    }
                    at += n;
                    chunks += 1;
                }
                ok(Json::array([Json::from(at as u64), Json::from(chunks)]))
            }
            "last" => ok(self.last.clone()),
            "seen" => ok(Json::array(self.seen.iter().map(|&n| Json::from(n)))),
            "set_health" => {
                let h = match arg_int(a, 0)? {
                    0 => Health::Healthy,
                    1 => Health::Degraded,
                    _ => Health::Unhealthy,
                };
                self.health = (h, a.at(1).and_then(Json::as_str).map(str::to_string));
                ok(true)
            }
            "fail" => {
                // [code, message]: a failure with that code and message.
                Err(Error::from_code(arg_int(a, 0)? as i32).with(arg_str(a, 1)?))
            }
            "errors" => ok(Json::array(Error::ALL.iter().map(|e| {
                Json::array([Json::from(e.code()), Json::from(e.name())])
            }))),
            "json" => {
                // Any JSON value: parsed and written back, with its text as a string.
                let text = args.text().map_err(named("json"))?;
                let v = Json::parse(text).map_err(named("json"))?;
                ok(Json::object([("value", v.clone()), ("text", Json::from(v.to_string()))]))
            }
            _ => Err(Error::NotFound.with(format!("no export {}", export))),
        }
    }
}

impl Component for Probe {
    fn start() -> Self {
        Probe { seen: [0; 7], last: Json::Null, pending: None, health: (Health::Healthy, None) }
    }

    fn handle(&mut self, msg: Message) -> Result<Flow, Error> {
        self.record(&msg);
        if msg.kind == Kind::Ask {
            if msg.tag == 7 {
                self.pending = Some(msg.corr());
            } else {
                let q = msg.payload().json().unwrap_or(Json::Null);
                msg.reply(&Json::object([("probe", q)]))?;
            }
        }
        Ok(Flow::Continue)
    }

    fn invoke(&mut self, export: &str, args: Payload) -> Result<Payload, Failure> {
        if export == "borsh" {
            // Borsh (u32 a, string s, vec<u16> v, option<bool> b) ->
            // Borsh (u64 a + sum(v), string s reversed, bool b or false, bytes of s).
            let (a, s, v, b): (u32, String, Vec<u16>, Option<bool>) =
                args.borsh().map_err(named("borsh"))?;
            let sum = a as u64 + v.iter().map(|&x| x as u64).sum::<u64>();
            let rev: String = s.chars().rev().collect();
            let out = (sum, rev, b.unwrap_or(false), s.into_bytes());
            return Ok(Payload(borsh::to_payload(&out)));
        }
        let a = if args.is_empty() { Json::Null } else { args.json().unwrap_or(Json::Null) };
        self.call(export, &a, &args)
    }

    fn health(&mut self) -> (Health, Option<String>) {
        self.health.clone()
    }

    fn cleanup(&mut self) {
        troupe_guest::log_info!("rust_probe cleanup after {} messages", self.seen[0]);
    }
}

troupe_guest::component!(Probe,
    invoke: ["self_id", "lookup", "send", "send_name", "send_wait", "send_raw", "ask",
             "ask_async", "reply_later", "publish", "subscribe", "unsubscribe", "send_after",
             "cancel_timer", "monitor", "demonitor", "spawn", "log", "time", "input_chunks", "last",
             "seen",
             "set_health", "fail", "errors", "json", "borsh"],
    health, cleanup);
