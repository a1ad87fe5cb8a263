/*
 * tests/component/test_metrics.c: what troupe_host_metrics reports (docs/OBSERVE.md),
 * counted against what the test itself made the components do: every message and
 * invocation handled is one in, with its payload's bytes; every send, ask, reply,
 * publish and invocation result is one out; every handler lands in one bucket of a
 * cumulative histogram whose +Inf bucket is the count; a trap is counted, across
 * restarts; a host without metrics reports none. And the workers' figures: parked
 * time grows while a runtime idles and never goes back, whoever reads it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "comp_util.h"

#include <math.h>
#include <stdatomic.h>

static troupe_component_metrics metrics_of(cu_host *c, troupe_component_id id) {
  troupe_component_metrics m;
  troupe_err err;
  assert_int_equal(troupe_host_metrics(c->h, id, &m, &err), 0);
  return m;
}

/* The histogram is cumulative, ends at the count, and its sum is plausible. */
static void histogram_sane(const troupe_component_metrics *m) {
  for (unsigned i = 1; i < TROUPE_HANDLER_BUCKETS; i++)
    assert_true(m->handler_le[i] >= m->handler_le[i - 1]);
  assert_int_equal(m->handler_le[TROUPE_HANDLER_BUCKETS - 1], m->handler_count);
  if (m->handler_count)
    assert_true(m->handler_seconds > 0 && m->handler_seconds < 60);
}

static void test_bucket_bounds(void **state) {
  (void)state;
  assert_true(troupe_handler_bucket_bound(0) == 1e-6);
  for (unsigned i = 1; i < TROUPE_HANDLER_BUCKETS; i++)
    assert_true(troupe_handler_bucket_bound(i) > troupe_handler_bucket_bound(i - 1));
  assert_true(isinf(troupe_handler_bucket_bound(TROUPE_HANDLER_BUCKETS - 1)));
  assert_true(isinf(troupe_handler_bucket_bound(1000)));
}

/* echo answers each ask with its own payload: n in and n out, the same bytes. */
static void test_asks_in_and_out(void **state) {
  (void)state;
  cu_host c;
  assert_int_equal(cu_host_new(&c, 2), 0);
  troupe_component_spec s = cu_spec("echo", "echo");
  troupe_component_id id = cu_spawn(&c, &s);
  assert_true(id != 0);
  troupe_component_metrics m0 = metrics_of(&c, id);
  assert_int_equal(m0.msgs_in, 0);
  assert_int_equal(m0.handler_count, 0);
  size_t len;
  uint8_t *q = cu_json("{\"n\":12345}", &len);
  enum { N = 25 };
  for (int i = 0; i < N; i++) {
    uint8_t *r = NULL;
    size_t rl = 0;
    troupe_err err;
    assert_int_equal(troupe_host_ask(c.h, id, 0, q, len, TROUPE_SEC(20), &r, &rl, &err), 0);
    assert_int_equal(rl, len);
    free(r);
  }
  free(q);
  /* The reply is sent before the handler returns: its count lands a moment later. */
  assert_true(CU_WAIT(metrics_of(&c, id).handler_count == N));
  troupe_component_metrics m = metrics_of(&c, id);
  assert_int_equal(m.msgs_in, N);
  assert_int_equal(m.bytes_in, N * len);
  assert_int_equal(m.msgs_out, N);
  assert_int_equal(m.bytes_out, N * len);
  assert_int_equal(m.traps, 0);
  assert_true(m.fuel_used > 0);
  histogram_sane(&m);
  troupe_err err;
  assert_int_equal(troupe_host_metrics(c.h, 999999, &m, &err), TROUPE_E_NOTFOUND);
  assert_int_equal(troupe_host_metrics(c.h, id, NULL, &err), TROUPE_E_INVAL);
  cu_host_free(&c);
}

/* An invocation is one in (its arguments) and one out (its result); the sends, asks and
 * publishes a handler makes are each one out. */
static void test_invocations_sends_publishes(void **state) {
  (void)state;
  cu_host c;
  assert_int_equal(cu_host_new(&c, 2), 0);
  troupe_component_spec s = cu_spec("probe", "probe");
  const char *all[] = {">"};
  s.caps.send_to = (troupe_pattern_list){all, 1};
  s.caps.publish = (troupe_pattern_list){all, 1};
  troupe_component_id probe = cu_spawn(&c, &s);
  troupe_component_spec es = cu_spec("echo", "echo");
  troupe_component_id echo = cu_spawn(&c, &es);
  assert_true(probe && echo);

  assert_int_equal(cu_invoke_int(&c, probe, "work", "100"), 100);
  assert_true(CU_WAIT(metrics_of(&c, probe).handler_count == 1));
  troupe_component_metrics m = metrics_of(&c, probe);
  assert_int_equal(m.msgs_in, 1);
  assert_int_equal(m.bytes_in, 2 + 3);  /* prefix + "100" */
  assert_int_equal(m.msgs_out, 1);      /* the result */
  assert_int_equal(m.bytes_out, 2 + 3); /* prefix + "100" */

  /* send_to: the send (9 bytes) and the result ("0", 3 bytes with its prefix). */
  assert_int_equal(cu_invoke_int(&c, probe, "send_to", "\"echo\""), 0);
  /* publish_on: the publish ("\"news\"", 8 bytes) and the result. */
  assert_int_equal(cu_invoke_int(&c, probe, "publish_on", "\"metrics.test\""), 0);
  assert_true(CU_WAIT(metrics_of(&c, probe).handler_count == 3));
  m = metrics_of(&c, probe);
  assert_int_equal(m.msgs_in, 3);
  assert_int_equal(m.msgs_out, 1 + 2 + 2);
  assert_int_equal(m.bytes_out, 5 + (9 + 3) + (8 + 3));
  histogram_sane(&m);
  /* echo handled the send (a message it does not answer). */
  assert_true(CU_WAIT(metrics_of(&c, echo).msgs_in == 1));
  cu_host_free(&c);
}

/* A trap is counted once per incarnation it ends, and the counters outlive restarts. */
static void test_traps_across_restarts(void **state) {
  (void)state;
  cu_host c;
  assert_int_equal(cu_host_new(&c, 2), 0);
  troupe_component_spec s = cu_spec("crasher", "crasher");
  troupe_component_id id = cu_spawn(&c, &s);
  assert_true(id != 0);
  for (uint32_t round = 1; round <= 3; round++) {
    assert_int_equal(troupe_host_send(c.h, id, 0, NULL, 0, NULL), 0); /* tag 0: traps */
    assert_true(CU_WAIT(cu_restarts(&c, id) == round &&
                        cu_state(&c, id) == TROUPE_COMPONENT_READY));
    troupe_component_metrics m = metrics_of(&c, id);
    assert_int_equal(m.traps, round);
    assert_int_equal(m.msgs_in, round);
    assert_int_equal(m.handler_count, round); /* a crashed handler is timed too */
    histogram_sane(&m);
  }
  cu_host_free(&c);
}

/* no_metrics: nothing is kept but what troupe_component_info shows anyway. */
static void test_metrics_off(void **state) {
  (void)state;
  cu_host c;
  memset(&c, 0, sizeof c);
  pthread_mutex_init(&c.log.lock, NULL);
  assert_int_equal(troupe_store_dir_new(TROUPE_COMPONENTS_DIR, &c.store, NULL), 0);
  troupe_host_config cfg;
  troupe_host_config_init(&cfg);
  cfg.workers = 1;
  cfg.store = c.store;
  cfg.no_metrics = true;
  troupe_err err;
  assert_int_equal(troupe_host_new(&cfg, &c.h, &err), 0);
  troupe_component_spec s = cu_spec("echo", "echo");
  troupe_component_id id = cu_spawn(&c, &s);
  size_t len;
  uint8_t *q = cu_json("1", &len);
  uint8_t *r = NULL;
  size_t rl;
  assert_int_equal(troupe_host_ask(c.h, id, 0, q, len, TROUPE_SEC(20), &r, &rl, &err), 0);
  free(q);
  free(r);
  assert_true(CU_WAIT(metrics_of(&c, id).msgs_in == 1));
  troupe_component_metrics m = metrics_of(&c, id);
  assert_int_equal(m.msgs_out, 0);
  assert_int_equal(m.bytes_in, 0);
  assert_int_equal(m.bytes_out, 0);
  assert_int_equal(m.handler_count, 0);
  assert_true(m.fuel_used > 0);
  cu_host_free(&c);
}

/* Parked time: grows while the workers sleep, and no reader ever sees it go back,
 * while other threads read it too and traffic makes the workers park and wake. */
typedef struct reader_arg {
  troupe_runtime *rt;
  _Atomic bool stop;
  _Atomic bool went_back;
} reader_arg;

static void *read_parked(void *p) {
  reader_arg *a = p;
  uint64_t last[8] = {0};
  while (!atomic_load(&a->stop)) {
    troupe_worker_stats ws[8];
    unsigned n = troupe_runtime_worker_stats(a->rt, ws, 8);
    for (unsigned i = 0; i < n && i < 8; i++) {
      if (ws[i].parked_ns < last[i])
        atomic_store(&a->went_back, true);
      last[i] = ws[i].parked_ns;
    }
  }
  return NULL;
}

static void test_worker_parked_time(void **state) {
  (void)state;
  cu_host c;
  assert_int_equal(cu_host_new(&c, 2), 0);
  troupe_runtime *rt = troupe_host_runtime(c.h);
  troupe_worker_stats ws[4];
  assert_int_equal(troupe_runtime_worker_stats(rt, ws, 4), 2);
  assert_int_equal(troupe_runtime_worker_stats(rt, NULL, 0), 2);
  assert_int_equal(troupe_runtime_worker_stats(NULL, ws, 4), 0);
  /* Idle: both end up asleep, and their sleep counts up. */
  assert_true(CU_WAIT((troupe_runtime_worker_stats(rt, ws, 4), ws[0].parked && ws[1].parked)));
  uint64_t before = ws[0].parked_ns + ws[1].parked_ns;
  cu_sleep_ms(50);
  troupe_runtime_worker_stats(rt, ws, 4);
  assert_true(ws[0].parked_ns + ws[1].parked_ns >= before + 50000000u);

  reader_arg a = {.rt = rt};
  pthread_t t[2];
  for (int i = 0; i < 2; i++)
    assert_int_equal(pthread_create(&t[i], NULL, read_parked, &a), 0);
  troupe_component_spec s = cu_spec("echo", "echo");
  troupe_component_id id = cu_spawn(&c, &s);
  size_t len;
  uint8_t *q = cu_json("1", &len);
  for (int i = 0; i < 300; i++) {
    uint8_t *r = NULL;
    size_t rl;
    assert_int_equal(troupe_host_ask(c.h, id, 0, q, len, TROUPE_SEC(20), &r, &rl, NULL), 0);
    free(r);
    if (i % 10 == 0)
      cu_sleep_ms(1); /* let the workers park between bursts */
  }
  free(q);
  atomic_store(&a.stop, true);
  for (int i = 0; i < 2; i++)
    pthread_join(t[i], NULL);
  assert_false(atomic_load(&a.went_back));
  cu_host_free(&c);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_bucket_bounds),
      cmocka_unit_test(test_asks_in_and_out),
      cmocka_unit_test(test_invocations_sends_publishes),
      cmocka_unit_test(test_traps_across_restarts),
      cmocka_unit_test(test_metrics_off),
      cmocka_unit_test(test_worker_parked_time),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
