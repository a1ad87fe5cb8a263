/*
 * tests/supervisor/test_sup_arg_free.c: a child spec that owns its arg (arg_free) has it
 * freed exactly once, when the spec is gone for good, and not before: a temporary
 * child's spec after the child ends (on its own, by terminate_child, stopped by a
 * sibling's restart); delete_child; a start_child that failed, was refused, or was never
 * seen by a supervisor; a failed start only after that child process has ended;
 * the supervisor's end (all specs, the simple_one_for_one template, whose dynamic
 * children share it and free nothing); troupe_sup_start failing. A spec kept by the
 * supervisor (restart_child failing, a permanent child crashing) keeps its arg.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_sup_util.h"

/* An owned arg: the test child (first member, so ts_start sees a ts_child) and a count
 * of arg_free calls. */
typedef struct owned {
  ts_child c;
  _Atomic int freed;
} owned;

static void owned_free(void *arg) {
  owned *o = arg;
  atomic_fetch_add(&o->freed, 1);
}

static troupe_child_spec owned_spec(owned *o, const char *id, ts_journal *j,
                                    troupe_restart_type r) {
  ts_child_init(&o->c, id, j);
  atomic_store(&o->freed, 0);
  troupe_child_spec s = ts_spec(&o->c, r);
  s.arg_free = owned_free;
  return s;
}

static troupe_actor_id start_sup(troupe_runtime *rt, troupe_sup_strategy st,
                                 const troupe_child_spec *specs, size_t n) {
  troupe_sup_config cfg = ts_cfg(st, 5, 60000);
  troupe_actor_id sup = 0;
  assert_int_equal(troupe_sup_start(rt, &cfg, specs, n, &sup, NULL), 0);
  return sup;
}

/* Stop the supervisor (reason shutdown) and wait until it is gone. */
static void stop_sup(troupe_runtime *rt, troupe_actor_id sup) {
  ts_watch w;
  ts_watch_start(rt, &w, sup);
  assert_int_equal(troupe_exit(rt, 0, sup, TROUPE_EXIT_SHUTDOWN, 0, NULL), 0);
  assert_true(TU_WAIT(atomic_load(&w.down) == 1));
  assert_true(TU_WAIT(tu_dead(rt, sup)));
}

static void test_temporary_child_ends(void **st) {
  (void)st;
  troupe_logger *lg;
  troupe_runtime *rt = ts_runtime(NULL, &lg);
  ts_journal j;
  ts_journal_init(&j);
  static owned t1, t2;
  troupe_actor_id sup = start_sup(rt, TROUPE_ONE_FOR_ONE, NULL, 0);
  troupe_child_spec s1 = owned_spec(&t1, "t1", &j, TROUPE_TEMPORARY);
  troupe_child_spec s2 = owned_spec(&t2, "t2", &j, TROUPE_TEMPORARY);
  assert_int_equal(troupe_sup_start_child(rt, sup, &s1, NULL, NULL), 0);
  assert_int_equal(troupe_sup_start_child(rt, sup, &s2, NULL, NULL), 0);
  assert_int_equal(atomic_load(&t1.freed), 0);
  /* on its own: freed once its exit is handled */
  assert_true(ts_kill_with(rt, atomic_load(&t1.c.pid), "crash"));
  assert_true(TU_WAIT(atomic_load(&t1.freed) == 1));
  /* by terminate_child: freed before the call returns */
  assert_int_equal(troupe_sup_terminate_child(rt, sup, "t2", 0, NULL), 0);
  assert_int_equal(atomic_load(&t2.freed), 1);
  troupe_child_counts k;
  assert_int_equal(troupe_sup_count_children(rt, sup, &k, NULL), 0);
  assert_int_equal(k.specs, 0);
  stop_sup(rt, sup);
  ts_free(rt, lg);
  assert_int_equal(atomic_load(&t1.freed), 1);
  assert_int_equal(atomic_load(&t2.freed), 1);
}

static void test_temporary_sibling_stopped_by_restart(void **st) {
  (void)st;
  troupe_logger *lg;
  troupe_runtime *rt = ts_runtime(NULL, &lg);
  ts_journal j;
  ts_journal_init(&j);
  static owned p, t;
  troupe_child_spec specs[2] = {owned_spec(&p, "p", &j, TROUPE_PERMANENT),
                                owned_spec(&t, "t", &j, TROUPE_TEMPORARY)};
  troupe_actor_id sup = start_sup(rt, TROUPE_ONE_FOR_ALL, specs, 2);
  troupe_actor_id pp = atomic_load(&p.c.pid);
  assert_true(ts_kill_with(rt, pp, "crash"));
  assert_true(TU_WAIT(atomic_load(&t.freed) == 1)); /* not restarted: gone for good */
  bool present = true;
  assert_true(ts_pid_of(rt, sup, "p", &present) != 0); /* p restarted, its arg kept */
  assert_int_equal(atomic_load(&p.freed), 0);
  stop_sup(rt, sup);
  assert_int_equal(atomic_load(&p.freed), 1);
  ts_free(rt, lg);
  assert_int_equal(atomic_load(&t.freed), 1);
}

static void test_delete_child_and_kept_specs(void **st) {
  (void)st;
  troupe_logger *lg;
  troupe_runtime *rt = ts_runtime(NULL, &lg);
  ts_journal j;
  ts_journal_init(&j);
  static owned a;
  troupe_child_spec s = owned_spec(&a, "a", &j, TROUPE_PERMANENT);
  troupe_actor_id sup = start_sup(rt, TROUPE_ONE_FOR_ONE, &s, 1);
  /* a crash restarts it: the spec (and its arg) stay */
  ts_crash_times(rt, sup, &a.c, 1);
  assert_int_equal(atomic_load(&a.freed), 0);
  /* terminated: kept; restart failing: kept */
  assert_int_equal(troupe_sup_terminate_child(rt, sup, "a", 0, NULL), 0);
  atomic_store(&a.c.fail_startfn, 1);
  assert_int_equal(troupe_sup_restart_child(rt, sup, "a", NULL, NULL), TROUPE_E_START_FAILED);
  assert_int_equal(atomic_load(&a.freed), 0);
  /* delete: freed before the call returns */
  assert_int_equal(troupe_sup_delete_child(rt, sup, "a", NULL), 0);
  assert_int_equal(atomic_load(&a.freed), 1);
  stop_sup(rt, sup);
  ts_free(rt, lg);
  assert_int_equal(atomic_load(&a.freed), 1);
}

static void test_start_child_failed_or_refused(void **st) {
  (void)st;
  troupe_logger *lg;
  troupe_runtime *rt = ts_runtime(NULL, &lg);
  ts_journal j;
  ts_journal_init(&j);
  static owned x, dup, bad, sfn;
  troupe_child_spec sx = owned_spec(&x, "x", &j, TROUPE_PERMANENT);
  troupe_actor_id sup = start_sup(rt, TROUPE_ONE_FOR_ONE, &sx, 1);
  /* EXISTS: the spec is refused, its arg freed before the answer */
  troupe_child_spec sd = owned_spec(&dup, "x", &j, TROUPE_PERMANENT);
  assert_int_equal(troupe_sup_start_child(rt, sup, &sd, NULL, NULL), TROUPE_E_EXISTS);
  assert_int_equal(atomic_load(&dup.freed), 1);
  /* INVAL (a permanent child cannot be significant) */
  troupe_child_spec sb = owned_spec(&bad, "bad", &j, TROUPE_PERMANENT);
  sb.significant = true;
  assert_int_equal(troupe_sup_start_child(rt, sup, &sb, NULL, NULL), TROUPE_E_INVAL);
  assert_int_equal(atomic_load(&bad.freed), 1);
  /* START_FAILED by the start function: discarded */
  troupe_child_spec sf = owned_spec(&sfn, "sfn", &j, TROUPE_PERMANENT);
  atomic_store(&sfn.c.fail_startfn, 1);
  assert_int_equal(troupe_sup_start_child(rt, sup, &sf, NULL, NULL), TROUPE_E_START_FAILED);
  assert_int_equal(atomic_load(&sfn.freed), 1);
  /* a call that fails before anything is sent hands the arg over too */
  static owned none;
  troupe_child_spec sn = owned_spec(&none, "none", &j, TROUPE_PERMANENT);
  assert_int_equal(troupe_sup_start_child(NULL, sup, &sn, NULL, NULL), TROUPE_E_INVAL);
  assert_int_equal(atomic_load(&none.freed), 1);
  assert_int_equal(atomic_load(&x.freed), 0);
  stop_sup(rt, sup);
  ts_free(rt, lg);
  assert_int_equal(atomic_load(&x.freed), 1);
  assert_int_equal(atomic_load(&dup.freed), 1);
  assert_int_equal(atomic_load(&bad.freed), 1);
  assert_int_equal(atomic_load(&sfn.freed), 1);
  assert_int_equal(atomic_load(&none.freed), 1);
}

/* A child whose start fails may outlive the failure report: a failed init acks before
 * its terminate runs, and a child that acks for itself (troupe_sup_ack) is killed only
 * after the supervisor reads its failure. Here the child acks failure from init and
 * lives on until the supervisor's kill, so its terminate surely runs after the
 * supervisor learnt of the failure: the arg must still be there. */
typedef struct slow {
  owned o;
  troupe_actor_id sup;
  _Atomic int terminated;
  _Atomic int freed_too_early; /* arg_free had run when terminate ran */
} slow;

static int slow_init(troupe_actor *self, void *arg, troupe_err *err) {
  (void)err;
  slow *s = arg;
  return troupe_sup_ack(self, s->sup, TROUPE_E_INTERNAL, "init refused");
}

static int slow_handle(troupe_actor *self, const troupe_message *m, troupe_err *err) {
  (void)self;
  (void)m;
  (void)err;
  return TROUPE_CONTINUE;
}

static void slow_terminate(troupe_actor *self, const troupe_exit_reason *why) {
  (void)why;
  slow *s = troupe_actor_state(self);
  if (atomic_load(&s->o.freed))
    atomic_store(&s->freed_too_early, 1);
  atomic_store(&s->terminated, 1);
}

static const troupe_behaviour slow_beh = {"slow", slow_init, slow_handle, slow_terminate};

static int slow_start(troupe_actor *sup, const troupe_spawn_opts *opts, void *arg,
                      const void *extra, size_t extra_len, troupe_actor_id *out,
                      troupe_err *err) {
  (void)extra;
  (void)extra_len;
  slow *s = arg;
  s->sup = troupe_self(sup);
  troupe_spawn_opts o = *opts;
  o.flags &= ~(unsigned)TROUPE_SPAWN_ACK; /* it acknowledges for itself */
  return troupe_spawn(troupe_actor_runtime(sup), sup, &slow_beh, arg, &o, out, err);
}

static void test_failed_start_frees_after_the_child_is_gone(void **st) {
  (void)st;
  troupe_logger *lg;
  troupe_runtime *rt = ts_runtime(NULL, &lg);
  troupe_actor_id sup = start_sup(rt, TROUPE_ONE_FOR_ONE, NULL, 0);
  static slow s;
  memset(&s, 0, sizeof s);
  troupe_child_spec spec = {.id = "slow", .start = slow_start, .arg = &s,
                            .arg_free = owned_free, .shutdown_ms = 2000};
  troupe_err e;
  assert_int_equal(troupe_sup_start_child(rt, sup, &spec, NULL, &e), TROUPE_E_START_FAILED);
  assert_non_null(strstr(e.msg, "init refused"));
  assert_true(TU_WAIT(atomic_load(&s.o.freed) == 1));
  assert_int_equal(atomic_load(&s.terminated), 1);
  assert_int_equal(atomic_load(&s.freed_too_early), 0);
  stop_sup(rt, sup);
  ts_free(rt, lg);
  assert_int_equal(atomic_load(&s.o.freed), 1);
}

static void test_supervisor_end_frees_all(void **st) {
  (void)st;
  troupe_logger *lg;
  troupe_runtime *rt = ts_runtime(NULL, &lg);
  ts_journal j;
  ts_journal_init(&j);
  static owned a, b, c;
  troupe_child_spec specs[2] = {owned_spec(&a, "a", &j, TROUPE_PERMANENT),
                                owned_spec(&b, "b", &j, TROUPE_TRANSIENT)};
  troupe_actor_id sup = start_sup(rt, TROUPE_REST_FOR_ONE, specs, 2);
  troupe_child_spec sc = owned_spec(&c, "c", &j, TROUPE_PERMANENT);
  assert_int_equal(troupe_sup_start_child(rt, sup, &sc, NULL, NULL), 0);
  /* a transient child that ended normally keeps its spec */
  assert_true(ts_kill_with(rt, atomic_load(&b.c.pid), "stop"));
  troupe_child_counts k;
  assert_int_equal(troupe_sup_count_children(rt, sup, &k, NULL), 0);
  assert_int_equal(k.specs, 3);
  assert_int_equal(atomic_load(&a.freed) + atomic_load(&b.freed) + atomic_load(&c.freed), 0);
  stop_sup(rt, sup);
  assert_int_equal(atomic_load(&a.freed), 1);
  assert_int_equal(atomic_load(&b.freed), 1);
  assert_int_equal(atomic_load(&c.freed), 1);
  ts_free(rt, lg);
  assert_int_equal(atomic_load(&a.freed), 1);
}

/* The runtime's stop ends a root supervisor: its specs' args go with it. */
static void test_runtime_stop_frees_all(void **st) {
  (void)st;
  troupe_logger *lg;
  troupe_runtime *rt = ts_runtime(NULL, &lg);
  ts_journal j;
  ts_journal_init(&j);
  static owned a;
  troupe_child_spec s = owned_spec(&a, "a", &j, TROUPE_PERMANENT);
  start_sup(rt, TROUPE_ONE_FOR_ONE, &s, 1);
  ts_free(rt, lg);
  assert_int_equal(atomic_load(&a.freed), 1);
}

static void test_sup_start_failing_frees_all(void **st) {
  (void)st;
  troupe_logger *lg;
  troupe_runtime *rt = ts_runtime(NULL, &lg);
  ts_journal j;
  ts_journal_init(&j);
  static owned a, b, c, d;
  troupe_sup_config cfg = ts_cfg(TROUPE_ONE_FOR_ONE, 5, 60000);
  troupe_actor_id sup;
  /* refused before the supervisor exists (duplicate ids) */
  troupe_child_spec dup[2] = {owned_spec(&a, "same", &j, TROUPE_PERMANENT),
                              owned_spec(&b, "same", &j, TROUPE_PERMANENT)};
  assert_int_equal(troupe_sup_start(rt, &cfg, dup, 2, &sup, NULL), TROUPE_E_INVAL);
  assert_int_equal(atomic_load(&a.freed), 1);
  assert_int_equal(atomic_load(&b.freed), 1);
  /* the second child fails to start: rolled back, the supervisor exits */
  troupe_child_spec two[2] = {owned_spec(&c, "c", &j, TROUPE_PERMANENT),
                              owned_spec(&d, "d", &j, TROUPE_PERMANENT)};
  atomic_store(&d.c.fail_init, -1);
  assert_int_equal(troupe_sup_start(rt, &cfg, two, 2, &sup, NULL), TROUPE_E_START_FAILED);
  assert_true(TU_WAIT(atomic_load(&c.freed) == 1 && atomic_load(&d.freed) == 1));
  ts_free(rt, lg);
  assert_int_equal(atomic_load(&a.freed) + atomic_load(&b.freed), 2);
  assert_int_equal(atomic_load(&c.freed) + atomic_load(&d.freed), 2);
}

/* simple_one_for_one: dynamic children share the template's arg; removing them frees
 * nothing; the template's arg goes when the supervisor ends. */
static int dyn_start(troupe_actor *sup, const troupe_spawn_opts *opts, void *arg,
                     const void *extra, size_t extra_len, troupe_actor_id *out, troupe_err *err) {
  (void)extra;
  (void)extra_len;
  owned *o = arg;
  return troupe_spawn(troupe_actor_runtime(sup), sup, &ts_worker, &o->c, opts, out, err);
}

static void test_simple_one_for_one_template(void **st) {
  (void)st;
  troupe_logger *lg;
  troupe_runtime *rt = ts_runtime(NULL, &lg);
  ts_journal j;
  ts_journal_init(&j);
  static owned t;
  troupe_child_spec s = owned_spec(&t, "dyn", &j, TROUPE_TEMPORARY);
  s.start = dyn_start;
  troupe_actor_id sup = start_sup(rt, TROUPE_SIMPLE_ONE_FOR_ONE, &s, 1);
  troupe_actor_id c1, c2;
  int x = 1;
  assert_int_equal(troupe_sup_start_dynamic(rt, sup, &x, sizeof x, &c1, NULL), 0);
  assert_int_equal(troupe_sup_terminate_child(rt, sup, NULL, c1, NULL), 0);
  assert_int_equal(troupe_sup_start_dynamic(rt, sup, &x, sizeof x, &c2, NULL), 0);
  assert_true(ts_kill_with(rt, c2, "crash")); /* temporary: removed */
  troupe_child_counts k;
  assert_int_equal(troupe_sup_count_children(rt, sup, &k, NULL), 0);
  assert_int_equal(k.specs, 0);
  assert_int_equal(atomic_load(&t.freed), 0);
  stop_sup(rt, sup);
  assert_int_equal(atomic_load(&t.freed), 1);
  ts_free(rt, lg);
  assert_int_equal(atomic_load(&t.freed), 1);
}

/* Zero-initialised specs keep their arg borrowed: nothing is called for them (a NULL
 * arg_free would crash if it were), across every path that frees an owned one. */
static void test_borrowed_args_untouched(void **st) {
  (void)st;
  troupe_logger *lg;
  troupe_runtime *rt = ts_runtime(NULL, &lg);
  ts_journal j;
  ts_journal_init(&j);
  static ts_child t, p;
  ts_child_init(&t, "t", &j);
  ts_child_init(&p, "p", &j);
  troupe_child_spec sp = ts_spec(&p, TROUPE_PERMANENT);
  troupe_actor_id sup = start_sup(rt, TROUPE_ONE_FOR_ONE, &sp, 1);
  troupe_child_spec st2 = ts_spec(&t, TROUPE_TEMPORARY);
  assert_int_equal(troupe_sup_start_child(rt, sup, &st2, NULL, NULL), 0);
  assert_int_equal(troupe_sup_start_child(rt, sup, &st2, NULL, NULL), TROUPE_E_EXISTS);
  assert_int_equal(troupe_sup_terminate_child(rt, sup, "t", 0, NULL), 0);
  assert_int_equal(troupe_sup_terminate_child(rt, sup, "p", 0, NULL), 0);
  assert_int_equal(troupe_sup_delete_child(rt, sup, "p", NULL), 0);
  stop_sup(rt, sup);
  ts_free(rt, lg);
}

/* ---- through the _async path ------------------------------------------------------- */
typedef struct asker {
  troupe_actor_id sup;
  troupe_child_spec spec;
  bool kill_sup_after;   /* kill the supervisor before it can see the request */
  _Atomic int answered, status;
} asker;

static int ask_handle(troupe_actor *self, const troupe_message *m, troupe_err *err) {
  (void)err;
  asker *a = troupe_actor_state(self);
  if (m->kind == TROUPE_MSG_USER) {
    uint64_t corr;
    if (troupe_sup_start_child_async(self, a->sup, &a->spec, TROUPE_INFINITY, &corr, NULL))
      return TROUPE_CONTINUE;
    if (a->kill_sup_after)
      troupe_exit(troupe_actor_runtime(self), 0, a->sup, TROUPE_EXIT_KILL, 0, NULL);
    troupe_actor_suspend_for(self, corr);
    return TROUPE_SUSPEND;
  }
  if (troupe_sup_is_answer(m)) {
    atomic_store(&a->status, troupe_sup_answer_read(m, NULL, NULL));
    atomic_store(&a->answered, 1);
  }
  return TROUPE_CONTINUE;
}

static const troupe_behaviour ask_beh = {"asker", NULL, ask_handle, NULL};

static void test_async_paths(void **st) {
  (void)st;
  troupe_runtime_config cfg;
  troupe_runtime_config_init(&cfg);
  cfg.workers = 1; /* the supervisor cannot run while the asker does */
  troupe_runtime *rt = NULL;
  assert_int_equal(troupe_runtime_new(&cfg, &rt, NULL), 0);
  ts_journal j;
  ts_journal_init(&j);
  static owned ok, dup, unseen;
  troupe_child_spec so = owned_spec(&ok, "ok", &j, TROUPE_TEMPORARY);
  troupe_actor_id sup = start_sup(rt, TROUPE_ONE_FOR_ONE, NULL, 0);
  static asker a1, a2, a3;
  troupe_actor_id id;
  /* adopted: not freed until the temporary child is gone */
  a1 = (asker){.sup = sup, .spec = so};
  assert_int_equal(troupe_spawn(rt, NULL, &ask_beh, &a1, NULL, &id, NULL), 0);
  assert_int_equal(troupe_send(rt, 0, id, "go", 2), 0);
  assert_true(TU_WAIT(atomic_load(&a1.answered) == 1));
  assert_int_equal(atomic_load(&a1.status), 0);
  assert_int_equal(atomic_load(&ok.freed), 0);
  /* refused (EXISTS): freed */
  a2 = (asker){.sup = sup, .spec = owned_spec(&dup, "ok", &j, TROUPE_PERMANENT)};
  assert_int_equal(troupe_spawn(rt, NULL, &ask_beh, &a2, NULL, &id, NULL), 0);
  assert_int_equal(troupe_send(rt, 0, id, "go", 2), 0);
  assert_true(TU_WAIT(atomic_load(&a2.answered) == 1));
  assert_int_equal(atomic_load(&a2.status), TROUPE_E_EXISTS);
  assert_int_equal(atomic_load(&dup.freed), 1);
  assert_int_equal(troupe_sup_terminate_child(rt, sup, "ok", 0, NULL), 0);
  assert_int_equal(atomic_load(&ok.freed), 1);
  /* never seen: the supervisor is killed with the request in its mailbox */
  a3 = (asker){.sup = sup, .spec = owned_spec(&unseen, "u", &j, TROUPE_PERMANENT),
               .kill_sup_after = true};
  assert_int_equal(troupe_spawn(rt, NULL, &ask_beh, &a3, NULL, &id, NULL), 0);
  assert_int_equal(troupe_send(rt, 0, id, "go", 2), 0);
  assert_true(TU_WAIT(atomic_load(&a3.answered) == 1));
  assert_int_equal(atomic_load(&a3.status), TROUPE_E_NOT_RUNNING);
  assert_true(TU_WAIT(atomic_load(&unseen.freed) == 1));
  assert_int_equal(atomic_load(&unseen.c.starts), 0);
  troupe_runtime_free(rt);
  assert_int_equal(atomic_load(&ok.freed), 1);
  assert_int_equal(atomic_load(&dup.freed), 1);
  assert_int_equal(atomic_load(&unseen.freed), 1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_temporary_child_ends),
      cmocka_unit_test(test_temporary_sibling_stopped_by_restart),
      cmocka_unit_test(test_delete_child_and_kept_specs),
      cmocka_unit_test(test_start_child_failed_or_refused),
      cmocka_unit_test(test_failed_start_frees_after_the_child_is_gone),
      cmocka_unit_test(test_supervisor_end_frees_all),
      cmocka_unit_test(test_runtime_stop_frees_all),
      cmocka_unit_test(test_sup_start_failing_frees_all),
      cmocka_unit_test(test_simple_one_for_one_template),
      cmocka_unit_test(test_borrowed_args_untouched),
      cmocka_unit_test(test_async_paths),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
