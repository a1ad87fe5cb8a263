// as_counter: examples/components/counter.c in AssemblyScript. A MESSAGE adds one (its
// payload is never read); an ASK is answered {"count":N}; the invocable `get` returns
// {"count":N} and `add` takes a JSON or CBOR integer and returns the new count. The count
// is the instance's: a restarted counter starts from 0, but a hot upgrade hands it over
// (_state_save / _state_load, a Borsh i64: the format of rust_counter's, so the count
// also goes across between the two languages).
import { BorshWriter, Component, Err, Json, Kind, Message, Outcome, Payload, Result,
         CONTINUE, ok, register, invoke } from "troupe-guest";
export { handle_message, _state_save, _state_load } from "troupe-guest";

class Counter extends Component {
  count: i64 = 0;

  state(): Payload { return Payload.json(Json.object().set("count", Json.int(this.count))); }

  handle(msg: Message): i32 {
    if (msg.kind == Kind.MESSAGE) this.count++;
    else if (msg.kind == Kind.ASK) msg.reply(this.state());
    return CONTINUE;
  }

  invoke(name: string, args: Payload): Outcome {
    if (name == "add") {
      const v = args.int();
      if (!v.ok) return Outcome.fail(Err.INVAL, "add takes one integer (JSON or CBOR)");
      this.count += v.value;
    }
    return Outcome.ok(this.state());
  }

  saveState(): Result<Payload> {
    return ok<Payload>(Payload.borsh(new BorshWriter().i64(this.count)));
  }

  loadState(state: Payload): i32 {
    const r = state.borsh();
    if (r === null) return Err.UNKNOWN_CODEC;
    const v = r.i64();
    const rc = r.done();
    if (rc == 0) this.count = v;
    return rc;
  }
}

register(new Counter());

export function get(len: i32): i32 { return invoke("get", len); }
export function add(len: i32): i32 { return invoke("add", len); }
