/*
 * tests/actor/test_sup_intensity.c: restart intensity. The exact boundary (MaxR restarts
 * allowed, the next one within MaxT makes the supervisor stop its children and exit
 * shutdown), intensity 0, restarts older than the period no longer counting, failed
 * restart attempts counting, escalation through nested supervisors (a permanent child
 * supervisor is restarted by its parent, a transient one is not), and the audit events.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_sup_util.h"

static void test_boundary(void **st) {
  (void)st;
  ts_events ev;
  troupe_logger *lg;
  troupe_runtime *rt = ts_runtime(&ev, &lg);
  ts_journal j;
  ts_journal_init(&j);
  ts_child a, b;
  ts_child_init(&a, "a", &j);
  ts_child_init(&b, "b", &j);
  troupe_child_spec specs[2] = {ts_spec(&a, TROUPE_PERMANENT), ts_spec(&b, TROUPE_PERMANENT)};
  troupe_sup_config cfg = ts_cfg(TROUPE_ONE_FOR_ONE, 3, 60000);
  troupe_actor_id sup;
  assert_int_equal(troupe_sup_start(rt, &cfg, specs, 2, &sup, NULL), 0);
  ts_watch w;
  ts_watch_start(rt, &w, sup);
  /* MaxR = 3 restarts are fine (spread over two children: the count is per supervisor) */
  ts_crash_times(rt, sup, &b, 2);
  ts_crash_times(rt, sup, &a, 1);
  assert_true(troupe_actor_alive(rt, sup));
  assert_int_equal(atomic_load(&ev.restarted), 3);
  assert_int_equal(atomic_load(&ev.escalated), 0);
  /* the 4th within the period: give up */
  troupe_actor_id pa = atomic_load(&a.pid);
  assert_true(ts_kill_with(rt, atomic_load(&b.pid), "crash"));
  assert_true(TU_WAIT(atomic_load(&w.down) == 1));
  assert_int_equal(atomic_load(&w.kind), TROUPE_EXIT_SHUTDOWN);
  assert_string_equal(w.text, "reached max restart intensity");
  assert_true(tu_dead(rt, pa)); /* children were stopped before the supervisor exited */
  assert_int_equal(atomic_load(&a.last_reason), TROUPE_EXIT_SHUTDOWN);
  assert_int_equal(atomic_load(&b.starts), 3);
  assert_int_equal(atomic_load(&ev.escalated), 1);
  assert_int_equal(atomic_load(&ev.restarted), 3);
  ts_free(rt, lg);
}

static void test_intensity_zero(void **st) {
  (void)st;
  troupe_logger *lg;
  troupe_runtime *rt = ts_runtime(NULL, &lg);
  ts_child a;
  ts_child_init(&a, "a", NULL);
  troupe_child_spec spec = ts_spec(&a, TROUPE_PERMANENT);
  troupe_sup_config cfg = ts_cfg(TROUPE_ONE_FOR_ONE, 0, 60000);
  troupe_actor_id sup;
  assert_int_equal(troupe_sup_start(rt, &cfg, &spec, 1, &sup, NULL), 0);
  ts_watch w;
  ts_watch_start(rt, &w, sup);
  assert_true(ts_kill_with(rt, atomic_load(&a.pid), "crash"));
  assert_true(TU_WAIT(atomic_load(&w.down) == 1));
  assert_int_equal(atomic_load(&w.kind), TROUPE_EXIT_SHUTDOWN);
  assert_int_equal(atomic_load(&a.starts), 1);
  ts_free(rt, lg);
}

/* Restarts older than the period drop out of the window (here 30 ms; we wait longer,
 * so a slow machine only widens the gap). */
static void test_window_slides(void **st) {
  (void)st;
  troupe_logger *lg;
  troupe_runtime *rt = ts_runtime(NULL, &lg);
  ts_child a;
  ts_child_init(&a, "a", NULL);
  troupe_child_spec spec = ts_spec(&a, TROUPE_PERMANENT);
  troupe_sup_config cfg = ts_cfg(TROUPE_ONE_FOR_ONE, 1, 30);
  troupe_actor_id sup;
  assert_int_equal(troupe_sup_start(rt, &cfg, &spec, 1, &sup, NULL), 0);
  for (int i = 0; i < 4; i++) {
    ts_crash_times(rt, sup, &a, 1);
    tu_sleep_ms(60);
  }
  assert_true(troupe_actor_alive(rt, sup));
  assert_int_equal(atomic_load(&a.starts), 5);
  ts_free(rt, lg);
}

/* A child that cannot be restarted: every failed attempt counts, so with MaxR = 3 the
 * supervisor makes exactly 3 attempts after the crash and then gives up (it would retry
 * forever if failed attempts did not count). */
static void test_restart_failures_count(void **st) {
  (void)st;
  ts_events ev;
  troupe_logger *lg;
  troupe_runtime *rt = ts_runtime(&ev, &lg);
  ts_child a, b;
  ts_child_init(&a, "a", NULL);
  ts_child_init(&b, "b", NULL);
  troupe_child_spec specs[2] = {ts_spec(&a, TROUPE_PERMANENT), ts_spec(&b, TROUPE_PERMANENT)};
  troupe_sup_config cfg = ts_cfg(TROUPE_ONE_FOR_ONE, 3, 60000);
  troupe_actor_id sup;
  assert_int_equal(troupe_sup_start(rt, &cfg, specs, 2, &sup, NULL), 0);
  ts_watch w;
  ts_watch_start(rt, &w, sup);
  atomic_store(&b.fail_startfn, 2); /* attempts 1 and 2: the start function fails */
  atomic_store(&b.fail_init, -1);   /* attempt 3: init fails */
  assert_true(ts_kill_with(rt, atomic_load(&b.pid), "crash"));
  assert_true(TU_WAIT(atomic_load(&w.down) == 1));
  assert_int_equal(atomic_load(&w.kind), TROUPE_EXIT_SHUTDOWN);
  assert_int_equal(atomic_load(&b.starts), 2); /* the first start + the failing init */
  assert_int_equal(atomic_load(&b.fail_startfn), 0);
  assert_int_equal(atomic_load(&ev.start_failed), 3);
  assert_int_equal(atomic_load(&ev.escalated), 1);
  ts_free(rt, lg);
}

/* ---- nested supervisors ------------------------------------------------------------- */
typedef struct inner {
  ts_child *worker;
  _Atomic int starts;
} inner;

static int inner_start(troupe_actor *sup, const troupe_spawn_opts *opts, void *arg,
                       const void *extra, size_t extra_len, troupe_actor_id *out, troupe_err *err) {
  (void)extra;
  (void)extra_len;
  inner *in = arg;
  atomic_fetch_add(&in->starts, 1);
  troupe_child_spec spec = ts_spec(in->worker, TROUPE_PERMANENT);
  troupe_sup_config cfg = ts_cfg(TROUPE_ONE_FOR_ONE, 0, 60000); /* gives up at once */
  return troupe_sup_start_link(sup, opts, &cfg, &spec, 1, out, err);
}

static void nested(troupe_restart_type inner_restart) {
  ts_events ev;
  troupe_logger *lg;
  troupe_runtime *rt = ts_runtime(&ev, &lg);
  ts_child w, sib;
  ts_child_init(&w, "w", NULL);
  ts_child_init(&sib, "sib", NULL);
  inner in = {.worker = &w};
  troupe_child_spec specs[2];
  memset(&specs[0], 0, sizeof specs[0]);
  specs[0].id = "inner";
  specs[0].start = inner_start;
  specs[0].arg = &in;
  specs[0].type = TROUPE_SUPERVISOR;
  specs[0].restart = inner_restart;
  specs[1] = ts_spec(&sib, TROUPE_PERMANENT);
  troupe_sup_config cfg = ts_cfg(TROUPE_ONE_FOR_ONE, 5, 60000);
  troupe_actor_id top;
  assert_int_equal(troupe_sup_start(rt, &cfg, specs, 2, &top, NULL), 0);
  assert_int_equal(atomic_load(&w.starts), 1); /* the inner tree was up before start returned */
  troupe_actor_id isup = ts_pid_of(rt, top, "inner", NULL), psib = atomic_load(&sib.pid);
  assert_true(isup != 0);
  troupe_actor_info info;
  assert_int_equal(troupe_registry_info(rt, atomic_load(&w.pid), &info), 0);
  assert_int_equal(info.parent, isup);
  troupe_actor_info_clear(&info);

  assert_true(ts_kill_with(rt, atomic_load(&w.pid), "crash")); /* inner gives up */
  assert_true(TU_WAIT(tu_dead(rt, isup)));
  troupe_actor_id nsup = ts_pid_of(rt, top, "inner", NULL);
  if (inner_restart == TROUPE_PERMANENT) {
    assert_true(nsup != 0 && nsup != isup);
    assert_int_equal(atomic_load(&in.starts), 2);
    assert_int_equal(atomic_load(&w.starts), 2);
  } else { /* transient: it exited `shutdown`, which is not restarted */
    assert_int_equal(nsup, 0);
    assert_int_equal(atomic_load(&in.starts), 1);
  }
  assert_int_equal(atomic_load(&sib.pid), psib); /* one_for_one: the sibling is untouched */
  assert_true(troupe_actor_alive(rt, top));
  assert_int_equal(atomic_load(&ev.escalated), 1);
  troupe_child_counts k;
  assert_int_equal(troupe_sup_count_children(rt, top, &k, NULL), 0);
  assert_int_equal(k.restarts, inner_restart == TROUPE_PERMANENT ? 1 : 0);
  assert_int_equal(k.supervisors, 1);
  ts_free(rt, lg);
}

static void test_nested_permanent_restarted(void **st) {
  (void)st;
  nested(TROUPE_PERMANENT);
}

static void test_nested_transient_not_restarted(void **st) {
  (void)st;
  nested(TROUPE_TRANSIENT);
}

/* The nested supervisor's start failure reaches the top: the message names both ids. */
static void test_nested_start_failure(void **st) {
  (void)st;
  troupe_logger *lg;
  troupe_runtime *rt = ts_runtime(NULL, &lg);
  ts_child w;
  ts_child_init(&w, "w", NULL);
  atomic_store(&w.fail_init, -1);
  inner in = {.worker = &w};
  troupe_child_spec spec;
  memset(&spec, 0, sizeof spec);
  spec.id = "inner";
  spec.start = inner_start;
  spec.arg = &in;
  spec.type = TROUPE_SUPERVISOR;
  troupe_actor_id top;
  troupe_err err;
  troupe_err_clear(&err);
  assert_int_equal(troupe_sup_start(rt, NULL, &spec, 1, &top, &err), TROUPE_E_START_FAILED);
  assert_non_null(strstr(err.msg, "'inner'"));
  assert_non_null(strstr(err.msg, "'w'"));
  assert_non_null(strstr(err.msg, "init of w refused"));
  ts_free(rt, lg);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_boundary),
      cmocka_unit_test(test_intensity_zero),
      cmocka_unit_test(test_window_slides),
      cmocka_unit_test(test_restart_failures_count),
      cmocka_unit_test(test_nested_permanent_restarted),
      cmocka_unit_test(test_nested_transient_not_restarted),
      cmocka_unit_test(test_nested_start_failure),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
