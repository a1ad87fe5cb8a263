// as_crasher: examples/components/crasher.c in AssemblyScript, for supervision tests
// and mixed-language demos. A MESSAGE fails by its tag: 0 traps (an `unreachable`), 1
// returns a negative code (INVAL: a crash with that code, no trap), 2 stops normally
// (STOP), 3 fails an assert (AssemblyScript's abort: logged, then a trap). The invocable
// `crash` traps. Any other tag is an ordinary message, counted; an ASK "ping" is answered
// "pong", an ASK "count" {"handled":N} (this incarnation's count), any other ASK
// "ask me ping".
import { Component, Err, Json, Kind, Level, Message, Outcome, Payload, CONTINUE, STOP,
         log, register, invoke } from "troupe-guest";
export { handle_message } from "troupe-guest";

class Crasher extends Component {
  handled: i64 = 0;

  handle(msg: Message): i32 {
    if (msg.kind == Kind.ASK) {
      const q = msg.payload().string();
      let answer = Json.str("ask me ping");
      if (q.ok && q.value == "ping") answer = Json.str("pong");
      else if (q.ok && q.value == "count") answer = Json.object().set("handled", Json.int(this.handled));
      msg.reply(Payload.json(answer));
      return CONTINUE;
    }
    if (msg.kind != Kind.MESSAGE) return CONTINUE;
    switch (msg.tag) {
      case 0:
        log(Level.INFO, "crasher: trapping");
        unreachable();
      case 1:
        return Err.INVAL;
      case 2:
        return STOP;
      case 3:
        assert(msg.tag != 3, "crasher: asked to fail an assert");
    }
    this.handled++;
    return CONTINUE;
  }

  invoke(name: string, args: Payload): Outcome {
    unreachable();
    return Outcome.none();
  }
}

register(new Crasher());

export function crash(len: i32): i32 { return invoke("crash", len); }
