// tests/component/sdk/guest_run.mjs DIR: runs the example components of DIR (built
// .wasm files) against a stand-in host written here, so the guest side -- the SDK's
// wrappers and each example's behaviour -- is checked before the real host
// (src/component/) can run them. The stand-in follows docs/ABI.md at the level of one
// call: it serves the `troupe` imports and a few WASI calls, checks that every payload a
// guest hands over carries a multicodec prefix and is valid JSON when it says JSON, runs
// an ask by calling the target's handle-message in place (no suspension: that is the
// real host's job), and queues sends and publications until the test delivers them.
// What it cannot show -- scheduling, suspension, limits, capabilities -- is the host's
// own test suite's. Prints one line per check and "N passed, N failed".
import fs from 'node:fs';
import path from 'node:path';
import assert from 'node:assert/strict';

const dir = process.argv[2];
const KIND = { MESSAGE: 0, ASK: 1, REPLY: 2, ASK_FAILED: 3, DOWN: 4, TIMER: 5, PUBLICATION: 6 };
const E = { INVAL: -2, NOTFOUND: -5, MALFORMED_PAYLOAD: -26, UNKNOWN_CODEC: -25, DENIED: -80 };
const te = new TextEncoder(), td = new TextDecoder();
const json = (text) => Uint8Array.from([0x80, 0x04, ...te.encode(text)]);
const text = (payload) => {
  assert.ok(payload.length >= 2 && payload[0] === 0x80 && payload[1] === 0x04, 'a JSON payload');
  return td.decode(payload.subarray(2));
};

class Exit extends Error {
  constructor(code) { super(`proc_exit(${code})`); this.code = code; }
}

// A payload crossing to another party: empty, or prefixed and valid for its prefix.
function check_payload(p) {
  if (p.length === 0) return 0;
  if (p[0] === 0x51) return 0; // CBOR: the host's codec validates it; here, the prefix
  if (p[0] === 0x80 && p[1] === 0x04) {
    try { JSON.parse(td.decode(p.subarray(2))); return 0; } catch { return E.MALFORMED_PAYLOAD; }
  }
  return E.UNKNOWN_CODEC;
}

class Host {
  constructor() {
    this.comps = new Map(); // id -> component
    this.byName = new Map();
    this.nextId = 1n;
    this.nextCorr = 1n;
    this.queue = []; // sends and publications not yet delivered
    this.published = [];
    this.denied = new Set(); // names and subjects a guest may not reach
    this.logs = [];
  }

  // A component in JavaScript (a stand-in party), answering asks with fn(question).
  fake(name, fn) {
    const c = { id: this.nextId++, name, fake: fn };
    this.comps.set(c.id, c);
    this.byName.set(name, c);
    return c;
  }

  async spawn(name, file) {
    const c = { id: this.nextId++, name, input: new Uint8Array(0), output: null, subject: null,
                lastReply: null, replies: new Map(), subs: [], timers: new Map(), reads: 0 };
    const mem = () => new Uint8Array(c.instance.exports.memory.buffer);
    const bytes = (p, n) => mem().slice(p, p + n);
    const str = (p, n) => td.decode(bytes(p, n));
    const put = (p, cap, src, off) => {
      const n = Math.max(0, Math.min(cap, src.length - off));
      mem().set(src.subarray(off, off + n), p);
      return n;
    };
    const host = this;
    const troupe = {
      input_read(p, cap, off) { c.reads++; return put(p, cap, c.input, off); },
      input_subject(p, cap) {
        if (c.subject === null) return E.NOTFOUND;
        const s = te.encode(c.subject);
        put(p, cap, s, 0);
        return s.length;
      },
      output(p, n) { c.output = bytes(p, n); return 0; },
      self() { return c.id; },
      lookup(p, n) { const t = host.byName.get(str(p, n)); return t ? t.id : BigInt(E.NOTFOUND); },
      send(to, tag, p, n) { return host.send(c, host.comps.get(to), tag, bytes(p, n)); },
      send_name(np, nn, tag, p, n) {
        const name = str(np, nn);
        if (host.denied.has(name)) return E.DENIED;
        return host.send(c, host.byName.get(name), tag, bytes(p, n));
      },
      send_wait(to, tag, p, n) { return host.send(c, host.comps.get(to), tag, bytes(p, n)); },
      ask(to, tag, p, n, out, cap) {
        const q = bytes(p, n), rc = check_payload(q);
        if (rc) return rc;
        const t = host.comps.get(to);
        if (!t) return E.NOTFOUND;
        const r = host.ask(t, q, tag, c.id);
        if (typeof r === 'number') return r;
        c.lastReply = r;
        put(out, cap, r, 0);
        return r.length;
      },
      reply_read(p, cap, off) { return c.lastReply ? put(p, cap, c.lastReply, off) : 0; },
      ask_async() { return BigInt(E.INVAL); },
      reply(corr, p, n) {
        const r = bytes(p, n), rc = check_payload(r);
        if (rc) return rc;
        c.replies.set(corr, r);
        return 0;
      },
      publish(sp, sn, p, n) {
        const subject = str(sp, sn), m = bytes(p, n), rc = check_payload(m);
        if (rc) return rc;
        if (host.denied.has(subject)) return E.DENIED;
        host.published.push({ subject, payload: m, from: c.id });
        return 0;
      },
      subscribe(p, n) { c.subs.push(str(p, n)); return BigInt(c.subs.length); },
      unsubscribe() { return 0; },
      send_after(delay, tag, p, n) {
        const id = host.nextCorr++;
        c.timers.set(id, { delay, tag, payload: bytes(p, n) });
        return id;
      },
      cancel_timer(id) { return c.timers.delete(id) ? 1 : 0; },
      monitor() { return BigInt(E.INVAL); },
      demonitor() { return 0; },
      spawn() { return BigInt(E.INVAL); },
      log(level, p, n) { host.logs.push({ name, level, text: str(p, n) }); return 0; },
      time(clock) { return clock === 1 ? process.hrtime.bigint() : BigInt(Date.now()) * 1000000n; },
    };
    const view = () => new DataView(c.instance.exports.memory.buffer);
    const wasi = {
      fd_write(fd, iovs, n, nwritten) {
        let total = 0;
        for (let i = 0; i < n; i++) {
          const p = view().getUint32(iovs + 8 * i, true), l = view().getUint32(iovs + 8 * i + 4, true);
          host.logs.push({ name, level: fd, text: str(p, l) });
          total += l;
        }
        view().setUint32(nwritten, total, true);
        return 0;
      },
      fd_close() { return 8; },
      fd_seek() { return 8; },
      fd_fdstat_get() { return 8; },
      environ_get() { return 0; },
      environ_sizes_get(cp, sp) { view().setUint32(cp, 0, true); view().setUint32(sp, 0, true); return 0; },
      // One clock subscription (usleep): wait it out here, synchronously.
      poll_oneoff(subs, events, n, nevents) {
        assert.equal(n, 1);
        const timeout = view().getBigUint64(subs + 24, true);
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Number(timeout / 1000000n));
        new Uint8Array(view().buffer, events, 32).fill(0);
        view().setBigUint64(events, view().getBigUint64(subs, true), true);
        view().setUint8(events + 10, 0); // clock event
        view().setUint32(nevents, 1, true);
        return 0;
      },
      proc_exit(code) { throw new Exit(code); },
    };
    const mod = await WebAssembly.compile(fs.readFileSync(path.join(dir, file)));
    c.instance = await WebAssembly.instantiate(mod, { troupe, wasi_snapshot_preview1: wasi });
    c.exports = c.instance.exports;
    this.comps.set(c.id, c);
    this.byName.set(name, c);
    if (c.exports._initialize) c.exports._initialize();
    return c;
  }

  send(from, to, tag, m) {
    const rc = check_payload(m);
    if (rc) return rc;
    if (!to) return E.NOTFOUND;
    this.queue.push({ to, kind: KIND.MESSAGE, from: from.id, tag, corr: 0n, payload: m });
    return 0;
  }

  // handle-message with an input; returns what it returned.
  deliver(c, kind, payload = new Uint8Array(0), { from = 0n, tag = 0, corr = 0n, subject = null } = {}) {
    c.input = payload;
    c.subject = subject;
    try {
      return c.exports['handle-message'](kind, from, tag, corr, payload.length);
    } finally {
      c.subject = null;
    }
  }

  // An ASK: the reply's bytes, or a negative code when none came.
  ask(c, question, tag = 0, from = 0n) {
    if (c.fake) return c.fake(question);
    const corr = this.nextCorr++;
    this.deliver(c, KIND.ASK, question, { from, tag, corr });
    const r = c.replies.get(corr);
    c.replies.delete(corr);
    return r ?? -62;
  }

  // Invoke an export: { status, output }.
  invoke(c, fn, args = new Uint8Array(0)) {
    c.input = args;
    c.output = null;
    const status = c.exports[fn](args.length);
    const output = c.output;
    if (output) assert.equal(check_payload(output), 0, `${c.name}.${fn}: a valid result payload`);
    return { status, output };
  }

  drain() {
    while (this.queue.length) {
      const m = this.queue.shift();
      this.deliver(m.to, m.kind, m.payload, m);
    }
  }
}

// ---- the checks -----------------------------------------------------------------------
const checks = [];
const check = (name, fn) => checks.push({ name, fn });
const traps = (fn, what) => assert.throws(fn, (e) => e instanceof WebAssembly.RuntimeError &&
                                              (!what || e.message.includes(what)));

check('echo: an ask is answered with its payload, of any size', async () => {
  const h = new Host(), echo = await h.spawn('echo', 'echo.wasm');
  assert.deepEqual(h.ask(echo, json('"hi"')), json('"hi"'));
  const big = json(JSON.stringify('x'.repeat(200000)));
  assert.deepEqual(h.ask(echo, big), big);
  assert.deepEqual(h.ask(echo, new Uint8Array(0)), new Uint8Array(0));
});
check('echo: a message is not even read; invoke echo returns its arguments', async () => {
  const h = new Host(), echo = await h.spawn('echo', 'echo.wasm');
  echo.reads = 0;
  assert.equal(h.deliver(echo, KIND.MESSAGE, json('{"a":1}')), 0);
  assert.equal(echo.reads, 0);
  const r = h.invoke(echo, 'echo', json('[1,2,3]'));
  assert.equal(r.status, 0);
  assert.deepEqual(r.output, json('[1,2,3]'));
});
check('counter: messages count, ask/get answer {"count":N}, add takes JSON or CBOR', async () => {
  const h = new Host(), c = await h.spawn('counter', 'counter.wasm');
  for (let i = 0; i < 3; i++) h.deliver(c, KIND.MESSAGE, json('null'));
  assert.deepEqual(JSON.parse(text(h.ask(c, json('"?"')))), { count: 3 });
  assert.deepEqual(JSON.parse(text(h.invoke(c, 'add', json(' 5 ')).output)), { count: 8 });
  assert.deepEqual(JSON.parse(text(h.invoke(c, 'add', Uint8Array.of(0x51, 0x20)).output)), { count: 7 });
  const bad = h.invoke(c, 'add', json('"x"'));
  assert.equal(bad.status, E.INVAL);
  assert.match(text(bad.output), /integer/);
  assert.deepEqual(JSON.parse(text(h.invoke(c, 'get').output)), { count: 7 });
  // add reads into 32 bytes with troupe_input: 32 fit exactly, 33 are TOO_LARGE (INVAL)
  assert.equal(h.invoke(c, 'add', json(' '.repeat(29) + '1')).status, 0);
  assert.equal(h.invoke(c, 'add', json(' '.repeat(30) + '1')).status, E.INVAL);
  assert.deepEqual(JSON.parse(text(h.invoke(c, 'get').output)), { count: 8 });
});
check('publisher: publish forwards its arguments; start/timer/stop; _cleanup logs', async () => {
  const h = new Host(), p = await h.spawn('publisher', 'publisher.wasm');
  assert.equal(h.invoke(p, 'publish', json('{"headline":"x"}')).status, 0);
  assert.equal(h.published[0].subject, 'news.flash');
  assert.deepEqual(h.published[0].payload, json('{"headline":"x"}'));
  assert.equal(h.invoke(p, 'publish', Uint8Array.of(1, 2)).status, E.UNKNOWN_CODEC);
  assert.equal(h.invoke(p, 'start', json('50')).status, 0);
  const [[id, t]] = [...p.timers];
  assert.equal(t.delay, 50n);
  p.timers.delete(id);
  h.deliver(p, KIND.TIMER, t.payload, { from: p.id, tag: t.tag, corr: id });
  assert.equal(h.published[1].subject, 'news.tick');
  assert.deepEqual(JSON.parse(text(h.published[1].payload)), { tick: 1 });
  assert.equal(p.timers.size, 1); // re-armed
  h.deliver(p, KIND.TIMER, t.payload, { from: p.id, tag: t.tag, corr: id }); // stale: ignored
  assert.equal(h.published.length, 2);
  assert.equal(h.invoke(p, 'stop').status, 0);
  assert.equal(p.timers.size, 0);
  p.exports._cleanup();
  assert.match(h.logs.at(-1).text, /after 1 ticks/);
});
check('subscriber: subscribes to news.> at start, counts publications, knows the subject', async () => {
  const h = new Host(), s = await h.spawn('subscriber', 'subscriber.wasm');
  assert.deepEqual(s.subs, ['news.>']);
  h.deliver(s, KIND.PUBLICATION, json('1'), { subject: 'news.a' });
  h.deliver(s, KIND.PUBLICATION, json('2'), { subject: 'news.sports.b' });
  assert.deepEqual(JSON.parse(text(h.ask(s, json('0')))), { count: 2, last: 'news.sports.b' });
  assert.deepEqual(JSON.parse(text(h.invoke(s, 'count').output)), { count: 2, last: 'news.sports.b' });
});
check('crasher: ping/pong, ordinary messages counted, then each way to fail', async () => {
  const h = new Host();
  let c = await h.spawn('crasher', 'crasher.wasm');
  assert.deepEqual(h.ask(c, json('"ping"')), json('"pong"'));
  assert.deepEqual(h.ask(c, json('"other"')), json('"ask me ping"'));
  for (const tag of [4, 9, 4]) // ordinary messages: handled and counted
    assert.equal(h.deliver(c, KIND.MESSAGE, new Uint8Array(0), { tag }), 0);
  assert.deepEqual(h.ask(c, json('"count"')), json('{"handled":3}'));
  traps(() => h.deliver(c, KIND.MESSAGE, new Uint8Array(0), { tag: 0 }), 'unreachable');
  c = await h.spawn('crasher', 'crasher.wasm');
  assert.equal(h.deliver(c, KIND.MESSAGE, new Uint8Array(0), { tag: 1 }), E.INVAL);
  assert.equal(h.deliver(c, KIND.MESSAGE, new Uint8Array(0), { tag: 2 }), 1);
  assert.throws(() => h.deliver(c, KIND.MESSAGE, new Uint8Array(0), { tag: 3 }),
                (e) => e instanceof Exit && e.code === 3);
  c = await h.spawn('crasher', 'crasher.wasm');
  traps(() => h.invoke(c, 'crash'), 'unreachable');
});
check('spinner: answers "idle" when not spinning', async () => {
  const h = new Host(), s = await h.spawn('spinner', 'spinner.wasm');
  assert.deepEqual(h.ask(s, json('0')), json('"idle"'));
});
check('asker: asks echo by name (default and given), long replies, NOTFOUND', async () => {
  const h = new Host();
  await h.spawn('echo', 'echo.wasm');
  const a = await h.spawn('asker', 'asker.wasm');
  let r = h.invoke(a, 'ask');
  assert.equal(r.status, 0);
  assert.deepEqual(JSON.parse(text(r.output)), { from: 'asker', n: 1 });
  const long = json(JSON.stringify('y'.repeat(5000)));
  h.fake('big', () => long);
  r = h.invoke(a, 'ask', json('"big"'));
  assert.equal(r.status, 0);
  assert.deepEqual(r.output, long); // the rest read with reply_read
  r = h.invoke(a, 'ask', json('"nobody"'));
  assert.equal(r.status, E.NOTFOUND);
  assert.equal(text(r.output), '"lookup: NOTFOUND"');
  assert.equal(h.invoke(a, 'ask', json('42')).status, E.INVAL);
});
check('violator: reports DENIED for the send and the publish', async () => {
  const h = new Host();
  await h.spawn('echo', 'echo.wasm');
  const v = await h.spawn('violator', 'violator.wasm');
  h.denied.add('vault').add('secret.plans');
  h.fake('vault', () => json('0'));
  const r = h.invoke(v, 'trespass', json('"vault"'));
  assert.equal(r.status, 0);
  assert.deepEqual(JSON.parse(text(r.output)),
                   { send: -80, send_error: 'DENIED', publish: -80, publish_error: 'DENIED' });
  assert.match(h.logs.at(-1).text, /DENIED/);
});
check('sleeper: usleep goes through WASI poll_oneoff and is measured', async () => {
  const h = new Host(), s = await h.spawn('sleeper', 'sleeper.wasm');
  const r = h.invoke(s, 'sleep', json('30'));
  assert.equal(r.status, 0);
  assert.ok(JSON.parse(text(r.output)).slept_ms >= 30);
  assert.equal(h.invoke(s, 'sleep', json('-1')).status, E.INVAL);
});
check('healthy: _health reports what it was told, with a reason', async () => {
  const h = new Host(), c = await h.spawn('healthy', 'healthy.wasm');
  c.output = null;
  assert.equal(c.exports._health(), 0);
  assert.equal(c.output, null);
  assert.equal(h.invoke(c, 'set', json('1')).status, 0);
  assert.equal(c.exports._health(), 1);
  assert.equal(text(c.output), '"told to be degraded"');
  h.deliver(c, KIND.MESSAGE, Uint8Array.of(0x51, 0x02));
  assert.equal(c.exports._health(), 2);
  assert.equal(h.invoke(c, 'set', json('5')).status, E.INVAL);
});
check('rust_echo: wraps JSON asks; relay asks the C echo by name', async () => {
  const h = new Host();
  await h.spawn('echo', 'echo.wasm');
  const r = await h.spawn('rust_echo', 'rust_echo.wasm');
  assert.deepEqual(JSON.parse(text(h.ask(r, json('"hi"')))), { rust: 'hi' });
  assert.deepEqual(JSON.parse(text(h.ask(r, new Uint8Array(0)))), { rust: null });
  assert.deepEqual(h.ask(r, Uint8Array.of(0x51, 0x01)), Uint8Array.of(0x51, 0x01));
  assert.deepEqual(h.invoke(r, 'relay', json('[1,2]')), { status: 0, output: json('[1,2]') });
  assert.deepEqual(h.invoke(r, 'relay').output, json('"from rust"'));
  const long = json(JSON.stringify('z'.repeat(3000)));
  assert.deepEqual(h.invoke(r, 'relay', long).output, long);
});

let passed = 0, failed = 0;
for (const { name, fn } of checks) {
  try {
    await fn();
    passed++;
    console.log(`ok: ${name}`);
  } catch (e) {
    failed++;
    console.log(`FAIL: ${name}\n  ${(e.stack || e).toString().split('\n').slice(0, 4).join('\n  ')}`);
  }
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
