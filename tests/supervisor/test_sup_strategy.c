/*
 * tests/actor/test_sup_strategy.c: OTP's restart rules, table-driven: every strategy
 * (one_for_one, one_for_all, rest_for_one) x every restart type of the middle child b
 * (permanent, transient, temporary) x how b ends (normal, shutdown, crash). The two
 * siblings a and c are permanent. For each case: is b restarted, is its spec kept,
 * which siblings are restarted, and what the intensity counter says.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_sup_util.h"

static const char *exits[] = {"stop", "shutdown", "crash"};

static bool restarts(troupe_restart_type r, int how) {
  return r == TROUPE_PERMANENT || (r == TROUPE_TRANSIENT && how == 2);
}

static void run_case(troupe_runtime *rt, troupe_sup_strategy st, troupe_restart_type r, int how) {
  ts_journal j;
  ts_journal_init(&j);
  ts_child a, b, c;
  ts_child_init(&a, "a", &j);
  ts_child_init(&b, "b", &j);
  ts_child_init(&c, "c", &j);
  troupe_child_spec specs[3] = {ts_spec(&a, TROUPE_PERMANENT), ts_spec(&b, r),
                                ts_spec(&c, TROUPE_PERMANENT)};
  troupe_sup_config cfg = ts_cfg(st, 10, 60000);
  troupe_actor_id sup;
  assert_int_equal(troupe_sup_start(rt, &cfg, specs, 3, &sup, NULL), 0);
  troupe_actor_id pa = atomic_load(&a.pid), pb = atomic_load(&b.pid), pc = atomic_load(&c.pid);
  assert_true(pa && pb && pc);

  assert_true(ts_kill_with(rt, pb, exits[how]));
  bool present;
  troupe_actor_id nb = ts_pid_of(rt, sup, "b", &present);
  troupe_actor_id na = ts_pid_of(rt, sup, "a", NULL), nc = ts_pid_of(rt, sup, "c", NULL);
  bool again = restarts(r, how);
  print_message("strategy %d restart %d exit %s\n", (int)st, (int)r, exits[how]);
  /* b */
  assert_int_equal(present, r != TROUPE_TEMPORARY);
  if (again) {
    assert_true(nb != 0 && nb != pb);
    assert_int_equal(atomic_load(&b.starts), 2);
  } else {
    assert_int_equal(nb, 0);
    assert_int_equal(atomic_load(&b.starts), 1);
  }
  /* siblings: only a restart of b touches them, per strategy */
  bool a_again = again && st == TROUPE_ONE_FOR_ALL;
  bool c_again = again && st != TROUPE_ONE_FOR_ONE;
  assert_int_equal(na != pa, a_again);
  assert_int_equal(nc != pc, c_again);
  assert_true(na && nc);
  assert_int_equal(atomic_load(&a.starts), a_again ? 2 : 1);
  assert_int_equal(atomic_load(&c.starts), c_again ? 2 : 1);
  if (a_again && c_again) { /* one_for_all stops c then a (reverse), starts a, b, c */
    char seq[64];
    ts_seq(&j, "start", seq, sizeof seq);
    assert_string_equal(seq, "a,b,c,a,b,c");
    ts_seq(&j, "stop", seq, sizeof seq);
    assert_string_equal(seq, "b,c,a");
  }
  troupe_child_counts k;
  assert_int_equal(troupe_sup_count_children(rt, sup, &k, NULL), 0);
  assert_int_equal(k.restarts, again ? 1 : 0);
  assert_int_equal(k.specs, r == TROUPE_TEMPORARY ? 2 : 3);

  ts_watch w;
  ts_watch_start(rt, &w, sup);
  assert_int_equal(troupe_exit(rt, 0, sup, TROUPE_EXIT_SHUTDOWN, 0, NULL), 0);
  assert_true(TU_WAIT(atomic_load(&w.down) == 1));
  assert_int_equal(atomic_load(&w.kind), TROUPE_EXIT_SHUTDOWN);
  assert_true(TU_WAIT(tu_dead(rt, na) && tu_dead(rt, nc)));
}

static void test_strategy_table(void **st) {
  (void)st;
  troupe_logger *lg;
  troupe_runtime *rt = ts_runtime(NULL, &lg);
  assert_non_null(rt);
  troupe_sup_strategy strategies[] = {TROUPE_ONE_FOR_ONE, TROUPE_ONE_FOR_ALL, TROUPE_REST_FOR_ONE};
  troupe_restart_type types[] = {TROUPE_PERMANENT, TROUPE_TRANSIENT, TROUPE_TEMPORARY};
  for (size_t s = 0; s < 3; s++)
    for (size_t t = 0; t < 3; t++)
      for (int how = 0; how < 3; how++)
        run_case(rt, strategies[s], types[t], how);
  ts_free(rt, lg);
}

/* rest_for_one: a crash of the first child restarts everything after it, in order. */
static void test_rest_for_one_order(void **st) {
  (void)st;
  troupe_logger *lg;
  troupe_runtime *rt = ts_runtime(NULL, &lg);
  ts_journal j;
  ts_journal_init(&j);
  ts_child k[4];
  const char *ids[4] = {"w", "x", "y", "z"};
  troupe_child_spec specs[4];
  for (int i = 0; i < 4; i++) {
    ts_child_init(&k[i], ids[i], &j);
    specs[i] = ts_spec(&k[i], TROUPE_PERMANENT);
  }
  troupe_sup_config cfg = ts_cfg(TROUPE_REST_FOR_ONE, 5, 60000);
  troupe_actor_id sup;
  assert_int_equal(troupe_sup_start(rt, &cfg, specs, 4, &sup, NULL), 0);
  assert_true(ts_kill_with(rt, atomic_load(&k[1].pid), "crash"));
  assert_true(ts_pid_of(rt, sup, "x", NULL) != 0);
  char seq[64];
  ts_seq(&j, "start", seq, sizeof seq);
  assert_string_equal(seq, "w,x,y,z,x,y,z");
  ts_seq(&j, "stop", seq, sizeof seq);
  assert_string_equal(seq, "x,z,y");
  assert_int_equal(atomic_load(&k[0].starts), 1);
  ts_free(rt, lg);
}

/* A temporary child stopped by a sibling's one_for_all restart is not restarted and its
 * spec is removed; the permanent siblings come back. */
static void test_temporary_not_restarted_by_sibling(void **st) {
  (void)st;
  troupe_logger *lg;
  troupe_runtime *rt = ts_runtime(NULL, &lg);
  ts_journal j;
  ts_journal_init(&j);
  ts_child a, t, c;
  ts_child_init(&a, "a", &j);
  ts_child_init(&t, "t", &j);
  ts_child_init(&c, "c", &j);
  troupe_child_spec specs[3] = {ts_spec(&a, TROUPE_PERMANENT), ts_spec(&t, TROUPE_TEMPORARY),
                                ts_spec(&c, TROUPE_PERMANENT)};
  troupe_sup_config cfg = ts_cfg(TROUPE_ONE_FOR_ALL, 5, 60000);
  troupe_actor_id sup;
  assert_int_equal(troupe_sup_start(rt, &cfg, specs, 3, &sup, NULL), 0);
  troupe_actor_id pt = atomic_load(&t.pid);
  assert_true(ts_kill_with(rt, atomic_load(&a.pid), "crash"));
  bool present = true;
  assert_int_equal(ts_pid_of(rt, sup, "t", &present), 0);
  assert_false(present);
  assert_true(tu_dead(rt, pt));
  assert_int_equal(atomic_load(&t.starts), 1);
  assert_int_equal(atomic_load(&a.starts), 2);
  assert_int_equal(atomic_load(&c.starts), 2);
  assert_int_equal(atomic_load(&t.last_reason), TROUPE_EXIT_SHUTDOWN);
  ts_free(rt, lg);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_strategy_table),
      cmocka_unit_test(test_rest_for_one_order),
      cmocka_unit_test(test_temporary_not_restarted_by_sibling),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
