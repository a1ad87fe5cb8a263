/*
 * tests/component/test_trace.c: tracing, lite (docs/OBSERVE.md). Every message carries
 * its chain; each handler run is a span whose parent is the span that sent its message;
 * a sampled chain's spans are `span` log records. Checked by reading those records back
 * out of the host's log: a host's ask, an ask / a send / a publish from inside a
 * handler, a chain an embedder continues, the outcome of a trap, the sampling rate, and
 * the thread's trace left as it was after each call.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "comp_util.h"

/* One `span` record of the log (cu_log's "event k=v k=v" lines). */
typedef struct span {
  char trace[17], span[17], parent[17], name[64], handler[128], outcome[16];
} span;

static void field(const char *line, const char *key, char *out, size_t cap) {
  char pat[32];
  snprintf(pat, sizeof pat, " %s=", key);
  const char *p = strstr(line, pat);
  out[0] = '\0';
  if (!p)
    return;
  p += strlen(pat);
  /* values run to the next " key=" (a handler "publication news.x" has a space) */
  const char *end = p;
  while (*end && *end != '\n') {
    if (*end == ' ') {
      const char *q = end + 1;
      while (*q && *q != ' ' && *q != '=' && *q != '\n')
        q++;
      if (*q == '=')
        break;
    }
    end++;
  }
  size_t n = (size_t)(end - p) < cap - 1 ? (size_t)(end - p) : cap - 1;
  memcpy(out, p, n);
  out[n] = '\0';
}

/* Every span in the log so far (malloc'd), *n of them. */
static span *spans(cu_host *c, size_t *n) {
  pthread_mutex_lock(&c->log.lock);
  size_t cap = 16, k = 0;
  span *v = calloc(cap, sizeof *v);
  const char *p = c->log.text ? c->log.text : "";
  while (*p) {
    const char *e = strchr(p, '\n');
    size_t len = e ? (size_t)(e - p) : strlen(p);
    if (!strncmp(p, "span ", 5)) {
      char *line = strndup(p, len);
      if (k == cap)
        v = realloc(v, (cap *= 2) * sizeof *v);
      span *s = &v[k++];
      field(line, "trace", s->trace, sizeof s->trace);
      field(line, "span", s->span, sizeof s->span);
      field(line, "parent", s->parent, sizeof s->parent);
      field(line, "name", s->name, sizeof s->name);
      field(line, "handler", s->handler, sizeof s->handler);
      field(line, "outcome", s->outcome, sizeof s->outcome);
      free(line);
    }
    p += len + (e ? 1 : 0);
  }
  pthread_mutex_unlock(&c->log.lock);
  *n = k;
  return v;
}

static size_t count_spans(cu_host *c) {
  size_t n;
  free(spans(c, &n));
  return n;
}

static const span *find(const span *v, size_t n, const char *name, const char *handler) {
  for (size_t i = 0; i < n; i++)
    if (!strcmp(v[i].name, name) && !strcmp(v[i].handler, handler))
      return &v[i];
  return NULL;
}

static cu_host *host(double sample) {
  cu_host *c = calloc(1, sizeof *c);
  pthread_mutex_init(&c->log.lock, NULL);
  c->lg = troupe_logger_callback(cu_log_fn, &c->log, TROUPE_LOG_DEBUG);
  assert_int_equal(troupe_store_dir_new(TROUPE_COMPONENTS_DIR, &c->store, NULL), 0);
  troupe_host_config cfg;
  troupe_host_config_init(&cfg);
  cfg.workers = 2;
  cfg.store = c->store;
  cfg.log = c->lg;
  cfg.trace_sample = sample;
  troupe_err err;
  assert_int_equal(troupe_host_new(&cfg, &c->h, &err), 0);
  return c;
}

static void host_free(cu_host *c) {
  cu_host_free(c);
  free(c);
}

static troupe_component_id spawn(cu_host *c, const char *name, const char *module) {
  troupe_component_spec s = cu_spec(name, module);
  const char *all[] = {">"};
  s.caps.send_to = (troupe_pattern_list){all, 1};
  s.caps.publish = (troupe_pattern_list){all, 1};
  s.caps.subscribe = (troupe_pattern_list){all, 1};
  troupe_component_id id = cu_spawn(c, &s);
  assert_true(id != 0);
  return id;
}

static void ask_echo(cu_host *c, troupe_component_id echo) {
  size_t len;
  uint8_t *q = cu_json("1", &len), *r = NULL;
  size_t rl;
  assert_int_equal(troupe_host_ask(c->h, echo, 0, q, len, TROUPE_SEC(20), &r, &rl, NULL), 0);
  free(q);
  free(r);
}

static void no_trace_left(void) {
  troupe_trace t = troupe_trace_current();
  assert_true(t.id == 0 && t.parent == 0 && !t.sampled);
}

/* A host's ask starts a chain: one span, a root (no parent). */
static void test_host_ask_is_a_root_span(void **state) {
  (void)state;
  cu_host *c = host(1.0);
  troupe_component_id echo = spawn(c, "echo", "echo");
  ask_echo(c, echo);
  no_trace_left();
  assert_true(CU_WAIT(count_spans(c) == 1));
  size_t n;
  span *v = spans(c, &n);
  assert_string_equal(v[0].name, "echo");
  assert_string_equal(v[0].handler, "ask");
  assert_string_equal(v[0].parent, "");
  assert_string_equal(v[0].outcome, "ok");
  assert_int_equal(strlen(v[0].trace), 16);
  assert_int_equal(strlen(v[0].span), 16);
  free(v);
  host_free(c);
}

/* From inside a handler, an ask, a send and a publish each carry the handler's span as
 * their parent, in the same chain. */
static void test_chains_through_ask_send_publish(void **state) {
  (void)state;
  cu_host *c = host(1.0);
  troupe_component_id probe = spawn(c, "probe", "probe");
  spawn(c, "echo", "echo");
  spawn(c, "sub", "subscriber"); /* subscribes to news.> */
  struct {
    const char *fn, *arg, *handler, *callee, *callee_handler;
  } cases[] = {
      {"ask_to", "\"echo\"", "invoke ask_to", "echo", "ask"},
      {"send_to", "\"echo\"", "invoke send_to", "echo", "message"},
      {"publish_on", "\"news.trace\"", "invoke publish_on", "sub", "publication news.trace"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char *out = NULL;
    assert_int_equal(cu_invoke(c, probe, cases[i].fn, cases[i].arg, &out), 0);
    free(out);
    no_trace_left();
    assert_true(CU_WAIT(count_spans(c) == 2 * (i + 1)));
    size_t n;
    span *v = spans(c, &n);
    const span *caller = find(v, n, "probe", cases[i].handler);
    const span *callee = find(v, n, cases[i].callee, cases[i].callee_handler);
    if (!caller || !callee)
      fprintf(stderr, "case %s: spans missing\n", cases[i].fn);
    assert_non_null(caller);
    assert_non_null(callee);
    assert_string_equal(caller->parent, "");
    assert_string_equal(callee->trace, caller->trace);
    assert_string_equal(callee->parent, caller->span);
    assert_string_not_equal(callee->span, caller->span);
    free(v);
  }
  /* Three invocations from the host: three chains. */
  size_t n;
  span *v = spans(c, &n);
  assert_string_not_equal(v[0].trace, v[2].trace);
  free(v);
  host_free(c);
}

/* An embedder continues a chain from elsewhere by setting the thread's trace: the span
 * joins it, under the embedder's parent, even with sampling off. */
static void test_embedder_continues_a_chain(void **state) {
  (void)state;
  cu_host *c = host(0.0);
  troupe_component_id echo = spawn(c, "echo", "echo");
  ask_echo(c, echo); /* not sampled: nothing logged */
  troupe_trace_set((troupe_trace){.id = 0xabcdef0123456789ull, .parent = 0x42, .sampled = true});
  ask_echo(c, echo);
  troupe_trace_set((troupe_trace){0});
  assert_true(CU_WAIT(count_spans(c) == 1));
  cu_sleep_ms(20);
  size_t n;
  span *v = spans(c, &n);
  assert_int_equal(n, 1);
  assert_string_equal(v[0].trace, "abcdef0123456789");
  assert_string_equal(v[0].parent, "0000000000000042");
  free(v);
  host_free(c);
}

/* A handler that traps: its span says so. */
static void test_trap_outcome(void **state) {
  (void)state;
  cu_host *c = host(1.0);
  troupe_component_id crasher = spawn(c, "crasher", "crasher");
  char *out = NULL;
  assert_int_equal(cu_invoke(c, crasher, "crash", NULL, &out), TROUPE_E_TRAP);
  free(out);
  assert_true(CU_WAIT(count_spans(c) == 1));
  size_t n;
  span *v = spans(c, &n);
  assert_string_equal(v[0].handler, "invoke crash");
  assert_string_equal(v[0].outcome, "trap");
  free(v);
  host_free(c);
}

/* Sampling: 0 logs nothing, a share logs about that share of chains. */
static void test_sampling(void **state) {
  (void)state;
  cu_host *c = host(0.0);
  troupe_component_id echo = spawn(c, "echo", "echo");
  for (int i = 0; i < 50; i++)
    ask_echo(c, echo);
  cu_sleep_ms(20);
  assert_int_equal(count_spans(c), 0);
  host_free(c);

  c = host(0.5);
  echo = spawn(c, "echo", "echo");
  enum { N = 400 };
  for (int i = 0; i < N; i++)
    ask_echo(c, echo);
  cu_sleep_ms(50);
  size_t got = count_spans(c);
  /* binomial(400, 0.5): mean 200, sd 10; this band is 10 sd wide on each side */
  assert_true(got > 100 && got < 300);
  host_free(c);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_host_ask_is_a_root_span),
      cmocka_unit_test(test_chains_through_ask_send_publish),
      cmocka_unit_test(test_embedder_continues_a_chain),
      cmocka_unit_test(test_trap_outcome),
      cmocka_unit_test(test_sampling),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
