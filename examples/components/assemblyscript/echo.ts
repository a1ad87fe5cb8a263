// as_echo: examples/components/echo.c in AssemblyScript. An ASK is answered with its own
// payload; a MESSAGE is ignored (its payload is never read); the invocable `echo`
// returns its arguments.
import { Component, Kind, Level, Message, Outcome, Payload, CONTINUE, errorName, log,
         register, invoke } from "troupe-guest";
export { handle_message } from "troupe-guest";

class Echo extends Component {
  handle(msg: Message): i32 {
    if (msg.kind != Kind.ASK) return CONTINUE;
    const rc = msg.reply(msg.payload());
    // A reply can fail without it being our fault (the asker gave up: TIMEOUT).
    if (rc < 0) log(Level.WARN, "reply: " + errorName(rc));
    return CONTINUE;
  }

  invoke(name: string, args: Payload): Outcome {
    return Outcome.ok(args);
  }
}

register(new Echo());

export function echo(len: i32): i32 { return invoke("echo", len); }
