/*
 * probe: the component the component tests drive. Each invocable export exercises one
 * thing the host must enforce or provide (a limit, an import, a capability), taking a
 * JSON argument and answering with JSON, so a test reads like "invoke grow 10 -> -1".
 * handle-message counts MESSAGEs, remembers the last payload and answers an ASK with
 * the count; a MESSAGE whose payload is the JSON string "crash" traps, "stop" stops,
 * "spin" loops forever. It has the state hand-over pair of a hot upgrade (its message
 * count goes across; state_loads says how many upgrades handed a state over).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <wasi/api.h>

#include "troupe_guest.h"

static int64_t messages, asks, timers, downs, publications, replies, ask_failures;
static int64_t last_from, last_tag, last_status;
static uint8_t last[4096];
static int32_t last_len;
static char last_subject[256];
static int health = TROUPE_HEALTHY;
static volatile int sink;

static int spin_forever(void) {
  for (unsigned i = 0;; i++)
    sink = (int)i;
  return 0;
}

/* The environment can make the start slow, trap or exit (tests of the start path). */
TROUPE_INIT(probe_init) {
  const char *v = getenv("PROBE_START_SLEEP_MS");
  if (v) {
    long ms = atol(v);
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
  }
  if (getenv("PROBE_START_TRAP"))
    __builtin_trap();
  if (getenv("PROBE_START_SPIN"))
    spin_forever();
  if (getenv("PROBE_START_EXIT"))
    exit(atoi(getenv("PROBE_START_EXIT")));
  const char *sub = getenv("PROBE_SUBSCRIBE");
  if (sub)
    troupe_subscribe(sub);
}

static int64_t arg_int(void) {
  uint8_t buf[64];
  int64_t v = 0;
  int32_t n = troupe_input(buf, sizeof buf);
  if (n > 0)
    troupe_payload_int(buf, (size_t)n, &v);
  return v;
}

static int32_t arg_str(char *out, size_t cap) {
  uint8_t buf[512];
  int32_t n = troupe_input(buf, sizeof buf);
  if (n <= 0)
    return TROUPE_ERR_INVAL;
  return troupe_payload_string(buf, (size_t)n, out, cap);
}

static int32_t out_int(int64_t v) {
  char text[32];
  snprintf(text, sizeof text, "%lld", (long long)v);
  return troupe_output_json(text) < 0 ? TROUPE_ERR_NOMEM : 0;
}


TROUPE_HANDLE_MESSAGE(on_message) {
  last_from = from;
  last_tag = tag;
  switch (kind) {
  case TROUPE_KIND_MESSAGE: {
    messages++;
    last_len = troupe_input(last, sizeof last);
    const char *text;
    size_t tl;
    if (last_len > 0 && troupe_payload_json(last, (size_t)last_len, &text, &tl) == 0) {
      if (tl == 7 && memcmp(text, "\"crash\"", 7) == 0)
        __builtin_trap();
      if (tl == 6 && memcmp(text, "\"stop\"", 6) == 0)
        return TROUPE_STOP;
      if (tl == 6 && memcmp(text, "\"spin\"", 6) == 0)
        return spin_forever();
    }
    return TROUPE_CONTINUE;
  }
  case TROUPE_KIND_ASK: {
    asks++;
    uint8_t q[64];
    int32_t ql = troupe_input(q, sizeof q);
    if (ql == 9 && memcmp(q + 2, "\"crash\"", 7) == 0)
      __builtin_trap(); /* the asker must get an error, not silence */
    if (ql == 8 && memcmp(q + 2, "\"spin\"", 6) == 0)
      return spin_forever();
    char text[32];
    snprintf(text, sizeof text, "%lld", (long long)messages);
    troupe_reply_json(corr, text);
    return TROUPE_CONTINUE;
  }
  case TROUPE_KIND_TIMER:
    timers++;
    return TROUPE_CONTINUE;
  case TROUPE_KIND_DOWN:
    downs++;
    return TROUPE_CONTINUE;
  case TROUPE_KIND_PUBLICATION:
    publications++;
    troupe_subject(last_subject, sizeof last_subject);
    last_len = troupe_input(last, sizeof last);
    return TROUPE_CONTINUE;
  case TROUPE_KIND_REPLY:
    replies++;
    last_len = troupe_input(last, sizeof last);
    return TROUPE_CONTINUE;
  case TROUPE_KIND_ASK_FAILED:
    ask_failures++;
    last_status = tag;
    return TROUPE_CONTINUE;
  default:
    return TROUPE_CONTINUE;
  }
}

/* counters: [messages, asks, timers, downs, publications, replies, ask_failures] */
TROUPE_EXPORT(counters) {
  char text[200];
  snprintf(text, sizeof text, "[%lld,%lld,%lld,%lld,%lld,%lld,%lld]", (long long)messages,
           (long long)asks, (long long)timers, (long long)downs, (long long)publications,
           (long long)replies, (long long)ask_failures);
  return troupe_output_json(text) < 0 ? TROUPE_ERR_NOMEM : 0;
}

/* The state hand-over of a hot upgrade: the message count and how many upgrades handed
 * a state over so far. PROBE_SAVE_FAIL / PROBE_REFUSE_STATE make either half fail. */
static int64_t loads;
TROUPE_STATE_SAVE(probe_state_save) {
  if (getenv("PROBE_SAVE_FAIL"))
    return TROUPE_ERR_STATE;
  int64_t st[2] = {messages, loads};
  return troupe_output(st, sizeof st) < 0 ? TROUPE_ERR_NOMEM : 0;
}
TROUPE_STATE_LOAD(probe_state_load) {
  int64_t st[2];
  if (getenv("PROBE_REFUSE_STATE") || len != (int32_t)sizeof st ||
      troupe_input(st, sizeof st) != (int32_t)sizeof st)
    return TROUPE_ERR_INVAL;
  messages = st[0];
  loads = st[1] + 1;
  return 0;
}
TROUPE_EXPORT(state_loads) { return out_int(loads); }

/* The last payload received (MESSAGE, PUBLICATION or REPLY), as it came. */
TROUPE_EXPORT(last_payload) { return troupe_output(last, last_len > 0 ? (size_t)last_len : 0); }
TROUPE_EXPORT(last_from_id) { return out_int(last_from); }
TROUPE_EXPORT(last_tag_value) { return out_int(last_tag); }
TROUPE_EXPORT(last_subject_text) {
  char text[300];
  snprintf(text, sizeof text, "\"%s\"", last_subject);
  return troupe_output_json(text) < 0 ? TROUPE_ERR_NOMEM : 0;
}
TROUPE_EXPORT(self_id) { return out_int(troupe_self()); }

/* Limits. */
TROUPE_EXPORT(grow) { return out_int((int32_t)__builtin_wasm_memory_grow(0, (size_t)arg_int())); }
/* Recursion through a volatile pointer, so the compiler cannot turn it into a loop;
 * its frames live on the engine's stack only (nothing on the C shadow stack). */
static int recurse(int n);
static int (*volatile recurse_p)(int) = recurse;
static int recurse(int n) { return n <= 0 ? 0 : recurse_p(n - 1) + 1; }
TROUPE_EXPORT(deep) { return out_int(recurse((int)arg_int())); }
TROUPE_EXPORT(spin) { return spin_forever(); }
TROUPE_EXPORT(work) { /* a bounded loop: args iterations */
  int64_t n = arg_int();
  for (int64_t i = 0; i < n; i++)
    sink += (int)i;
  return out_int(n);
}
TROUPE_EXPORT(trap) { __builtin_trap(); }
TROUPE_EXPORT(big) { /* a result of args bytes (JSON string of x's) */
  int64_t n = arg_int();
  char *s = malloc((size_t)n + 3);
  if (!s)
    return TROUPE_ERR_NOMEM;
  s[0] = '"';
  memset(s + 1, 'x', (size_t)n);
  s[n + 1] = '"';
  s[n + 2] = 0;
  int32_t rc = troupe_output_json(s);
  free(s);
  return rc < 0 ? rc : 0;
}
TROUPE_EXPORT(fail) { /* a guest error with a message */
  troupe_output("no such thing", 13);
  return TROUPE_ERR_NOTFOUND;
}
TROUPE_EXPORT(bad_result) { /* a result that is not what its prefix says */
  return troupe_output("\x80\x04{oops", 7) < 0 ? TROUPE_ERR_NOMEM : 0;
}

/* Messaging: each returns the import's status (or the reply). */
TROUPE_EXPORT(send_to) {
  char name[130];
  if (arg_str(name, sizeof name) < 0)
    return TROUPE_ERR_INVAL;
  return out_int(troupe_send_name(name, 7, "\x80\x04\"hello\"", 9));
}
TROUPE_EXPORT(send_many) { /* ["name", n]: n sends with send_wait, returns how many went */
  uint8_t buf[256];
  int32_t n = troupe_input(buf, sizeof buf);
  const char *text;
  size_t tl;
  char name[130];
  long count = 0;
  if (n <= 0 || troupe_payload_json(buf, (size_t)n, &text, &tl))
    return TROUPE_ERR_INVAL;
  char tmp[256];
  memcpy(tmp, text, tl);
  tmp[tl] = 0;
  if (sscanf(tmp, "[\"%129[^\"]\",%ld]", name, &count) != 2)
    return TROUPE_ERR_INVAL;
  int64_t to = troupe_lookup(name);
  if (to < 0)
    return out_int(to);
  long sent = 0;
  for (long i = 0; i < count; i++) {
    char msg[32];
    int32_t ml = troupe_jsonf(msg, sizeof msg, "%ld", i);
    int32_t rc = troupe_abi_send_wait(to, 1, msg, ml, 10000);
    if (rc < 0)
      return out_int(rc);
    sent++;
  }
  return out_int(sent);
}
TROUPE_EXPORT(ask_to) {
  char name[130];
  if (arg_str(name, sizeof name) < 0)
    return TROUPE_ERR_INVAL;
  int64_t to = troupe_lookup(name);
  if (to < 0)
    return out_int(to);
  uint8_t reply[256];
  int32_t n = troupe_ask_json(to, 5, "\"question\"", reply, sizeof reply, 2000);
  if (n < 0)
    return out_int(n);
  return troupe_output(reply, (size_t)n);
}
TROUPE_EXPORT(ask_async_to) {
  char name[130];
  if (arg_str(name, sizeof name) < 0)
    return TROUPE_ERR_INVAL;
  int64_t to = troupe_lookup(name);
  if (to < 0)
    return out_int(to);
  return out_int(troupe_abi_ask_async(to, 5, "\x80\x04\"q\"", 5, 2000));
}
TROUPE_EXPORT(monitor_name) {
  char name[130];
  if (arg_str(name, sizeof name) < 0)
    return TROUPE_ERR_INVAL;
  int64_t to = troupe_lookup(name);
  return out_int(to < 0 ? to : troupe_abi_monitor(to));
}
TROUPE_EXPORT(publish_on) {
  char subject[200];
  if (arg_str(subject, sizeof subject) < 0)
    return TROUPE_ERR_INVAL;
  return out_int(troupe_publish_json(subject, "\"news\""));
}
TROUPE_EXPORT(subscribe_to) {
  char pattern[200];
  if (arg_str(pattern, sizeof pattern) < 0)
    return TROUPE_ERR_INVAL;
  return out_int(troupe_subscribe(pattern));
}
TROUPE_EXPORT(spawn_probe) { /* spawns another probe under the given name */
  char name[130];
  if (arg_str(name, sizeof name) < 0)
    return TROUPE_ERR_INVAL;
  return out_int(troupe_abi_spawn(name, (int32_t)strlen(name), "probe", 5));
}
TROUPE_EXPORT(timer) { return out_int(troupe_send_after(arg_int(), 9, NULL, 0)); }
TROUPE_EXPORT(sleep_ms) {
  int64_t ms = arg_int();
  struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000};
  int64_t t0 = troupe_time_ns(TROUPE_CLOCK_MONOTONIC);
  nanosleep(&ts, NULL);
  return out_int((troupe_time_ns(TROUPE_CLOCK_MONOTONIC) - t0) / 1000000);
}
TROUPE_EXPORT(empty_output) { return troupe_output(NULL, 0) < 0 ? TROUPE_ERR_INVAL : 0; }
TROUPE_EXPORT(print) { /* stdout through WASI: becomes a log line */
  printf("hello from probe\npartial");
  fflush(stdout);
  return 0;
}
TROUPE_EXPORT(set_health) {
  health = (int)arg_int();
  return 0;
}
TROUPE_HEALTH(probe_health) {
  if (health != TROUPE_HEALTHY)
    troupe_output("told to", 7);
  return health;
}
/* _cleanup does what PROBE_CLEANUP says: "log" (a log line), "spin", "trap", "wait". */
TROUPE_CLEANUP(probe_cleanup) {
  const char *what = getenv("PROBE_CLEANUP");
  if (!what)
    return;
  if (strcmp(what, "log") == 0)
    troupe_log(TROUPE_LEVEL_INFO, "cleaning up");
  else if (strcmp(what, "spin") == 0)
    spin_forever();
  else if (strcmp(what, "trap") == 0)
    __builtin_trap();
  else if (strcmp(what, "wait") == 0) {
    struct timespec ts = {.tv_sec = 10};
    nanosleep(&ts, NULL);
  }
}

TROUPE_EXPORT(bad_pointer) { /* an import given a range outside memory: a trap */
  return troupe_abi_send(1, 0, (const void *)(uintptr_t)0xfffffff0u, 64);
}

/* WASI environment and arguments, as the spec gave them. */
TROUPE_EXPORT(env_of) {
  char name[128], text[300];
  if (arg_str(name, sizeof name) < 0)
    return TROUPE_ERR_INVAL;
  const char *v = getenv(name);
  snprintf(text, sizeof text, v ? "\"%s\"" : "null", v);
  return troupe_output_json(text) < 0 ? TROUPE_ERR_NOMEM : 0;
}
TROUPE_EXPORT(arg_at) {
  __wasi_size_t argc = 0, size = 0;
  if (__wasi_args_sizes_get(&argc, &size))
    return TROUPE_ERR_INVAL;
  char **argv = malloc((argc + 1) * sizeof *argv), *buf = malloc(size + 1);
  int64_t i = arg_int();
  char text[300] = "null";
  if (argv && buf && __wasi_args_get((uint8_t **)argv, (uint8_t *)buf) == 0 && i >= 0 &&
      (__wasi_size_t)i < argc)
    snprintf(text, sizeof text, "\"%s\"", argv[i]);
  free(argv);
  free(buf);
  return troupe_output_json(text) < 0 ? TROUPE_ERR_NOMEM : 0;
}

/* unsubscribe: the id subscribe_to returned; an unknown id is NOTFOUND. */
TROUPE_EXPORT(unsubscribe_id) { return out_int(troupe_abi_unsubscribe(arg_int())); }
TROUPE_EXPORT(cancel) { return out_int(troupe_abi_cancel_timer(arg_int())); }
/* WASI random_get: 32 bytes, answered as how many distinct byte values came out. */
TROUPE_EXPORT(random_bytes) {
  uint8_t b[32];
  if (getentropy(b, sizeof b))
    return TROUPE_ERR_INTERNAL;
  int seen[256] = {0}, distinct = 0;
  for (size_t i = 0; i < sizeof b; i++)
    distinct += !seen[b[i]]++;
  return out_int(distinct);
}
