/*
 * tests/component/sdk_test_helper.h: what the tests of the guest SDKs share
 * (test_rust_sdk.c drives the Rust SDK, test_as_sdk.c the AssemblyScript one): invoke
 * helpers that fail with what came back, the probe world and the tests that drive every
 * SDK call through a language's probe (rust_probe, as_probe: the same exports, the same
 * answers), and the conformance table -- the same calls to the C examples and their
 * Rust and AssemblyScript twins, which must give identical statuses and results.
 * Included by one test file each; `sdk` names the language under test (set in main).
 */
#ifndef TROUPE_TESTS_COMPONENT_SDK_TEST_HELPER_H
#define TROUPE_TESTS_COMPONENT_SDK_TEST_HELPER_H

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "comp_util.h"
#include "troupe/error.h"

/* The language under test: its modules and what its probe logs. */
typedef struct {
  const char *probe;        /* the probe module: every SDK call behind an export */
  const char *echo;         /* its echo, spawned by the probe too */
  const char *silent;       /* a module that never answers an ask */
  const char *cleanup_line; /* what the probe's _cleanup logs */
} sdk_lang;

static const sdk_lang *sdk;

/* Invokes fn with JSON args and expects success: the result's JSON text (malloc'd). */
static inline char *ok_call(cu_host *c, troupe_component_id id, const char *fn, const char *json) {
  char *out = NULL;
  int rc = cu_invoke(c, id, fn, json, &out);
  if (rc)
    fail_msg("%s(%s): %d %s", fn, json ? json : "", rc, out);
  return out;
}

/* Expects fn to succeed with exactly `want`. */
static inline void expect(cu_host *c, troupe_component_id id, const char *fn, const char *json,
                   const char *want) {
  char *out = ok_call(c, id, fn, json);
  if (strcmp(out, want) != 0)
    fail_msg("%s(%s): got %s, want %s", fn, json ? json : "", out, want);
  free(out);
}

/* Expects fn to fail with `code` and a message containing `text`. */
static inline void expect_err(cu_host *c, troupe_component_id id, const char *fn, const char *json,
                       int code, const char *text) {
  char *out = NULL;
  int rc = cu_invoke(c, id, fn, json, &out);
  if (rc != code || !strstr(out, text))
    fail_msg("%s(%s): got %d '%s', want %d '%s'", fn, json ? json : "", rc, out, code, text);
  free(out);
}

static inline long long int_call(cu_host *c, troupe_component_id id, const char *fn, const char *json) {
  char *out = ok_call(c, id, fn, json);
  long long v = strtoll(out, NULL, 10);
  free(out);
  return v;
}

/* Does fn's result contain a and b (b may be NULL)? */
static inline bool result_has(cu_host *c, troupe_component_id id, const char *fn, const char *a,
                       const char *b) {
  char *out = NULL;
  bool yes = cu_invoke(c, id, fn, NULL, &out) == 0 && strstr(out, a) && (!b || strstr(out, b));
  free(out);
  return yes;
}

static inline troupe_component_id spawn_caps(cu_host *c, const char *name, const char *module,
                                      troupe_component_caps caps) {
  troupe_component_spec s = cu_spec(name, module);
  s.caps = caps;
  troupe_component_id id = cu_spawn(c, &s);
  assert_true(id != 0);
  return id;
}

#define LIST(...) ((troupe_pattern_list){(const char *[]){__VA_ARGS__},                      \
                                         sizeof((const char *[]){__VA_ARGS__}) / sizeof(char *)})
static const troupe_component_caps no_caps;

/* ---- every SDK call, through the language's probe ------------------------------------ */

typedef struct {
  cu_host c;
  troupe_component_id probe, sprobe, echo, secho, silent, victim;
} world;

static int world_new(void **state) {
  world *w = calloc(1, sizeof *w);
  if (cu_host_new(&w->c, 2))
    return -1;
  w->echo = spawn_caps(&w->c, "echo", "echo", no_caps);
  w->secho = spawn_caps(&w->c, "secho", sdk->echo, no_caps);
  w->silent = spawn_caps(&w->c, "silent", sdk->silent, no_caps); /* never answers */
  w->victim = spawn_caps(&w->c, "victim", "crasher", no_caps);
  spawn_caps(&w->c, "secret", "echo", no_caps);
  w->probe = spawn_caps(&w->c, "probe", "probe", (troupe_component_caps){.send_to = LIST("sprobe")});
  troupe_component_spec s = cu_spec("sprobe", sdk->probe);
  s.caps = (troupe_component_caps){
      .send_to = LIST("echo", "secho", "probe", "silent", "victim", "child"),
      .publish = LIST("t.>"),
      .subscribe = LIST("t.>"),
      .spawn = LIST(sdk->echo, "echo"),
  };
  s.health_interval_ms = 10;
  w->sprobe = cu_spawn(&w->c, &s);
  *state = w;
  return w->sprobe ? 0 : -1;
}

static int world_free(void **state) {
  world *w = *state;
  cu_host_free(&w->c);
  free(w);
  return 0;
}

static void messaging_reaches_c_and_errors_are_named(void **state) {
  world *w = *state;
  cu_host *c = &w->c;
  char buf[128];
  assert_int_equal(int_call(c, w->sprobe, "self_id", NULL), (long long)w->sprobe);
  snprintf(buf, sizeof buf, "%llu", (unsigned long long)w->echo);
  expect(c, w->sprobe, "lookup", "[\"echo\"]", buf);
  expect_err(c, w->sprobe, "lookup", "[\"nobody\"]", TROUPE_E_NOTFOUND, "lookup: NOTFOUND");

  /* send, send_name, send_wait: the C probe sees payload, tag and sender */
  expect(c, w->sprobe, "send", "[\"probe\", 5, {\"x\":1}]", "true");
  assert_true(CU_WAIT(result_has(c, w->probe, "last_payload", "{\"x\":1}", NULL)));
  assert_int_equal(int_call(c, w->probe, "last_tag_value", NULL), 5);
  assert_int_equal(int_call(c, w->probe, "last_from_id", NULL), (long long)w->sprobe);
  expect(c, w->sprobe, "send_name", "[\"probe\", 6, \"y\"]", "true");
  assert_true(CU_WAIT(result_has(c, w->probe, "last_payload", "\"y\"", NULL)));
  assert_int_equal(int_call(c, w->probe, "last_tag_value", NULL), 6);
  expect(c, w->sprobe, "send_wait", "[\"probe\", 8, [1,2], 1000]", "true");
  assert_true(CU_WAIT(result_has(c, w->probe, "last_payload", "[1,2]", NULL)));

  /* errors: the host's code as the status, its name in the SDK's enum */
  expect_err(c, w->sprobe, "send_name", "[\"secret\", 0, 1]", TROUPE_E_DENIED,
             "send_name: DENIED");
  expect_err(c, w->sprobe, "send_raw", "[\"probe\", [128, 4, 123]]", TROUPE_E_MALFORMED_PAYLOAD,
             "send: MALFORMED_PAYLOAD");
  expect_err(c, w->sprobe, "fail", "[-80, \"not for you\"]", TROUPE_E_DENIED, "not for you");
  expect_err(c, w->sprobe, "time", "[7]", TROUPE_E_INVAL, "time: INVAL");
  /* every code the SDK lists, with its name, is the host's */
  char *all = ok_call(c, w->sprobe, "errors", NULL);
  int count = 0;
  for (const char *p = strchr(all + 1, '['); p; p = strchr(p + 1, '[')) {
    int code;
    char name[64];
    assert_int_equal(sscanf(p, "[%d,\"%63[^\"]\"]", &code, name), 2);
    assert_string_equal(troupe_err_name(code) + strlen("TROUPE_E_"), name);
    count++;
  }
  assert_true(count >= 30);
  free(all);
}

/* A host ask of tag 7 from another thread: the probe keeps it for reply_later. */
typedef struct {
  troupe_host *h;
  troupe_component_id to;
  int rc;
  uint8_t *reply;
  size_t len;
} later_ask;

static void *ask_thread(void *arg) {
  later_ask *a = arg;
  size_t n;
  uint8_t *q = cu_json("\"wait for me\"", &n);
  a->rc = troupe_host_ask(a->h, a->to, 7, q, n, TROUPE_SEC(20), &a->reply, &a->len, NULL);
  free(q);
  return NULL;
}

static void asks_now_later_and_async(void **state) {
  world *w = *state;
  cu_host *c = &w->c;
  /* ask suspends the instance until the SDK's echo, C or the host answers */
  expect(c, w->sprobe, "ask", "[\"secho\", {\"q\":1}, 5000]", "{\"q\":1}");
  expect(c, w->sprobe, "ask", "[\"echo\", \"c\", 5000]", "\"c\"");
  expect_err(c, w->sprobe, "ask", "[\"silent\", 1, 100]", TROUPE_E_TIMEOUT, "ask: TIMEOUT");
  expect_err(c, w->sprobe, "ask", "[\"secret\", 1, 100]", TROUPE_E_DENIED, "ask: DENIED");
  /* a long answer is read in full (reply_read behind the SDK's ask) */
  char big[1200] = "[\"secho\", \"";
  size_t at = strlen(big);
  memset(big + at, 'x', 1000);
  strcpy(big + at + 1000, "\", 5000]");
  char *out = ok_call(c, w->sprobe, "ask", big);
  assert_int_equal(strlen(out), 1002);
  free(out);
  /* asked by a C component: answered at once */
  expect(c, w->probe, "ask_to", "\"sprobe\"", "{\"probe\":\"question\"}");

  /* ask_async: the REPLY (or ASK_FAILED) comes later as a message, with its corr */
  long long corr = int_call(c, w->sprobe, "ask_async", "[\"secho\", \"async\", 5000]");
  assert_true(corr > 0);
  char want[64];
  snprintf(want, sizeof want, "\"corr\":%lld,", corr);
  assert_true(CU_WAIT(result_has(c, w->sprobe, "last", "\"kind\":\"REPLY\"", want)));
  assert_true(result_has(c, w->sprobe, "last", "\"payload\":\"async\"", NULL));
  corr = int_call(c, w->sprobe, "ask_async", "[\"silent\", 1, 50]");
  snprintf(want, sizeof want, "\"corr\":%lld,", corr);
  assert_true(CU_WAIT(result_has(c, w->sprobe, "last", "\"kind\":\"ASK_FAILED\"", want)));
  assert_true(result_has(c, w->sprobe, "last", "\"error\":\"TIMEOUT\"", NULL));

  /* reply later: the ask waits at the host while the probe does other things */
  later_ask a = {.h = c->h, .to = w->sprobe};
  pthread_t t;
  assert_int_equal(pthread_create(&t, NULL, ask_thread, &a), 0);
  assert_true(CU_WAIT(result_has(c, w->sprobe, "last", "\"payload\":\"wait for me\"", NULL)));
  assert_int_equal(int_call(c, w->sprobe, "self_id", NULL), (long long)w->sprobe);
  char *ignored = ok_call(c, w->sprobe, "reply_later", "[\"done\"]");
  free(ignored);
  pthread_join(t, NULL);
  assert_int_equal(a.rc, 0);
  assert_int_equal(a.len, 2 + strlen("\"done\""));
  assert_memory_equal(a.reply + 2, "\"done\"", a.len - 2);
  free(a.reply);
  expect_err(c, w->sprobe, "reply_later", "[1]", TROUPE_E_STATE, "no ask is waiting");
}

static void publish_subscribe_and_timers(void **state) {
  world *w = *state;
  cu_host *c = &w->c;
  long long sub = int_call(c, w->sprobe, "subscribe", "[\"t.>\"]");
  assert_true(sub > 0);
  size_t n;
  uint8_t *p = cu_json("{\"from\":\"host\"}", &n);
  assert_int_equal(troupe_host_publish(c->h, "t.host", p, n, NULL), 0);
  free(p);
  assert_true(CU_WAIT(result_has(c, w->sprobe, "last", "\"kind\":\"PUBLICATION\"",
                                 "\"subject\":\"t.host\"")));
  assert_true(result_has(c, w->sprobe, "last", "\"payload\":{\"from\":\"host\"}", "\"from\":0,"));
  /* its own publication comes back to it, from itself */
  expect(c, w->sprobe, "publish", "[\"t.self\", [\"me\"]]", "true");
  char want[64];
  snprintf(want, sizeof want, "\"from\":%llu,", (unsigned long long)w->sprobe);
  assert_true(CU_WAIT(result_has(c, w->sprobe, "last", "\"subject\":\"t.self\"", want)));
  snprintf(want, sizeof want, "[%lld]", sub);
  expect(c, w->sprobe, "unsubscribe", want, "true");
  expect_err(c, w->sprobe, "unsubscribe", want, TROUPE_E_NOTFOUND, "unsubscribe: NOTFOUND");
  expect_err(c, w->sprobe, "subscribe", "[\"other.>\"]", TROUPE_E_DENIED, "subscribe: DENIED");
  expect_err(c, w->sprobe, "publish", "[\"other.x\", 1]", TROUPE_E_DENIED, "publish: DENIED");

  /* send_after: a TIMER to self with tag, payload and the timer id as corr */
  long long timer = int_call(c, w->sprobe, "send_after", "[10, 4, \"tick\"]");
  assert_true(timer > 0);
  snprintf(want, sizeof want, "\"corr\":%lld,", timer);
  assert_true(CU_WAIT(result_has(c, w->sprobe, "last", "\"kind\":\"TIMER\"", want)));
  assert_true(result_has(c, w->sprobe, "last", "\"tag\":4,", "\"payload\":\"tick\""));
  /* cancel_timer: true once, false after */
  timer = int_call(c, w->sprobe, "send_after", "[600000, 1, null]");
  snprintf(want, sizeof want, "[%lld]", timer);
  expect(c, w->sprobe, "cancel_timer", want, "true");
  expect(c, w->sprobe, "cancel_timer", want, "false");
}

static void monitor_spawn_log_time_health(void **state) {
  world *w = *state;
  cu_host *c = &w->c;
  /* monitor: the crash of the monitored arrives as DOWN (crash = 3) with the ref; a
   * demonitored ref is gone (NOTFOUND) */
  char want[64];
  long long ref = int_call(c, w->sprobe, "monitor", "[\"victim\"]");
  assert_true(ref > 0);
  snprintf(want, sizeof want, "[%lld]", ref);
  expect(c, w->sprobe, "demonitor", want, "true");
  expect_err(c, w->sprobe, "demonitor", want, TROUPE_E_NOTFOUND, "demonitor: NOTFOUND");
  ref = int_call(c, w->sprobe, "monitor", "[\"victim\"]");
  char *out = NULL;
  assert_true(cu_invoke(c, w->victim, "crash", NULL, &out) != 0);
  free(out);
  snprintf(want, sizeof want, "\"corr\":%lld,", ref);
  assert_true(CU_WAIT(result_has(c, w->sprobe, "last", "\"kind\":\"DOWN\"", want)));
  snprintf(want, sizeof want, "\"from\":%llu,", (unsigned long long)w->victim);
  assert_true(result_has(c, w->sprobe, "last", "\"down\":3,", want));
  assert_true(CU_WAIT(cu_state(c, w->victim) == TROUPE_COMPONENT_READY));
  expect_err(c, w->sprobe, "monitor", "[\"secret\"]", TROUPE_E_DENIED, "monitor: DENIED");

  /* spawn: within the spawn capability, a Ready component under the host */
  char spawn_args[96];
  snprintf(spawn_args, sizeof spawn_args, "[\"child\", \"%s\"]", sdk->echo);
  long long child = int_call(c, w->sprobe, "spawn", spawn_args);
  troupe_component_id found = 0;
  assert_int_equal(troupe_host_lookup(c->h, "child", &found), 0);
  assert_int_equal(found, (troupe_component_id)child);
  expect(c, w->sprobe, "ask", "[\"child\", \"spawned\", 5000]", "\"spawned\"");
  expect_err(c, w->sprobe, "spawn", "[\"other\", \"counter\"]", TROUPE_E_DENIED, "spawn: DENIED");
  expect_err(c, w->sprobe, "spawn", "[\"child\", \"echo\"]", TROUPE_E_NAME_TAKEN,
             "spawn: NAME_TAKEN");

  /* input_at: the arguments read 3 bytes at a time ("12345678", quotes and prefix: 12) */
  expect(c, w->sprobe, "input_chunks", "\"12345678\"", "[12,4]");

  /* log and time */
  expect(c, w->sprobe, "log", "[2, \"hello from the sdk\"]", "true");
  assert_true(CU_WAIT(cu_log_has(&c->log, "component_log", "hello from the sdk")));
  long long wall = int_call(c, w->sprobe, "time", "[0]");
  long long now = (long long)time(NULL) * 1000000000ll;
  assert_true(wall > now - 60000000000ll && wall < now + 60000000000ll);
  long long m1 = int_call(c, w->sprobe, "time", "[1]"), m2 = int_call(c, w->sprobe, "time", "[1]");
  assert_true(m1 > 0 && m2 >= m1);

  /* _health: what the component says, with its reason, polled by the host */
  expect(c, w->sprobe, "set_health", "[1, \"tired\"]", "true");
  troupe_component_info info;
  bool degraded = CU_WAIT(troupe_host_info(c->h, w->sprobe, &info, NULL) == 0 &&
                          (info.health == TROUPE_HEALTH_DEGRADED && info.health_reason &&
                                   strcmp(info.health_reason, "tired") == 0
                               ? (troupe_component_info_clear(&info), true)
                               : (troupe_component_info_clear(&info), false)));
  assert_true(degraded);

  /* _cleanup at an orderly stop */
  assert_int_equal(troupe_host_stop(c->h, w->sprobe, NULL), 0);
  assert_true(CU_WAIT(cu_log_has(&c->log, "component_log", sdk->cleanup_line)));
}

static void json_and_borsh_payloads(void **state) {
  world *w = *state;
  cu_host *c = &w->c;
  /* JSON: parsed (escapes, numbers, nesting) and written back, escaped */
  expect(c, w->sprobe, "json",
         "{\"s\":\"a\\\"b\\n\\u00e9\\ud83d\\ude00\",\"n\":[1,2.5,-300,true,null],\"o\":{}}",
         "{\"value\":{\"s\":\"a\\\"b\\né😀\",\"n\":[1,2.5,-300,true,null],\"o\":{}},"
         "\"text\":\"{\\\"s\\\":\\\"a\\\\\\\"b\\\\né😀\\\",\\\"n\\\":[1,2.5,-300,true,null],"
         "\\\"o\\\":{}}\"}");
  /* Borsh: (u32 10, "abc", vec<u16> [1, 2], Some(true)) ->
   *        (u64 13, "cba", true, bytes "abc") */
  static const uint8_t in[] = {0x81, 0x0e, 10, 0, 0, 0, 3, 0, 0, 0, 'a', 'b', 'c',
                               2, 0, 0, 0, 1, 0, 2, 0, 1, 1};
  static const uint8_t want[] = {0x81, 0x0e, 13, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 'c', 'b', 'a',
                                 1, 3, 0, 0, 0, 'a', 'b', 'c'};
  uint8_t *res = NULL;
  size_t rlen = 0;
  troupe_err err;
  assert_int_equal(troupe_host_invoke(c->h, w->sprobe, "borsh", in, sizeof in, TROUPE_SEC(20),
                                      &res, &rlen, &err), 0);
  assert_int_equal(rlen, sizeof want);
  assert_memory_equal(res, want, sizeof want);
  free(res);
  /* a short one is refused by the SDK's decoder, named */
  assert_int_equal(troupe_host_invoke(c->h, w->sprobe, "borsh", in, sizeof in - 3,
                                      TROUPE_SEC(20), &res, &rlen, &err),
                   TROUPE_E_MALFORMED_PAYLOAD);
  assert_non_null(strstr(err.msg, "borsh: MALFORMED_PAYLOAD"));
  free(res);
}

/* ---- conformance: the same table of calls, run by the C, Rust and AS components ----- */

/* A step: `fn` an invocable export, or "!send" (a MESSAGE of args), "!ask" (a host ask
 * of args), "!publish" (the host publishes args on "news.a"), "!wait FN" (invoke FN
 * until it returns `result`). The status and the result must be these, for every language. */
typedef struct {
  const char *fn, *args;
  int status;
  const char *result; /* JSON text; NULL: not compared (a failure's message) */
} step;

/* The languages of the table, in its column order; a scenario's module is NULL where
 * that language has no twin. */
#define SDK_LANGS 3
static const char *const sdk_lang_names[SDK_LANGS] = {"C", "Rust", "AssemblyScript"};

typedef struct {
  const char *modules[SDK_LANGS];
  troupe_component_caps caps;
  step steps[10];
} scenario;

static const scenario scenarios[] = {
    {{"echo", "rust_sdk_echo", "as_echo"}, {.send_to = {NULL, 0}},
     {{"echo", "\"hi\"", 0, "\"hi\""},
      {"echo", "{\"a\":[1,2.5,null]}", 0, "{\"a\":[1,2.5,null]}"},
      {"!ask", "[\"q\"]", 0, "[\"q\"]"},
      {"!send", "\"ignored\"", 0, NULL},
      {"echo", NULL, 0, ""}}},
    {{"counter", "rust_counter", "as_counter"}, {.send_to = {NULL, 0}},
     {{"!send", "1", 0, NULL},
      {"!send", "1", 0, NULL},
      {"!send", "1", 0, NULL},
      {"!wait get", NULL, 0, "{\"count\":3}"},
      {"!ask", "null", 0, "{\"count\":3}"},
      {"add", "5", 0, "{\"count\":8}"},
      {"add", "-10", 0, "{\"count\":-2}"},
      {"add", "\"five\"", TROUPE_E_INVAL, NULL},
      {"get", NULL, 0, "{\"count\":-2}"}}},
    {{"asker", "rust_asker", NULL}, {.send_to = {(const char *[]){"echo"}, 1}},
     {{"ask", "\"echo\"", 0, "{\"from\":\"asker\",\"n\":1}"},
      {"ask", NULL, 0, "{\"from\":\"asker\",\"n\":2}"},
      {"ask", "\"nobody\"", TROUPE_E_NOTFOUND, NULL},
      {"ask", "\"secret\"", TROUPE_E_DENIED, NULL},
      {"ask", "42", TROUPE_E_INVAL, NULL},
      {"ask", "\"echo\"", 0, "{\"from\":\"asker\",\"n\":4}"}}}, /* the DENIED one counted */
    {{"subscriber", "rust_subscriber", NULL}, {.subscribe = {(const char *[]){"news.>"}, 1}},
     {{"count", NULL, 0, "{\"count\":0,\"last\":\"\"}"},
      {"!publish", "{\"x\":1}", 0, NULL},
      {"!wait count", NULL, 0, "{\"count\":1,\"last\":\"news.a\"}"},
      {"!publish", "2", 0, NULL},
      {"!wait count", NULL, 0, "{\"count\":2,\"last\":\"news.a\"}"},
      {"!ask", "null", 0, "{\"count\":2,\"last\":\"news.a\"}"}}},
    {{"publisher", "rust_publisher", NULL}, {.publish = {(const char *[]){"news.>"}, 1}},
     {{"publish", "{\"x\":1}", 0, ""},
      {"start", "0", TROUPE_E_INVAL, NULL},
      {"start", "\"soon\"", TROUPE_E_INVAL, NULL},
      {"start", "5", 0, ""},
      {"stop", NULL, 0, ""},
      {"stop", NULL, 0, ""}}},
    {{"crasher", NULL, "as_crasher"}, {.send_to = {NULL, 0}},
     {{"!ask", "\"ping\"", 0, "\"pong\""},
      {"!ask", "\"count\"", 0, "{\"handled\":0}"},
      {"!ask", "\"what?\"", 0, "\"ask me ping\""},
      {"!ask", "7", 0, "\"ask me ping\""},
      {"crash", NULL, TROUPE_E_TRAP, NULL}}},
};

/* Runs one step against id: its status, and its result text in *out (malloc'd). */
static int run_step(cu_host *c, troupe_component_id id, const step *st, char **out) {
  *out = NULL;
  if (strcmp(st->fn, "!send") == 0)
    return cu_send_json(c, id, st->args);
  if (strcmp(st->fn, "!publish") == 0) {
    size_t n;
    uint8_t *p = cu_json(st->args, &n);
    int rc = troupe_host_publish(c->h, "news.a", p, n, NULL);
    free(p);
    return rc;
  }
  if (strcmp(st->fn, "!ask") == 0) {
    size_t n, rl;
    uint8_t *q = cu_json(st->args, &n), *reply = NULL;
    int rc = troupe_host_ask(c->h, id, 0, q, n, TROUPE_SEC(10), &reply, &rl, NULL);
    free(q);
    if (rc == 0)
      *out = rl >= 2 ? strndup((const char *)reply + 2, rl - 2) : strdup("");
    free(reply);
    return rc;
  }
  if (strncmp(st->fn, "!wait ", 6) == 0) {
    int rc = 0;
    CU_WAIT((free(*out), *out = NULL, rc = cu_invoke(c, id, st->fn + 6, st->args, out),
             rc == 0 && strcmp(*out, st->result) == 0));
    return rc;
  }
  return cu_invoke(c, id, st->fn, st->args, out);
}

/* Runs every scenario against each language's module (all of them when `only` is
 * -1, else that column and the C one) and compares: the statuses and the successful
 * results of a step are the same in every language that has the module. */
static void sdk_conformance(int only) {
  for (size_t i = 0; i < sizeof scenarios / sizeof scenarios[0]; i++) {
    const scenario *sc = &scenarios[i];
    char *results[SDK_LANGS][10] = {{0}};
    int status[SDK_LANGS][10];
    bool ran[SDK_LANGS] = {false};
    if (only >= 0 && !sc->modules[only])
      continue;
    for (int lang = 0; lang < SDK_LANGS; lang++) {
      if (!sc->modules[lang] || (only >= 0 && lang != 0 && lang != only))
        continue;
      ran[lang] = true;
      cu_host c;
      assert_int_equal(cu_host_new(&c, 2), 0);
      spawn_caps(&c, "echo", "echo", no_caps);
      spawn_caps(&c, "secret", "echo", no_caps);
      troupe_component_id id = spawn_caps(&c, "subject", sc->modules[lang], sc->caps);
      for (int k = 0; k < 10 && sc->steps[k].fn; k++) {
        const step *st = &sc->steps[k];
        status[lang][k] = run_step(&c, id, st, &results[lang][k]);
        if (status[lang][k] != st->status ||
            (st->result && (!results[lang][k] || strcmp(results[lang][k], st->result) != 0)))
          fail_msg("%s (%s) step %d %s(%s): got %d '%s', want %d '%s'", sc->modules[lang],
                   sdk_lang_names[lang], k, st->fn, st->args ? st->args : "",
                   status[lang][k], results[lang][k] ? results[lang][k] : "", st->status,
                   st->result ? st->result : "");
      }
      cu_host_free(&c);
    }
    for (int k = 0; k < 10 && sc->steps[k].fn; k++) {
      int first = -1;
      for (int lang = 0; lang < SDK_LANGS; lang++) {
        if (!ran[lang])
          continue;
        if (first < 0) {
          first = lang;
        } else {
          assert_int_equal(status[first][k], status[lang][k]);
          if (sc->steps[k].status == 0 && results[first][k])
            assert_string_equal(results[first][k], results[lang][k]);
        }
      }
      for (int lang = 0; lang < SDK_LANGS; lang++)
        free(results[lang][k]);
    }
  }
}

/* The probe tests, for a test file's main. */
#define SDK_PROBE_TESTS                                                                      \
  cmocka_unit_test_setup_teardown(messaging_reaches_c_and_errors_are_named, world_new,     \
                                  world_free),                                             \
      cmocka_unit_test_setup_teardown(asks_now_later_and_async, world_new, world_free),     \
      cmocka_unit_test_setup_teardown(publish_subscribe_and_timers, world_new, world_free), \
      cmocka_unit_test_setup_teardown(monitor_spawn_log_time_health, world_new, world_free), \
      cmocka_unit_test_setup_teardown(json_and_borsh_payloads, world_new, world_free)

#endif
