/*
 * tests/actor/test_sup_lifecycle.c: a supervisor's life apart from restarts. Children
 * start in order (each start finished before the next) and stop in reverse order; a
 * start failure rolls back; `ignore` keeps the spec; a child that ignores shutdown is
 * killed after its timeout; the parent's exit reason is passed on; the run-time API
 * (start/terminate/restart/delete/which/count); significant children and auto_shutdown.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/base.h"
#include "test_sup_util.h"

static void test_start_and_stop_order(void **st) {
  (void)st;
  troupe_logger *lg;
  troupe_runtime *rt = ts_runtime(NULL, &lg);
  ts_journal j;
  ts_journal_init(&j);
  static ts_child k[6];
  const char *ids[6] = {"c1", "c2", "c3", "c4", "c5", "c6"};
  troupe_child_spec specs[6];
  for (int i = 0; i < 6; i++) {
    ts_child_init(&k[i], ids[i], &j);
    specs[i] = ts_spec(&k[i], TROUPE_PERMANENT);
  }
  troupe_actor_id sup;
  assert_int_equal(troupe_sup_start(rt, NULL, specs, 6, &sup, NULL), 0);
  char seq[128];
  ts_seq(&j, "start", seq, sizeof seq);
  assert_string_equal(seq, "c1,c2,c3,c4,c5,c6");
  /* runtime stop sends the root supervisor exit(shutdown) */
  assert_int_equal(troupe_runtime_stop(rt, NULL), 0);
  ts_seq(&j, "stop", seq, sizeof seq);
  assert_string_equal(seq, "c6,c5,c4,c3,c2,c1");
  assert_int_equal(ts_count(&j, "stop:c1:shutdown"), 1);
  ts_free(rt, lg);
}

static void test_start_failure_rollback(void **st) {
  (void)st;
  ts_events ev;
  troupe_logger *lg;
  troupe_runtime *rt = ts_runtime(&ev, &lg);
  for (int mode = 0; mode < 2; mode++) { /* init fails / the start function fails */
    ts_journal j;
    ts_journal_init(&j);
    ts_child a, b, c, d;
    ts_child_init(&a, "a", &j);
    ts_child_init(&b, "b", &j);
    ts_child_init(&c, "c", &j);
    ts_child_init(&d, "d", &j);
    atomic_store(mode ? &c.fail_startfn : &c.fail_init, 1);
    troupe_child_spec specs[4] = {ts_spec(&a, TROUPE_PERMANENT), ts_spec(&b, TROUPE_TRANSIENT),
                                  ts_spec(&c, TROUPE_PERMANENT), ts_spec(&d, TROUPE_PERMANENT)};
    troupe_actor_id sup = 123;
    troupe_err err;
    troupe_err_clear(&err);
    assert_int_equal(troupe_sup_start(rt, NULL, specs, 4, &sup, &err), TROUPE_E_START_FAILED);
    assert_int_equal(sup, 0);
    assert_non_null(strstr(err.msg, "failed to start child 'c'"));
    assert_non_null(strstr(err.msg, mode ? "start function of c refused" : "init of c refused"));
    char seq[64];
    ts_seq(&j, "start", seq, sizeof seq);
    assert_string_equal(seq, "a,b");
    ts_seq(&j, "stop", seq, sizeof seq);
    assert_string_equal(seq, "b,a");
    assert_int_equal(atomic_load(&d.starts), 0);
    assert_true(TU_WAIT(tu_dead(rt, atomic_load(&a.pid)) && tu_dead(rt, atomic_load(&b.pid))));
  }
  assert_int_equal(atomic_load(&ev.start_failed), 2);
  ts_free(rt, lg);
}

static void test_ignore_keeps_spec(void **st) {
  (void)st;
  troupe_logger *lg;
  troupe_runtime *rt = ts_runtime(NULL, &lg);
  ts_child a, b;
  ts_child_init(&a, "a", NULL);
  ts_child_init(&b, "b", NULL);
  atomic_store(&b.ignore, true);
  troupe_child_spec specs[2] = {ts_spec(&a, TROUPE_PERMANENT), ts_spec(&b, TROUPE_PERMANENT)};
  troupe_actor_id sup, pid = 1;
  assert_int_equal(troupe_sup_start(rt, NULL, specs, 2, &sup, NULL), 0);
  bool present;
  assert_int_equal(ts_pid_of(rt, sup, "b", &present), 0);
  assert_true(present);
  atomic_store(&b.ignore, false);
  assert_int_equal(troupe_sup_restart_child(rt, sup, "b", &pid, NULL), 0);
  assert_true(pid != 0);
  assert_int_equal(pid, atomic_load(&b.pid));
  ts_free(rt, lg);
}

/* A child that traps exits and ignores the shutdown signal is killed after its
 * shutdown timeout; a brutal_kill child is killed at once. */
static void test_shutdown_timeout_kills(void **st) {
  (void)st;
  troupe_logger *lg;
  troupe_runtime *rt = ts_runtime(NULL, &lg);
  ts_journal j;
  ts_journal_init(&j);
  ts_child s1, s2, ok;
  ts_child_init(&s1, "stubborn", &j);
  ts_child_init(&s2, "brutal", &j);
  ts_child_init(&ok, "polite", &j);
  atomic_store(&s1.trap, true);
  atomic_store(&s2.trap, true);
  atomic_store(&ok.trap, false);
  troupe_child_spec specs[3] = {ts_spec(&s1, TROUPE_PERMANENT), ts_spec(&s2, TROUPE_PERMANENT),
                                ts_spec(&ok, TROUPE_PERMANENT)};
  specs[0].shutdown_ms = 30;
  specs[1].shutdown = TROUPE_SHUTDOWN_BRUTAL;
  troupe_actor_id sup;
  assert_int_equal(troupe_sup_start(rt, NULL, specs, 3, &sup, NULL), 0);
  troupe_actor_id p1 = atomic_load(&s1.pid);
  assert_int_equal(troupe_sup_terminate_child(rt, sup, "stubborn", 0, NULL), 0);
  assert_true(tu_dead(rt, p1)); /* terminate_child returns after the child is gone */
  assert_int_equal(atomic_load(&s1.last_reason), TROUPE_EXIT_KILLED);
  assert_int_equal(troupe_sup_terminate_child(rt, sup, "brutal", 0, NULL), 0);
  assert_int_equal(atomic_load(&s2.last_reason), TROUPE_EXIT_KILLED);
  assert_int_equal(troupe_sup_terminate_child(rt, sup, "polite", 0, NULL), 0);
  assert_int_equal(atomic_load(&ok.last_reason), TROUPE_EXIT_SHUTDOWN);
  /* terminated children are kept as specs, not restarted, not counted */
  troupe_child_counts k;
  assert_int_equal(troupe_sup_count_children(rt, sup, &k, NULL), 0);
  assert_int_equal(k.specs, 3);
  assert_int_equal(k.active, 0);
  assert_int_equal(k.restarts, 0);
  assert_int_equal(atomic_load(&s1.starts), 1);
  ts_free(rt, lg);
}

/* The supervisor stops its children (reverse order) and exits with its parent's reason. */
static void test_parent_exit_reason_passed_on(void **st) {
  (void)st;
  troupe_logger *lg;
  troupe_runtime *rt = ts_runtime(NULL, &lg);
  ts_journal j;
  ts_journal_init(&j);
  ts_child a, b;
  ts_child_init(&a, "a", &j);
  ts_child_init(&b, "b", &j);
  troupe_child_spec specs[2] = {ts_spec(&a, TROUPE_PERMANENT), ts_spec(&b, TROUPE_PERMANENT)};
  troupe_actor_id sup;
  assert_int_equal(troupe_sup_start(rt, NULL, specs, 2, &sup, NULL), 0);
  ts_watch w;
  ts_watch_start(rt, &w, sup);
  /* an exit signal from someone else is ignored, as in OTP */
  troupe_actor_id stranger = ((uint64_t)7 << 32) | 54321u;
  assert_int_equal(troupe_exit(rt, stranger, sup, TROUPE_EXIT_CRASH, -9, "x"), 0);
  assert_true(ts_pid_of(rt, sup, "a", NULL) != 0);
  assert_int_equal(troupe_exit(rt, 0, sup, TROUPE_EXIT_CRASH, -9, "the parent failed"), 0);
  assert_true(TU_WAIT(atomic_load(&w.down) == 1));
  assert_int_equal(atomic_load(&w.kind), TROUPE_EXIT_CRASH);
  assert_int_equal(atomic_load(&w.code), -9);
  assert_string_equal(w.text, "the parent failed");
  char seq[32];
  ts_seq(&j, "stop", seq, sizeof seq);
  assert_string_equal(seq, "b,a");
  ts_free(rt, lg);
}

static void test_runtime_api(void **st) {
  (void)st;
  troupe_logger *lg;
  troupe_runtime *rt = ts_runtime(NULL, &lg);
  ts_child a, b;
  ts_child_init(&a, "a", NULL);
  ts_child_init(&b, "b", NULL);
  troupe_child_spec sa = ts_spec(&a, TROUPE_PERMANENT), sb = ts_spec(&b, TROUPE_TEMPORARY);
  troupe_actor_id sup, pid;
  assert_int_equal(troupe_sup_start(rt, NULL, &sa, 1, &sup, NULL), 0);
  assert_int_equal(troupe_sup_start_child(rt, sup, &sb, &pid, NULL), 0);
  assert_int_equal(pid, atomic_load(&b.pid));
  assert_int_equal(troupe_sup_start_child(rt, sup, &sb, &pid, NULL), TROUPE_E_EXISTS);
  troupe_err err;
  atomic_store(&a.fail_init, 0);
  ts_child c;
  ts_child_init(&c, "c", NULL);
  atomic_store(&c.fail_init, 1);
  troupe_child_spec sc = ts_spec(&c, TROUPE_PERMANENT);
  assert_int_equal(troupe_sup_start_child(rt, sup, &sc, &pid, &err), TROUPE_E_START_FAILED);
  bool present = true;
  ts_pid_of(rt, sup, "c", &present);
  assert_false(present); /* a spec whose start failed is discarded */
  /* which_children in start order */
  troupe_child_info *v;
  size_t n;
  assert_int_equal(troupe_sup_which_children(rt, sup, &v, &n, NULL), 0);
  assert_int_equal(n, 2);
  assert_string_equal(v[0].id, "a");
  assert_string_equal(v[1].id, "b");
  assert_int_equal(v[1].restart, TROUPE_TEMPORARY);
  troupe_sup_children_free(v, n);
  /* restart/delete need a stopped child */
  assert_int_equal(troupe_sup_delete_child(rt, sup, "a", NULL), TROUPE_E_STATE);
  assert_int_equal(troupe_sup_restart_child(rt, sup, "a", &pid, NULL), TROUPE_E_STATE);
  assert_int_equal(troupe_sup_terminate_child(rt, sup, "a", 0, NULL), 0);
  assert_int_equal(troupe_sup_restart_child(rt, sup, "a", &pid, NULL), 0);
  assert_int_equal(pid, atomic_load(&a.pid));
  assert_int_equal(troupe_sup_terminate_child(rt, sup, "a", 0, NULL), 0);
  assert_int_equal(troupe_sup_delete_child(rt, sup, "a", NULL), 0);
  assert_int_equal(troupe_sup_delete_child(rt, sup, "a", NULL), TROUPE_E_NOTFOUND);
  /* terminating a temporary child removes its spec */
  assert_int_equal(troupe_sup_terminate_child(rt, sup, "b", 0, NULL), 0);
  troupe_child_counts k;
  assert_int_equal(troupe_sup_count_children(rt, sup, &k, NULL), 0);
  assert_int_equal(k.specs, 0);
  assert_int_equal(k.restarts, 0);
  /* dynamic calls are refused by a static supervisor */
  assert_int_equal(troupe_sup_start_dynamic(rt, sup, "x", 1, &pid, NULL), TROUPE_E_UNSUPPORTED);
  /* bad specs */
  troupe_child_spec bad = ts_spec(&c, TROUPE_PERMANENT);
  bad.significant = true;
  assert_int_equal(troupe_sup_start_child(rt, sup, &bad, &pid, NULL), TROUPE_E_INVAL);
  bad.significant = false;
  bad.start = NULL;
  assert_int_equal(troupe_sup_start_child(rt, sup, &bad, &pid, NULL), TROUPE_E_INVAL);
  troupe_child_spec dup[2] = {sa, sa};
  troupe_actor_id s2;
  assert_int_equal(troupe_sup_start(rt, NULL, dup, 2, &s2, NULL), TROUPE_E_INVAL);
  /* a gone supervisor */
  assert_int_equal(troupe_exit(rt, 0, sup, TROUPE_EXIT_SHUTDOWN, 0, NULL), 0);
  assert_true(TU_WAIT(tu_dead(rt, sup)));
  assert_int_equal(troupe_sup_count_children(rt, sup, &k, NULL), TROUPE_E_NOTFOUND);
  ts_free(rt, lg);
}

/* auto_shutdown: any_significant stops the supervisor when a significant transient child
 * exits normally; all_significant waits for the last one; a terminate_child does not
 * count; a crash of a significant transient child is restarted instead. */
static void test_auto_shutdown(void **st) {
  (void)st;
  ts_events ev;
  troupe_logger *lg;
  troupe_runtime *rt = ts_runtime(&ev, &lg);
  for (int mode = 0; mode < 2; mode++) {
    ts_child a, s1, s2;
    ts_child_init(&a, "a", NULL);
    ts_child_init(&s1, "s1", NULL);
    ts_child_init(&s2, "s2", NULL);
    troupe_child_spec specs[3] = {ts_spec(&a, TROUPE_PERMANENT), ts_spec(&s1, TROUPE_TRANSIENT),
                                  ts_spec(&s2, TROUPE_TEMPORARY)};
    specs[1].significant = specs[2].significant = true;
    troupe_sup_config cfg = ts_cfg(TROUPE_ONE_FOR_ONE, 5, 60000);
    cfg.auto_shutdown = mode ? TROUPE_AUTO_ALL_SIGNIFICANT : TROUPE_AUTO_ANY_SIGNIFICANT;
    troupe_actor_id sup;
    assert_int_equal(troupe_sup_start(rt, &cfg, specs, 3, &sup, NULL), 0);
    ts_watch w;
    ts_watch_start(rt, &w, sup);
    assert_true(ts_kill_with(rt, atomic_load(&s1.pid), "crash")); /* restarted */
    assert_true(ts_pid_of(rt, sup, "s1", NULL) != 0);
    assert_true(ts_kill_with(rt, atomic_load(&s1.pid), "stop")); /* ends on its own */
    if (mode == 1) { /* all_significant: s2 still runs */
      bool present = false;
      assert_int_equal(ts_pid_of(rt, sup, "s1", &present), 0);
      assert_true(present); /* answered: the supervisor is still up */
      assert_true(ts_kill_with(rt, atomic_load(&s2.pid), "crash"));
    }
    assert_true(TU_WAIT(atomic_load(&w.down) == 1));
    assert_int_equal(atomic_load(&w.kind), TROUPE_EXIT_SHUTDOWN);
    assert_int_equal(atomic_load(&a.last_reason), TROUPE_EXIT_SHUTDOWN);
  }
  assert_int_equal(atomic_load(&ev.auto_shutdown), 2);
  /* supervisor-ordered terminations do not trigger it */
  ts_child s1;
  ts_child_init(&s1, "s1", NULL);
  troupe_child_spec spec = ts_spec(&s1, TROUPE_TRANSIENT);
  spec.significant = true;
  troupe_sup_config cfg = ts_cfg(TROUPE_ONE_FOR_ONE, 5, 60000);
  cfg.auto_shutdown = TROUPE_AUTO_ANY_SIGNIFICANT;
  troupe_actor_id sup;
  assert_int_equal(troupe_sup_start(rt, &cfg, &spec, 1, &sup, NULL), 0);
  assert_int_equal(troupe_sup_terminate_child(rt, sup, "s1", 0, NULL), 0);
  troupe_child_counts k;
  assert_int_equal(troupe_sup_count_children(rt, sup, &k, NULL), 0);
  assert_true(troupe_actor_alive(rt, sup));
  /* significant needs auto_shutdown */
  cfg.auto_shutdown = TROUPE_AUTO_NEVER;
  assert_int_equal(troupe_sup_start(rt, &cfg, &spec, 1, &sup, NULL), TROUPE_E_INVAL);
  ts_free(rt, lg);
}

/* A child that acknowledges its start itself (troupe_sup_ack, like proc_lib:init_ack):
 * the supervisor waits for that ack, not for init, before starting the next child; a
 * failing ack is a start failure. */
typedef struct late {
  ts_journal *j;
  troupe_actor_id parent;
  int status;
} late;

static int late_init(troupe_actor *self, void *arg, troupe_err *err) {
  (void)arg;
  (void)err;
  return troupe_send(troupe_actor_runtime(self), troupe_self(self), troupe_self(self), "go", 2);
}

static int late_handle(troupe_actor *self, const troupe_message *m, troupe_err *err) {
  (void)err;
  late *l = troupe_actor_state(self);
  if (m->kind == TROUPE_MSG_USER && m->len == 2) {
    tu_sleep_ms(20); /* a slow start: the next child must still wait */
    ts_note(l->j, "acked", "late", NULL);
    troupe_sup_ack(self, l->parent, l->status, l->status ? "not today" : NULL);
  }
  return TROUPE_CONTINUE;
}

static const troupe_behaviour late_b = {"late", late_init, late_handle, NULL};

static int late_start(troupe_actor *sup, const troupe_spawn_opts *opts, void *arg,
                      const void *extra, size_t extra_len, troupe_actor_id *out, troupe_err *err) {
  (void)extra;
  (void)extra_len;
  late *l = arg;
  l->parent = opts->parent;
  troupe_spawn_opts o = *opts;
  o.flags &= ~(unsigned)TROUPE_SPAWN_ACK; /* we ack ourselves */
  return troupe_spawn(troupe_actor_runtime(sup), sup, &late_b, l, &o, out, err);
}

static void test_child_acks_itself(void **st) {
  (void)st;
  troupe_logger *lg;
  troupe_runtime *rt = ts_runtime(NULL, &lg);
  for (int status = 0; status >= -1; status--) {
    ts_journal j;
    ts_journal_init(&j);
    late l = {.j = &j, .status = status ? TROUPE_E_INTERNAL : 0};
    ts_child b;
    ts_child_init(&b, "b", &j);
    troupe_child_spec specs[2];
    memset(&specs[0], 0, sizeof specs[0]);
    specs[0].id = "late";
    specs[0].start = late_start;
    specs[0].arg = &l;
    specs[1] = ts_spec(&b, TROUPE_PERMANENT);
    troupe_actor_id sup;
    troupe_err err;
    troupe_err_clear(&err);
    int rc = troupe_sup_start(rt, NULL, specs, 2, &sup, &err);
    if (!status) {
      assert_int_equal(rc, 0);
      assert_string_equal(j.line[0], "acked:late");
      assert_string_equal(j.line[1], "start:b");
      assert_int_equal(troupe_exit(rt, 0, sup, TROUPE_EXIT_SHUTDOWN, 0, NULL), 0);
      assert_true(TU_WAIT(tu_dead(rt, sup)));
    } else {
      assert_int_equal(rc, TROUPE_E_START_FAILED);
      assert_non_null(strstr(err.msg, "not today"));
      assert_int_equal(atomic_load(&b.starts), 0);
    }
  }
  ts_free(rt, lg);
}

/* Out of memory at each allocation of troupe_sup_start before the actor exists (specs
 * copied, intensity ring, waiter): a clean NOMEM, nothing leaked (ASan), nothing left. */
static void test_start_out_of_memory(void **st) {
  (void)st;
  troupe_logger *lg;
  troupe_runtime *rt = ts_runtime(NULL, &lg);
  ts_child a, b;
  ts_child_init(&a, "a", NULL);
  ts_child_init(&b, "b", NULL);
  troupe_child_spec specs[2] = {ts_spec(&a, TROUPE_PERMANENT), ts_spec(&b, TROUPE_PERMANENT)};
  troupe_actor_id sup;
  for (long n = 0; n < 8; n++) {
    trB_alloc_fail_after(n);
    int rc = troupe_sup_start(rt, NULL, specs, 2, &sup, NULL);
    trB_alloc_fail_after(-1);
    assert_int_equal(rc, TROUPE_E_NOMEM);
  }
  troupe_runtime_stats s;
  troupe_runtime_stats_get(rt, &s);
  assert_int_equal(s.live, 0);
  assert_int_equal(atomic_load(&a.starts), 0);
  assert_int_equal(troupe_sup_start(rt, NULL, specs, 2, &sup, NULL), 0);
  ts_free(rt, lg);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_start_and_stop_order),
      cmocka_unit_test(test_start_failure_rollback),
      cmocka_unit_test(test_ignore_keeps_spec),
      cmocka_unit_test(test_shutdown_timeout_kills),
      cmocka_unit_test(test_parent_exit_reason_passed_on),
      cmocka_unit_test(test_runtime_api),
      cmocka_unit_test(test_auto_shutdown),
      cmocka_unit_test(test_child_acks_itself),
      cmocka_unit_test(test_start_out_of_memory),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
