/*
 * examples/demo/demo.c: `make run` -- the example components (examples/components/) as
 * one application: twelve components under the root supervisor of one host, shown step
 * by step with what is done, what is expected and what happened: invocations, messages
 * between components, publish/subscribe, a crash and its restart with no message lost,
 * a spinner preempted while the others answer, a capability refused and audited, a Rust
 * component talking to C ones, a health check that restarts, and an orderly stop.
 *
 * It uses only the public API (troupe/component.h, troupe/store.h, troupe/log.h), as an
 * embedder would, and doubles as a smoke test: every step checks its outcome, and the
 * first surprise ends the run with exit status 1 and a line saying what did not happen
 * (ctest runs it as component_demo). Waits are polls bounded by DEMO_WAIT_MS.
 *
 *   troupe-demo [--components DIR] [--audit FILE] [--workers N]
 *
 * The defaults are built in: the components the build made (build/components, a
 * directory store) and build/demo-audit.jsonl for the audit events (JSON lines).
 */
#include "demo.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef DEMO_COMPONENTS_DIR
#define DEMO_COMPONENTS_DIR "build/components"
#endif
#ifndef DEMO_AUDIT_FILE
#define DEMO_AUDIT_FILE "build/demo-audit.jsonl"
#endif

/* The cast: the id of each component, filled by step 0. */
typedef struct cast {
  troupe_component_id echo, counter, asker, publisher, sub_a, sub_b, crasher, spinner,
      sleeper, violator, rust_echo, healthy;
} cast;

#define LIST(a) ((troupe_pattern_list){(a), sizeof(a) / sizeof((a)[0])})

static troupe_component_spec spec(const char *name, const char *module) {
  troupe_component_spec s;
  memset(&s, 0, sizeof s);
  s.name = name;
  s.module = module;
  return s;
}

/* Is the text *outp what was expected? Print, compare, free it. A pointer, not the text:
 * a call `got_text(d, call(..., &out), &out, want)` reads it only after the call. */
static bool got_text(demo *d, int rc, char **outp, const char *want) {
  char *out = *outp;
  *outp = NULL;
  bool ok = rc == 0 && out && strcmp(out, want) == 0;
  if (rc)
    demo_got(d, false, "%s (%s)", out ? out : "?", troupe_err_name(rc));
  else
    demo_got(d, ok, "%s", out ? out : "(nothing)");
  free(out);
  return ok;
}

/* ---- 0. the cast ------------------------------------------------------------------- */
static bool step_cast(demo *d, cast *c) {
  demo_step(d, 0, "The cast: twelve components under the host's root supervisor",
            "Each is a WebAssembly module from the store, one supervised actor with its own "
            "instance;\n   spawn returns once it is Ready. Capabilities: only what is "
            "listed below.");
  static const char *const asker_to[] = {"echo", "counter", "rust_echo"};
  static const char *const news[] = {"news.>"};
  static const char *const echo_only[] = {"echo"};
  static const char *const counter_only[] = {"counter"};
  demo_note("asker may ask echo, counter, rust_echo; publisher may publish news.>;");
  demo_note("the subscribers may subscribe to news.>; rust_echo may ask echo; violator");
  demo_note("may send to counter only; healthy is health-checked every 100 ms.");

  troupe_component_spec s = spec("echo", "echo");
  if (!(c->echo = demo_spawn(d, &s)))
    return false;
  s = spec("counter", "counter");
  if (!(c->counter = demo_spawn(d, &s)))
    return false;
  s = spec("asker", "asker");
  s.caps.send_to = LIST(asker_to);
  if (!(c->asker = demo_spawn(d, &s)))
    return false;
  s = spec("publisher", "publisher");
  s.caps.publish = LIST(news);
  if (!(c->publisher = demo_spawn(d, &s)))
    return false;
  s = spec("subscriber-a", "subscriber");
  s.caps.subscribe = LIST(news);
  if (!(c->sub_a = demo_spawn(d, &s)))
    return false;
  s.name = "subscriber-b";
  if (!(c->sub_b = demo_spawn(d, &s)))
    return false;
  s = spec("crasher", "crasher");
  if (!(c->crasher = demo_spawn(d, &s)))
    return false;
  s = spec("spinner", "spinner");
  s.shutdown_ms = 1000; /* a bound on its stop in step 5 (then it would be killed) */
  if (!(c->spinner = demo_spawn(d, &s)))
    return false;
  s = spec("sleeper", "sleeper");
  if (!(c->sleeper = demo_spawn(d, &s)))
    return false;
  s = spec("violator", "violator");
  s.caps.send_to = LIST(counter_only);
  if (!(c->violator = demo_spawn(d, &s)))
    return false;
  s = spec("rust_echo", "rust_echo");
  s.caps.send_to = LIST(echo_only);
  if (!(c->rust_echo = demo_spawn(d, &s)))
    return false;
  s = spec("healthy", "healthy");
  s.health_interval_ms = 100;
  s.health_threshold = 3;
  if (!(c->healthy = demo_spawn(d, &s)))
    return false;

  demo_expect("12 components listed by the host, and 12 component_started audit events");
  troupe_component_id *ids = NULL;
  size_t n = 0;
  troupe_err err = {0};
  if (troupe_host_list(d->h, &ids, &n, &err))
    return demo_fail(d, "list: %s", err.msg);
  free(ids);
  size_t started = demo_audit_count(d, false, "\"event\":\"component_started\"", NULL);
  return demo_got(d, n == 12 && started == 12, "%zu components, %zu component_started events",
                  n, started);
}

/* ---- 1. invocations ------------------------------------------------------------------ */
static bool step_invoke(demo *d, cast *c) {
  demo_step(d, 1, "Invocations: the host calls a component's exported functions",
            "Arguments and results are payloads with a multicodec prefix (JSON here, "
            "CBOR once).");
  char *out = NULL;
  demo_do("invoke echo.echo(\"hello, troupe\")");
  demo_expect("\"hello, troupe\" (its argument back)");
  if (!got_text(d, demo_invoke(d, c->echo, "echo", "\"hello, troupe\"", &out), &out,
                "\"hello, troupe\""))
    return false;
  demo_do("invoke counter.get()");
  demo_expect("{\"count\":0}");
  if (!got_text(d, demo_invoke(d, c->counter, "get", NULL, &out), &out, "{\"count\":0}"))
    return false;
  demo_do("invoke counter.add(5)   (a JSON integer)");
  demo_expect("{\"count\":5}");
  if (!got_text(d, demo_invoke(d, c->counter, "add", "5", &out), &out, "{\"count\":5}"))
    return false;
  static const uint8_t cbor_two[] = {0x51, 0x02}; /* CBOR prefix, then the integer 2 */
  demo_do("invoke counter.add(2)   (CBOR: bytes 51 02)");
  demo_expect("{\"count\":7} (the state kept between calls)");
  return got_text(d, demo_invoke_raw(d, c->counter, "add", cbor_two, sizeof cbor_two, &out),
                  &out, "{\"count\":7}");
}

/* ---- 2. messages between components ------------------------------------------------ */
static bool step_messages(demo *d, cast *c) {
  demo_step(d, 2, "Messages between components: asker asks echo, then counter",
            "asker looks the target up by name and asks it; its instance is suspended "
            "until the answer\n   comes, without holding a worker thread.");
  char *out = NULL;
  demo_do("invoke asker.ask(\"echo\")   (asker asks echo {\"from\":\"asker\",\"n\":1})");
  demo_expect("{\"from\":\"asker\",\"n\":1} (echo's answer: the question itself)");
  if (!got_text(d, demo_invoke(d, c->asker, "ask", "\"echo\"", &out), &out,
                "{\"from\":\"asker\",\"n\":1}"))
    return false;
  demo_do("send counter 3 MESSAGEs from the host (each adds one)");
  for (int i = 0; i < 3; i++)
    if (demo_send(d, c->counter, 0, "\"tick\""))
      return false;
  demo_do("invoke asker.ask(\"counter\")   (counter answers an ASK with its count)");
  demo_expect("{\"count\":10} (7 from step 1, plus 3: state kept across messages)");
  return got_text(d, demo_invoke(d, c->asker, "ask", "\"counter\"", &out), &out,
                  "{\"count\":10}");
}

/* ---- 3. publish / subscribe ----------------------------------------------------------- */
typedef struct sub_want {
  troupe_component_id a, b;
  long long count; /* at least */
  const char *last;
  char seen[2][160];
} sub_want;

static bool sub_has(demo *d, troupe_component_id id, long long count, const char *last,
                    char *seen, size_t cap) {
  char *out = NULL;
  long long n = -1;
  char subject[64] = "";
  if (demo_invoke(d, id, "count", NULL, &out) == 0 &&
      sscanf(out, "{\"count\":%lld,\"last\":\"%63[^\"]\"}", &n, subject) == 2)
    snprintf(seen, cap, "%s", out);
  free(out);
  return n >= count && strcmp(subject, last) == 0;
}

static bool cond_subs(demo *d, void *arg) {
  sub_want *w = arg;
  bool a = sub_has(d, w->a, w->count, w->last, w->seen[0], sizeof w->seen[0]);
  bool b = sub_has(d, w->b, w->count, w->last, w->seen[1], sizeof w->seen[1]);
  return a && b;
}

static bool step_pubsub(demo *d, cast *c) {
  demo_step(d, 3, "Publish/subscribe: publisher publishes, two subscribers each count it",
            "Both subscribers subscribed to news.> when they started (in _initialize); the "
            "broker\n   delivers each publication to each of them.");
  char *out = NULL;
  for (int i = 1; i <= 3; i++) {
    char news[64];
    snprintf(news, sizeof news, "{\"headline\":\"troupe demo\",\"n\":%d}", i);
    demo_do("invoke publisher.publish(%s)   (on news.flash)", news);
    int rc = demo_invoke(d, c->publisher, "publish", news, &out);
    if (rc) {
      demo_fail(d, "publish: %s (%s)", out, troupe_err_name(rc));
      free(out);
      return false;
    }
    free(out);
  }
  sub_want w = {.a = c->sub_a, .b = c->sub_b, .count = 3, .last = "news.flash"};
  demo_expect("each subscriber: {\"count\":3,\"last\":\"news.flash\"}");
  bool ok = demo_wait(d, cond_subs, &w);
  if (!demo_got(d, ok && strcmp(w.seen[0], "{\"count\":3,\"last\":\"news.flash\"}") == 0 &&
                       strcmp(w.seen[1], w.seen[0]) == 0,
                "subscriber-a %s, subscriber-b %s", w.seen[0], w.seen[1]))
    return false;

  demo_do("invoke publisher.start(20)   (a timer: {\"tick\":N} on news.tick every 20 ms)");
  if (demo_invoke(d, c->publisher, "start", "20", &out)) {
    demo_fail(d, "start: %s", out);
    free(out);
    return false;
  }
  free(out);
  w.count = 6;
  w.last = "news.tick";
  demo_expect("each subscriber hears at least 3 ticks: count >= 6, last news.tick");
  ok = demo_wait(d, cond_subs, &w);
  int rc = demo_invoke(d, c->publisher, "stop", NULL, &out);
  free(out);
  if (!demo_got(d, ok, "subscriber-a %s, subscriber-b %s", w.seen[0], w.seen[1]))
    return false;
  demo_do("invoke publisher.stop()   (cancels the timer)");
  return demo_got(d, rc == 0, "%s", rc ? troupe_err_name(rc) : "stopped");
}

/* ---- 4. a crash and its restart ----------------------------------------------------- */
#define CRASH_FOLLOWERS 100

typedef struct handled_want {
  troupe_component_id id;
  long long handled;
} handled_want;

static bool cond_handled(demo *d, void *arg) {
  handled_want *w = arg;
  char *out = NULL;
  w->handled = -1;
  if (demo_ask(d, w->id, "\"count\"", &out) == 0)
    sscanf(out, "{\"handled\":%lld}", &w->handled);
  free(out);
  return w->handled >= CRASH_FOLLOWERS;
}

static bool step_crash(demo *d, cast *c) {
  demo_step(d, 4, "A crash and its restart, with no queued message lost",
            "The supervisor restarts a crashed component under the same id and name; the "
            "messages\n   queued behind the fatal one go to the next incarnation.");
  char *out = NULL;
  troupe_component_info before, after;
  if (!demo_info(d, c->crasher, &before))
    return false;
  char name[64];
  demo_do("send crasher a MESSAGE with tag 0 (it traps: `unreachable`), then %d ordinary "
          "MESSAGEs right behind it", CRASH_FOLLOWERS);
  bool sent = demo_send(d, c->crasher, 0, "\"crash\"") == 0;
  for (int i = 0; sent && i < CRASH_FOLLOWERS; i++) {
    char m[32];
    snprintf(m, sizeof m, "{\"seq\":%d}", i);
    sent = demo_send(d, c->crasher, 4, m) == 0;
  }
  if (!sent) {
    troupe_component_info_clear(&before);
    return false;
  }
  demo_expect("restarted once and Ready again; the new incarnation handled all %d",
              CRASH_FOLLOWERS);
  demo_restart_arg ra = {c->crasher, before.restarts + 1};
  bool ok = demo_wait(d, demo_cond_restarted_ready, &ra);
  handled_want hw = {c->crasher, -1};
  ok = ok && demo_wait(d, cond_handled, &hw);
  if (!demo_info(d, c->crasher, &after)) {
    troupe_component_info_clear(&before);
    return false;
  }
  ok = demo_got(d, ok && hw.handled == CRASH_FOLLOWERS && after.restarts == before.restarts + 1,
                "restarts %u -> %u, state %s; asked \"count\": {\"handled\":%lld}",
                before.restarts, after.restarts, troupe_component_state_name(after.state),
                hw.handled);
  if (ok) {
    demo_expect("the same id and name, a new actor (incarnation); the last exit says why");
    ok = demo_got(d,
                  after.id == before.id && strcmp(after.name, before.name) == 0 &&
                      after.actor != before.actor && after.last_exit.kind == TROUPE_EXIT_CRASH,
                  "id %llu, name %s, actor %llx -> %llx, last exit %s: %s",
                  (unsigned long long)after.id, after.name, (unsigned long long)before.actor,
                  (unsigned long long)after.actor, troupe_exit_kind_name(after.last_exit.kind),
                  after.last_exit.message ? after.last_exit.message : "");
  }
  troupe_component_info_clear(&before);
  troupe_component_info_clear(&after);
  if (!ok)
    return false;
  demo_expect("in the audit: its log line, the crash, the restart");
  demo_audit_name(name, sizeof name, "crasher");
  size_t logs = demo_audit_count(d, true, "\"event\":\"component_log\"", name, NULL);
  size_t crashes =
      demo_audit_count(d, true, "\"event\":\"component_stopped\"", name, "\"reason\":\"crash\"",
                       NULL);
  size_t restarts =
      demo_audit_count(d, true, "\"event\":\"component_started\"", name, "\"restarts\":1",
                       NULL);
  if (!demo_got(d, logs == 1 && crashes == 1 && restarts == 1,
                "%zu component_log, %zu component_stopped (crash), %zu component_started "
                "(restarts 1)", logs, crashes, restarts))
    return false;
  demo_do("ask crasher \"ping\"");
  demo_expect("\"pong\"");
  return got_text(d, demo_ask(d, c->crasher, "\"ping\"", &out), &out, "\"pong\"");
}

/* ---- 5. a spinner preempted --------------------------------------------------------- */
#define ECHO_ASKS 20

typedef struct sleeper_call {
  demo *d;
  troupe_component_id id;
  int rc;
  char *out;
} sleeper_call;

static void *sleeper_thread(void *arg) {
  sleeper_call *s = arg;
  s->rc = demo_invoke(s->d, s->id, "sleep", "300", &s->out);
  return NULL;
}

typedef struct fuel_want {
  troupe_component_id id;
  uint64_t above;
  uint64_t now;
} fuel_want;

static bool cond_fuel(demo *d, void *arg) {
  fuel_want *w = arg;
  troupe_component_info info;
  if (troupe_host_info(d->h, w->id, &info, NULL))
    return false;
  w->now = info.fuel_used;
  troupe_component_info_clear(&info);
  return w->now > w->above;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static bool echo_asks(demo *d, cast *c, double ms[ECHO_ASKS]) {
  for (int i = 0; i < ECHO_ASKS; i++) {
    char q[32], *out = NULL;
    snprintf(q, sizeof q, "{\"k\":%d}", i);
    uint64_t t0 = troupe_clock_mono_ns();
    int rc = demo_ask(d, c->echo, q, &out);
    ms[i] = demo_ms_since(t0);
    bool ok = rc == 0 && strcmp(out, q) == 0;
    if (!ok)
      demo_got(d, false, "ask %d of echo: %s (%s)", i, out ? out : "?", troupe_err_name(rc));
    free(out);
    if (!ok)
      return false;
  }
  return true;
}

static bool step_spinner(demo *d, cast *c) {
  demo_step(d, 5, "A spinner preempted while the others keep answering",
            "A component runs in slices of fuel; between slices its worker thread runs "
            "the others,\n   so an endless loop costs a share of the CPU, never the host.");
  char *out = NULL, name[64];
  demo_do("ask spinner (it answers \"idle\" while not spinning)");
  demo_expect("\"idle\"");
  if (!got_text(d, demo_ask(d, c->spinner, "\"are you there?\"", &out), &out, "\"idle\""))
    return false;
  troupe_component_info info;
  if (!demo_info(d, c->spinner, &info))
    return false;
  fuel_want fw = {c->spinner, info.fuel_used + 10 * info.limits.fuel_slice, 0};
  troupe_component_info_clear(&info);
  demo_do("send spinner a MESSAGE: it loops forever (no fuel limit per message)");
  if (demo_send(d, c->spinner, 0, NULL))
    return false;
  demo_expect("it spins: its fuel used grows past 10 slices");
  bool spins = demo_wait(d, cond_fuel, &fw); /* before the arguments below read fw */
  if (!demo_got(d, spins, "fuel used %llu", (unsigned long long)fw.now))
    return false;

  demo_do("meanwhile: sleeper.sleep(300) in a thread, and %d asks of echo one after the other",
          ECHO_ASKS);
  sleeper_call sc = {d, c->sleeper, 0, NULL};
  pthread_t t;
  bool threaded = pthread_create(&t, NULL, sleeper_thread, &sc) == 0;
  if (!threaded)
    return demo_fail(d, "cannot start a thread for the sleeper");
  double ms[ECHO_ASKS];
  uint64_t t0 = troupe_clock_mono_ns();
  bool asked = echo_asks(d, c, ms);
  double asks_ms = demo_ms_since(t0);
  pthread_join(t, NULL);
  double sleep_ms = demo_ms_since(t0);
  if (!asked) {
    free(sc.out);
    return false;
  }
  qsort(ms, ECHO_ASKS, sizeof ms[0], cmp_double);
  demo_expect("every ask answered with its own payload while the spinner spins");
  demo_got(d, true, "%d answers in %.1f ms: latency min %.2f ms, median %.2f ms, max %.2f ms",
           ECHO_ASKS, asks_ms, ms[0], ms[ECHO_ASKS / 2], ms[ECHO_ASKS - 1]);
  long long slept = -1;
  if (sc.rc == 0)
    sscanf(sc.out, "{\"slept_ms\":%lld}", &slept);
  demo_expect("the sleeper's WASI sleep suspended it, not a worker: {\"slept_ms\":300} or so");
  bool ok = demo_got(d, sc.rc == 0 && slept >= 300, "%s (%s; the call took %.0f ms)",
                     sc.out ? sc.out : "?", troupe_err_name(sc.rc), sleep_ms);
  free(sc.out);
  if (!ok)
    return false;

  uint64_t before = fw.above = fw.now;
  demo_expect("the spinner still spinning: fuel used still growing");
  spins = demo_wait(d, cond_fuel, &fw);
  if (!demo_got(d, spins, "fuel used %llu (%llu more while the others ran)",
                (unsigned long long)fw.now, (unsigned long long)(fw.now - before)))
    return false;

  demo_do("stop spinner (troupe_host_stop: the loop is interrupted between two slices)");
  troupe_err err = {0};
  t0 = troupe_clock_mono_ns();
  if (troupe_host_stop(d->h, c->spinner, &err))
    return demo_fail(d, "stop spinner: %s", err.msg);
  double stop_ms = demo_ms_since(t0);
  troupe_component_id gone = 0;
  demo_expect("gone for good: its name no longer found, a component_stopped audit event,");
  demo_note("within its shutdown time of 1000 ms (past it, it would have been killed)");
  demo_audit_name(name, sizeof name, "spinner");
  size_t stopped = demo_audit_count(d, true, "\"event\":\"component_stopped\"", name, NULL);
  int lrc = troupe_host_lookup(d->h, "spinner", &gone);
  c->spinner = 0;
  return demo_got(d, lrc == TROUPE_E_NOTFOUND && stopped == 1,
                  "stopped in %.0f ms; lookup \"spinner\": %s", stop_ms, troupe_err_name(lrc));
}

/* ---- 6. capabilities ---------------------------------------------------------------- */
static bool step_caps(demo *d, cast *c) {
  demo_step(d, 6, "A capability violation refused, and audited",
            "violator may send to counter and nothing else: no other component, no "
            "publication.");
  char *out = NULL, name[64];
  demo_do("invoke violator.trespass(\"counter\")   (send to counter, publish on "
          "secret.plans)");
  demo_expect("the send allowed (0), the publication DENIED");
  char want[160];
  snprintf(want, sizeof want,
           "{\"send\":0,\"send_error\":\"OK\",\"publish\":%d,\"publish_error\":\"DENIED\"}",
           TROUPE_E_DENIED);
  int rc = demo_invoke(d, c->violator, "trespass", "\"counter\"", &out);
  if (!got_text(d, rc, &out, want))
    return false;
  demo_do("invoke violator.trespass(\"echo\")   (send to echo: outside its capabilities)");
  demo_expect("both DENIED");
  snprintf(want, sizeof want,
           "{\"send\":%d,\"send_error\":\"DENIED\",\"publish\":%d,\"publish_error\":"
           "\"DENIED\"}",
           TROUPE_E_DENIED, TROUPE_E_DENIED);
  rc = demo_invoke(d, c->violator, "trespass", "\"echo\"", &out);
  if (!got_text(d, rc, &out, want))
    return false;
  demo_expect("three capability_denied audit events: publish secret.plans (twice), send echo");
  demo_audit_name(name, sizeof name, "violator");
  size_t pub = demo_audit_count(d, true, "\"event\":\"capability_denied\"", name,
                                "\"action\":\"publish\"", "\"target\":\"secret.plans\"", NULL);
  size_t send = demo_audit_count(d, true, "\"event\":\"capability_denied\"", name,
                                 "\"action\":\"send\"", "\"target\":\"echo\"", NULL);
  size_t all = demo_audit_count(d, false, "\"event\":\"capability_denied\"", NULL);
  return demo_got(d, pub == 2 && send == 1 && all == 3,
                  "%zu publish denied, %zu send denied, %zu in all", pub, send, all);
}

/* ---- 7. Rust and C ------------------------------------------------------------------- */
static bool step_rust(demo *d, cast *c) {
  demo_step(d, 7, "The Rust component answering the C ones",
            "rust_echo is built by rustc with no SDK: the ABI is plain WebAssembly imports "
            "and exports.");
  char *out = NULL;
  demo_do("ask rust_echo \"hi\" from the host");
  demo_expect("{\"rust\":\"hi\"}");
  if (!got_text(d, demo_ask(d, c->rust_echo, "\"hi\"", &out), &out, "{\"rust\":\"hi\"}"))
    return false;
  demo_do("invoke asker.ask(\"rust_echo\")   (C asks Rust)");
  demo_expect("{\"rust\":{\"from\":\"asker\",\"n\":3}}");
  if (!got_text(d, demo_invoke(d, c->asker, "ask", "\"rust_echo\"", &out), &out,
                "{\"rust\":{\"from\":\"asker\",\"n\":3}}"))
    return false;
  demo_do("invoke rust_echo.relay(\"hello from C, via Rust\")   (Rust asks the C echo)");
  demo_expect("\"hello from C, via Rust\" (echo's answer, relayed)");
  return got_text(d, demo_invoke(d, c->rust_echo, "relay", "\"hello from C, via Rust\"", &out),
                  &out, "\"hello from C, via Rust\"");
}

/* ---- 8. health ----------------------------------------------------------------------- */
typedef struct health_want {
  troupe_component_id id;
  troupe_health health;
  char reason[128];
} health_want;

static bool cond_health(demo *d, void *arg) {
  health_want *w = arg;
  troupe_component_info info;
  if (troupe_host_info(d->h, w->id, &info, NULL))
    return false;
  bool ok = info.health == w->health;
  /* Quoted, with bytes that are not printable ASCII as \xNN. */
  const char *r = info.health_reason ? info.health_reason : "";
  size_t k = 0;
  w->reason[k++] = '"';
  for (; *r && k + 6 < sizeof w->reason; r++)
    k += (size_t)snprintf(w->reason + k, sizeof w->reason - k,
                          *r >= 0x20 && *r < 0x7f ? "%c" : "\\x%02x", (unsigned char)*r);
  w->reason[k++] = '"';
  w->reason[k] = '\0';
  troupe_component_info_clear(&info);
  return ok;
}

static bool step_health(demo *d, cast *c) {
  demo_step(d, 8, "Health: a component that reports itself unhealthy is restarted",
            "The supervisor polls healthy's _health every 100 ms; 3 unhealthy answers in a "
            "row restart it.");
  char *out = NULL, name[64];
  health_want hw = {c->healthy, TROUPE_HEALTH_HEALTHY, ""};
  demo_do("wait for its first health check");
  demo_expect("healthy");
  bool ok = demo_wait(d, cond_health, &hw);
  if (!demo_got(d, ok, "%s", troupe_health_name(hw.health)))
    return false;
  demo_do("invoke healthy.set(1)   (degraded: reported, not acted upon)");
  int rc = demo_invoke(d, c->healthy, "set", "1", &out);
  free(out);
  hw.health = TROUPE_HEALTH_DEGRADED;
  demo_expect("degraded, reason \"told to be degraded\"");
  /* strstr, not strcmp: the host shows the reason as the component output it, multicodec
   * prefix and JSON quotes included (a component-layer bug, reported); a fixed host
   * shows the bare text, and the check holds either way. */
  ok = rc == 0 && demo_wait(d, cond_health, &hw) && strstr(hw.reason, "told to be degraded");
  if (!demo_got(d, ok, "%s, reason %s", troupe_health_name(hw.health), hw.reason))
    return false;
  troupe_component_info info;
  if (!demo_info(d, c->healthy, &info))
    return false;
  uint32_t restarts = info.restarts;
  troupe_component_info_clear(&info);
  demo_do("invoke healthy.set(2)   (unhealthy)");
  rc = demo_invoke(d, c->healthy, "set", "2", &out);
  free(out);
  demo_restart_arg ra = {c->healthy, restarts + 1};
  demo_expect("restarted by its supervisor after 3 checks; the new instance is healthy");
  ok = rc == 0 && demo_wait(d, demo_cond_restarted_ready, &ra);
  hw.health = TROUPE_HEALTH_HEALTHY;
  ok = ok && demo_wait(d, cond_health, &hw);
  if (!demo_info(d, c->healthy, &info))
    return false;
  ok = demo_got(d, ok && info.restarts == restarts + 1,
                "restarts %u -> %u, state %s, health %s; last exit %s%s%s", restarts,
                info.restarts, troupe_component_state_name(info.state),
                troupe_health_name(info.health), troupe_exit_kind_name(info.last_exit.kind),
                info.last_exit.message && info.last_exit.message[0] ? ": " : "",
                info.last_exit.message ? info.last_exit.message : "");
  troupe_component_info_clear(&info);
  if (!ok)
    return false;
  demo_audit_name(name, sizeof name, "healthy");
  demo_expect("in the audit: the stop and the start of the next incarnation");
  size_t stopped = demo_audit_count(d, true, "\"event\":\"component_stopped\"", name, NULL);
  size_t started = demo_audit_count(d, true, "\"event\":\"component_started\"", name,
                                    "\"restarts\":1", NULL);
  return demo_got(d, stopped == 1 && started == 1, "%zu component_stopped, %zu restart",
                  stopped, started);
}

/* ---- 9. an orderly stop ---------------------------------------------------------------- */
static bool step_stop(demo *d, cast *c) {
  demo_step(d, 9, "An orderly stop",
            "Stopping a component runs its _cleanup; freeing the host stops the rest, newest "
            "first.");
  char name[64];
  demo_do("stop publisher (its _cleanup cancels its timer and logs how many ticks it sent)");
  troupe_err err = {0};
  if (troupe_host_stop(d->h, c->publisher, &err))
    return demo_fail(d, "stop publisher: %s", err.msg);
  c->publisher = 0;
  demo_expect("its cleanup log line, then component_stopped");
  demo_audit_name(name, sizeof name, "publisher");
  size_t logs = demo_audit_count(d, true, "\"event\":\"component_log\"", name,
                                 "publisher stopping after", NULL);
  size_t stopped = demo_audit_count(d, true, "\"event\":\"component_stopped\"", name, NULL);
  if (!demo_got(d, logs == 1 && stopped == 1, "%zu cleanup line, %zu component_stopped", logs,
                stopped))
    return false;

  demo_do("free the host (troupe_host_free): every other component stopped, then the runtime");
  size_t from = demo_audit_lines(d);
  uint64_t t0 = troupe_clock_mono_ns();
  troupe_host_free(d->h);
  d->h = NULL;
  double ms = demo_ms_since(t0);
  static const char want[] = "healthy rust_echo violator sleeper crasher subscriber-b "
                             "subscriber-a asker counter echo";
  demo_expect("component_stopped (shutdown) for the other 10, the newest first:");
  demo_note("%s", want);
  char order[512], shut[512];
  size_t n = demo_audit_names(d, from, "\"event\":\"component_stopped\"", order, sizeof order);
  size_t shutdowns = demo_audit_names(d, from, "\"reason\":\"shutdown\"", shut, sizeof shut);
  return demo_got(d, n == 10 && shutdowns == 10 && strcmp(order, want) == 0,
                  "%s (%zu events, %zu of them shutdown; in %.0f ms)", order, n, shutdowns, ms);
}

/* ---- the program ------------------------------------------------------------------------ */
static int usage(FILE *f, int rc) {
  fprintf(f,
          "usage: troupe-demo [--components DIR] [--audit FILE] [--workers N]\n"
          "  --components DIR  the components' folder (default %s)\n"
          "  --audit FILE      audit events as JSON lines, rewritten (default %s)\n"
          "  --workers N       the host's worker threads (default 1: every component shares "
          "one)\n",
          DEMO_COMPONENTS_DIR, DEMO_AUDIT_FILE);
  return rc;
}

static bool setup(demo *d) {
  troupe_err err = {0};
  FILE *f = fopen(d->audit, "w"); /* a fresh file: the checks count its lines */
  if (!f) {
    fprintf(stderr, "troupe-demo: cannot write the audit file %s\n", d->audit);
    return false;
  }
  fclose(f);
  if (!(d->log = troupe_logger_file(d->audit, TROUPE_LOG_DEBUG, &err))) {
    fprintf(stderr, "troupe-demo: audit file %s: %s\n", d->audit, err.msg);
    return false;
  }
  if (troupe_store_dir_new(d->components, &d->store, &err)) {
    fprintf(stderr, "troupe-demo: component store %s: %s (build them with `make build`)\n",
            d->components, err.msg);
    return false;
  }
  troupe_host_config cfg;
  troupe_host_config_init(&cfg);
  cfg.workers = d->workers;
  cfg.store = d->store;
  cfg.log = d->log;
  if (troupe_host_new(&cfg, &d->h, &err)) {
    fprintf(stderr, "troupe-demo: host: %s\n", err.msg);
    return false;
  }
  return true;
}

int main(int argc, char **argv) {
  demo d;
  memset(&d, 0, sizeof d);
  d.components = DEMO_COMPONENTS_DIR;
  d.audit = DEMO_AUDIT_FILE;
  d.workers = 1;
  for (int i = 1; i < argc; i++) {
    bool more = i + 1 < argc;
    if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
      return usage(stdout, 0);
    if (!strcmp(argv[i], "--components") && more)
      d.components = argv[++i];
    else if (!strcmp(argv[i], "--audit") && more)
      d.audit = argv[++i];
    else if (!strcmp(argv[i], "--workers") && more && atoi(argv[i + 1]) > 0)
      d.workers = (unsigned)atoi(argv[++i]);
    else
      return usage(stderr, 2);
  }
  setvbuf(stdout, NULL, _IOLBF, 0);
  printf("Troupe demo: the example components as one application, in one host\n"
         "   components  %s (a directory store: NAME.wasm)\n"
         "   audit log   %s (JSON lines: every lifecycle and audit event)\n"
         "   host        %u worker thread%s, one root supervisor (one_for_one)\n",
         d.components, d.audit, d.workers, d.workers == 1 ? "" : "s");
  if (!setup(&d)) {
    troupe_host_free(d.h);
    troupe_store_free(d.store);
    troupe_logger_free(d.log);
    return 1;
  }

  cast c;
  memset(&c, 0, sizeof c);
  bool (*const steps[])(demo *, cast *) = {step_cast,  step_invoke, step_messages,
                                           step_pubsub, step_crash, step_spinner,
                                           step_caps,  step_rust,   step_health,
                                           step_stop};
  bool ok = true;
  for (size_t i = 0; ok && i < sizeof steps / sizeof steps[0]; i++)
    ok = steps[i](&d, &c);
  troupe_host_free(d.h); /* NULL after step 9; otherwise an early end still stops all */
  troupe_store_free(d.store);
  troupe_logger_free(d.log);
  if (!ok) {
    printf("\ndemo: FAILED at step %d: %s\n   (the audit events are in %s)\n", d.step,
           d.failure[0] ? d.failure : "see above", d.audit);
    fprintf(stderr, "troupe-demo: FAILED at step %d: %s\n", d.step,
            d.failure[0] ? d.failure : "see above");
    return 1;
  }
  printf("\ndemo: ok -- every step happened as expected (audit events in %s)\n", d.audit);
  return 0;
}
