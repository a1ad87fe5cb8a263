/*
 * tests/supervisor/test_sup_api_errors.c: the supervisor API's refusals, as
 * include/troupe/supervisor.h states them: missing arguments are INVAL with a message
 * naming what is missing (and an owned spec arg is still freed), the blocking calls are
 * STATE on a worker thread, a message that is not a supervisor answer decodes as INVAL,
 * and under memory exhaustion (the Nth allocation and every later one failing, until
 * memory comes back) each run-time call returns 0 or a clean error, after which the
 * supervisor still answers and holds the children it said it started.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/base.h"
#include "test_sup_util.h"

static _Atomic int g_freed;
static void count_free(void *arg) {
  (void)arg;
  atomic_fetch_add(&g_freed, 1);
}

static void test_missing_arguments_are_inval(void **state) {
  (void)state;
  troupe_runtime *rt = tu_runtime(2);
  assert_non_null(rt);
  ts_journal j;
  ts_journal_init(&j);
  ts_child a;
  ts_child_init(&a, "a", &j);
  troupe_child_spec spec = ts_spec(&a, TROUPE_PERMANENT);
  troupe_actor_id sup = 0, child = 0;
  troupe_err err;

  /* sup_start without its runtime or out: INVAL, and a handed-over arg is freed */
  spec.arg_free = count_free;
  atomic_store(&g_freed, 0);
  assert_int_equal(troupe_sup_start(NULL, NULL, &spec, 1, &sup, &err), TROUPE_E_INVAL);
  assert_non_null(strstr(err.msg, "runtime and out required"));
  assert_int_equal(troupe_sup_start(rt, NULL, &spec, 1, NULL, &err), TROUPE_E_INVAL);
  assert_int_equal(atomic_load(&g_freed), 2);
  spec.arg_free = NULL;

  assert_int_equal(troupe_sup_start(rt, NULL, &spec, 1, &sup, &err), 0);
  assert_int_not_equal(sup, 0);

  assert_int_equal(troupe_sup_start_child(rt, sup, NULL, &child, &err), TROUPE_E_INVAL);
  assert_non_null(strstr(err.msg, "spec required"));
  assert_int_equal(troupe_sup_start_dynamic(rt, sup, NULL, 4, &child, &err), TROUPE_E_INVAL);
  assert_non_null(strstr(err.msg, "extra is NULL"));
  assert_int_equal(troupe_sup_restart_child(rt, sup, NULL, &child, &err), TROUPE_E_INVAL);
  assert_non_null(strstr(err.msg, "id required"));
  assert_int_equal(troupe_sup_delete_child(rt, sup, NULL, &err), TROUPE_E_INVAL);
  assert_non_null(strstr(err.msg, "id required"));
  troupe_child_info *kids = NULL;
  size_t nkids = 0;
  assert_int_equal(troupe_sup_which_children(rt, sup, NULL, &nkids, &err), TROUPE_E_INVAL);
  assert_non_null(strstr(err.msg, "out and n required"));
  assert_int_equal(troupe_sup_which_children(rt, sup, &kids, NULL, &err), TROUPE_E_INVAL);
  assert_int_equal(troupe_sup_count_children(rt, sup, NULL, &err), TROUPE_E_INVAL);
  assert_non_null(strstr(err.msg, "out required"));
  /* a spec handed over with arg_free is freed also when start_child refuses it */
  ts_child b;
  ts_child_init(&b, "a", &j); /* the id is taken */
  troupe_child_spec dup = ts_spec(&b, TROUPE_PERMANENT);
  dup.arg_free = count_free;
  atomic_store(&g_freed, 0);
  assert_int_equal(troupe_sup_start_child(rt, sup, &dup, &child, &err), TROUPE_E_EXISTS);
  assert_int_equal(atomic_load(&g_freed), 1);
  assert_int_equal(atomic_load(&b.starts), 0);

  /* nothing above changed the supervisor: one child, still the first one */
  assert_int_equal(troupe_sup_which_children(rt, sup, &kids, &nkids, &err), 0);
  assert_int_equal(nkids, 1);
  assert_string_equal(kids[0].id, "a");
  assert_int_equal(kids[0].child, atomic_load(&a.pid));
  troupe_sup_children_free(kids, nkids);
  assert_int_equal(troupe_sup_ack(NULL, sup, 0, NULL), TROUPE_E_INVAL);

  assert_int_equal(troupe_runtime_stop(rt, NULL), 0);
  troupe_runtime_free(rt);
}

/* ---- from a worker: the blocking calls refuse, the answer decoder rejects ----------- */
typedef struct probe {
  troupe_actor_id sup;
  _Atomic int done;
  int start_rc, start_child_rc, which_rc, count_rc, ack_rc;
  char start_msg[TROUPE_ERR_MSG_MAX];
  int read_rc, read_status;
  bool is_answer;
} probe;

static int probe_handle(troupe_actor *self, const troupe_message *m, troupe_err *err) {
  (void)err;
  probe *p = troupe_actor_state(self);
  troupe_runtime *rt = troupe_actor_runtime(self);
  troupe_err e;
  troupe_actor_id out = 0;
  p->start_rc = troupe_sup_start(rt, NULL, NULL, 0, &out, &e);
  snprintf(p->start_msg, sizeof p->start_msg, "%s", e.msg);
  ts_child c;
  ts_child_init(&c, "never", NULL);
  troupe_child_spec spec = ts_spec(&c, TROUPE_TEMPORARY);
  p->start_child_rc = troupe_sup_start_child(rt, p->sup, &spec, &out, &e);
  troupe_child_info *kids;
  size_t n;
  p->which_rc = troupe_sup_which_children(rt, p->sup, &kids, &n, &e);
  troupe_child_counts counts;
  p->count_rc = troupe_sup_count_children(rt, p->sup, &counts, &e);
  p->ack_rc = troupe_sup_ack(self, p->sup, 1, NULL); /* positive status: not a status */
  /* the message that woke us is a plain USER message, not an answer */
  p->is_answer = troupe_sup_is_answer(m);
  troupe_sup_answer ans;
  p->read_rc = troupe_sup_answer_read(m, &ans, &e);
  p->read_status = ans.status;
  atomic_store(&p->done, 1);
  return TROUPE_STOP;
}
static const troupe_behaviour probe_b = {"probe", NULL, probe_handle, NULL};

static void test_blocking_calls_refused_on_a_worker(void **state) {
  (void)state;
  troupe_runtime *rt = tu_runtime(2);
  assert_non_null(rt);
  ts_child a;
  ts_child_init(&a, "a", NULL);
  troupe_child_spec spec = ts_spec(&a, TROUPE_PERMANENT);
  probe p = {0};
  troupe_err err;
  assert_int_equal(troupe_sup_start(rt, NULL, &spec, 1, &p.sup, &err), 0);
  troupe_actor_id pid = 0;
  assert_int_equal(troupe_spawn(rt, NULL, &probe_b, &p, NULL, &pid, &err), 0);
  assert_int_equal(troupe_send(rt, 0, pid, "go", 2), 0);
  for (int i = 0; i < 10000 && !atomic_load(&p.done); i++)
    tu_sleep_ms(1);
  assert_int_equal(atomic_load(&p.done), 1);
  assert_int_equal(p.start_rc, TROUPE_E_STATE);
  assert_non_null(strstr(p.start_msg, "troupe_sup_start_link"));
  assert_int_equal(p.start_child_rc, TROUPE_E_STATE);
  assert_int_equal(p.which_rc, TROUPE_E_STATE);
  assert_int_equal(p.count_rc, TROUPE_E_STATE);
  assert_int_equal(p.ack_rc, TROUPE_E_INVAL);
  assert_false(p.is_answer);
  assert_int_equal(p.read_rc, TROUPE_E_INVAL);
  assert_int_equal(p.read_status, TROUPE_E_INVAL);
  /* the supervisor never saw any of it: still its one child */
  troupe_child_counts counts;
  assert_int_equal(troupe_sup_count_children(rt, p.sup, &counts, &err), 0);
  assert_int_equal(counts.specs, 1);
  assert_int_equal(counts.active, 1);
  assert_int_equal(troupe_runtime_stop(rt, NULL), 0);
  troupe_runtime_free(rt);
}

/* ---- out of memory ---------------------------------------------------------------- */
static bool clean(int rc) { return rc <= 0; }

/* Memory comes back after a while even when the calls under pressure are still waiting:
 * a blocking call waits as long as the supervisor is busy, and a supervisor that could
 * not allocate (a shutdown signal, a timer) is busy until memory returns. */
typedef struct restorer {
  pthread_mutex_t lock;
  pthread_cond_t cond;
  bool done;
} restorer;

static void *restore_later(void *arg) {
  restorer *r = arg;
  struct timespec dl;
  clock_gettime(CLOCK_REALTIME, &dl);
  dl.tv_nsec += 300 * 1000000L;
  dl.tv_sec += dl.tv_nsec / 1000000000L;
  dl.tv_nsec %= 1000000000L;
  pthread_mutex_lock(&r->lock);
  while (!r->done && pthread_cond_timedwait(&r->cond, &r->lock, &dl) == 0)
    ;
  pthread_mutex_unlock(&r->lock);
  trB_alloc_fail_after(-1);
  return NULL;
}

static void test_run_time_calls_under_oom(void **state) {
  (void)state;
  int ran = 0;
  for (long n = 0; n < 60; n++) {
    troupe_runtime *rt = tu_runtime(2);
    assert_non_null(rt);
    ts_child a, b, d;
    ts_child_init(&a, "a", NULL);
    ts_child_init(&b, "b", NULL);
    ts_child_init(&d, "d", NULL);
    troupe_child_spec specs[] = {ts_spec(&a, TROUPE_PERMANENT), ts_spec(&b, TROUPE_TRANSIENT)};
    troupe_actor_id sup = 0, child = 0;
    troupe_err err;
    assert_int_equal(troupe_sup_start(rt, NULL, specs, 2, &sup, &err), 0);

    restorer r = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, false};
    pthread_t restorer_thread;
    trB_alloc_fail_after(n);
    assert_int_equal(pthread_create(&restorer_thread, NULL, restore_later, &r), 0);
    troupe_child_spec ds = ts_spec(&d, TROUPE_TEMPORARY);
    int started = troupe_sup_start_child(rt, sup, &ds, &child, &err);
    assert_true(clean(started));
    if (started)
      assert_true(started == TROUPE_E_NOMEM || started == TROUPE_E_START_FAILED);
    troupe_child_info *kids = NULL;
    size_t nkids = 0;
    int rc = troupe_sup_which_children(rt, sup, &kids, &nkids, &err);
    assert_true(clean(rc));
    if (rc == 0)
      troupe_sup_children_free(kids, nkids);
    troupe_child_counts counts;
    assert_true(clean(troupe_sup_count_children(rt, sup, &counts, &err)));
    /* Not swept: terminate_child / restart_child of a running child. Their stop can hang
     * for good: sup.c stop_child ignores troupe_exit's NOMEM, so a child never told to
     * stop is waited for forever and the request never answered (reported, to fix in
     * src/supervisor/; then add them here). */
    pthread_mutex_lock(&r.lock);
    r.done = true;
    pthread_cond_signal(&r.cond);
    pthread_mutex_unlock(&r.lock);
    pthread_join(restorer_thread, NULL);

    /* memory back: the supervisor answers. It holds d when it said it started it and
     * not when it said START_FAILED; NOMEM does not say which (the request may have been
     * carried out and only its answer lost: sup_call.c, deliver), like a timeout. */
    assert_int_equal(troupe_sup_count_children(rt, sup, &counts, &err), 0);
    if (started == 0)
      assert_int_equal(counts.specs, 3);
    else if (started == TROUPE_E_START_FAILED)
      assert_int_equal(counts.specs, 2);
    else
      assert_true(counts.specs == 2 || counts.specs == 3);
    assert_int_equal(counts.specs == 3, atomic_load(&d.pid) != 0 && atomic_load(&d.starts) == 1);
    assert_int_equal(troupe_sup_which_children(rt, sup, &kids, &nkids, &err), 0);
    assert_int_equal(nkids, counts.specs);
    assert_string_equal(kids[0].id, "a");
    assert_int_not_equal(kids[0].child, 0);
    troupe_sup_children_free(kids, nkids);
    assert_int_equal(troupe_runtime_stop(rt, NULL), 0);
    troupe_runtime_free(rt);
    ran++;
  }
  assert_int_equal(ran, 60);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_missing_arguments_are_inval),
      cmocka_unit_test(test_blocking_calls_refused_on_a_worker),
      cmocka_unit_test(test_run_time_calls_under_oom),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
