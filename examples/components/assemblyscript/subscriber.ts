// as_subscriber: examples/components/subscriber.c in AssemblyScript, the broker from the
// receiving side. It subscribes to "news.>" at the start of each incarnation (top-level
// code runs in _initialize; a subscription ends with the incarnation, so a restarted
// subscriber subscribes again), counts the PUBLICATIONs it receives and remembers the
// last subject. An ASK, or the invocable `count`, answers {"count":N,"last":"SUBJECT"}.
import { Component, Json, Kind, Message, Outcome, Payload, CONTINUE, errorName, logError,
         register, invoke, subscribe } from "troupe-guest";
export { handle_message } from "troupe-guest";

class Subscriber extends Component {
  received: i64 = 0;
  last: string = "";

  answer(): Payload {
    return Payload.json(Json.object().set("count", Json.int(this.received))
                                     .set("last", Json.str(this.last)));
  }

  handle(msg: Message): i32 {
    if (msg.kind == Kind.PUBLICATION) {
      this.received++;
      const s = msg.subject();
      if (s !== null) this.last = s;
    } else if (msg.kind == Kind.ASK) {
      msg.reply(this.answer());
    }
    return CONTINUE;
  }

  invoke(name: string, args: Payload): Outcome {
    return Outcome.ok(this.answer());
  }
}

register(new Subscriber());
const sub = subscribe("news.>");
if (sub < 0) // e.g. DENIED: no subscribe capability; the component still starts
  logError("subscribe news.>: " + errorName(<i32>sub));

export function count(len: i32): i32 { return invoke("count", len); }
