//! rust_publisher: the publisher component (examples/components/publisher.c) in Rust:
//! the broker from the publishing side, and timers. `publish` publishes its arguments
//! (any prefixed payload) on "news.flash"; `start` takes an interval in milliseconds
//! (an integer) and from then on a TIMER (send_after, re-armed at each tick) publishes
//! {"tick":N} on "news.tick"; `stop` cancels the timer. _cleanup cancels it too and says so in the log (an orderly stop runs it;
//! a crash does not).

use troupe_guest::prelude::*;
use troupe_guest::Timer;

const TICK: i32 = 1;

struct Publisher {
    timer: Option<Timer>,
    interval_ms: u64,
    ticks: i64,
}

impl Component for Publisher {
    fn start() -> Self {
        Publisher { timer: None, interval_ms: 0, ticks: 0 }
    }

    fn handle(&mut self, msg: Message) -> Result<Flow, Error> {
        // A stale tick of a cancelled timer, or not ours: ignored.
        if msg.kind == Kind::Timer && msg.tag == TICK && msg.timer() == self.timer {
            self.ticks += 1;
            let tick = Json::object([("tick", Json::from(self.ticks))]);
            if let Err(e) = troupe_guest::publish("news.tick", &tick) {
                troupe_guest::log_warn!("publish on news.tick: {}", e);
            }
            self.timer = Some(troupe_guest::send_after(self.interval_ms, TICK, &())?);
        }
        Ok(Flow::Continue)
    }

    fn invoke(&mut self, export: &str, args: Payload) -> Result<Payload, Failure> {
        match export {
            "publish" => {
                troupe_guest::publish("news.flash", &args)?;
                Ok(Payload::default())
            }
            "start" => {
                let ms = args.int().ok().filter(|&v| v > 0)
                    .ok_or_else(|| Error::Inval.with("start takes an interval in ms"))?;
                if let Some(t) = self.timer.take() {
                    troupe_guest::cancel_timer(t)?;
                }
                self.interval_ms = ms as u64;
                self.timer = Some(troupe_guest::send_after(self.interval_ms, TICK, &())?);
                Ok(Payload::default())
            }
            _ => {
                // stop
                if let Some(t) = self.timer.take() {
                    troupe_guest::cancel_timer(t)?;
                }
                Ok(Payload::default())
            }
        }
    }

    fn cleanup(&mut self) {
        if let Some(t) = self.timer.take() {
            let _ = troupe_guest::cancel_timer(t);
        }
        troupe_guest::log_info!("rust_publisher stopping after {} ticks", self.ticks);
    }
}

troupe_guest::component!(Publisher, invoke: ["publish", "start", "stop"], cleanup);
