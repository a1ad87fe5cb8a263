/*
 * tests/actor/test_sup_dynamic.c: simple_one_for_one. Many children started at run time
 * from one template with an extra argument (kept for restarts), a crash restarting only
 * that child with the same argument, terminate_child by actor id removing it, the calls
 * that do not apply refused, temporary and ignored children not kept, and shutdown
 * stopping every child (all at once) before the supervisor exits.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "supervisor/sup.h"
#include "test_sup_util.h"

#define NDYN 200

typedef struct dslot {
  _Atomic int starts;
  _Atomic troupe_actor_id pid;
  _Atomic int last_reason;
  _Atomic int stopped;
} dslot;

typedef struct dyn {
  dslot slot[NDYN];
} dyn;

static int d_init(troupe_actor *self, void *arg, troupe_err *err) {
  (void)err;
  dslot *s = arg;
  atomic_fetch_add(&s->starts, 1);
  atomic_store(&s->pid, troupe_self(self));
  return 0;
}

static int d_handle(troupe_actor *self, const troupe_message *m, troupe_err *err) {
  (void)self;
  if (m->kind == TROUPE_MSG_USER && m->len == 5 && !memcmp(m->data, "crash", 5))
    return troupe_err_set(err, TROUPE_E_INTERNAL, "asked to crash");
  return TROUPE_CONTINUE;
}

static void d_terminate(troupe_actor *self, const troupe_exit_reason *why) {
  dslot *s = troupe_actor_state(self);
  atomic_store(&s->last_reason, (int)why->kind);
  atomic_fetch_add(&s->stopped, 1);
}

static const troupe_behaviour d_worker = {"dyn", d_init, d_handle, d_terminate};

static int d_start(troupe_actor *sup, const troupe_spawn_opts *opts, void *arg, const void *extra,
                   size_t extra_len, troupe_actor_id *out, troupe_err *err) {
  dyn *d = arg;
  int idx;
  if (extra_len != sizeof idx)
    return troupe_err_set(err, TROUPE_E_INVAL, "bad extra");
  memcpy(&idx, extra, sizeof idx);
  if (idx < 0)
    return TROUPE_SUP_IGNORE;
  return troupe_spawn(troupe_actor_runtime(sup), sup, &d_worker, &d->slot[idx], opts, out, err);
}

static troupe_actor_id start_sup(troupe_runtime *rt, dyn *d, troupe_restart_type r) {
  troupe_child_spec t;
  memset(&t, 0, sizeof t);
  t.id = "dyn";
  t.start = d_start;
  t.arg = d;
  t.restart = r;
  t.shutdown_ms = 2000;
  troupe_sup_config cfg = ts_cfg(TROUPE_SIMPLE_ONE_FOR_ONE, 5, 60000);
  troupe_actor_id sup = 0;
  assert_int_equal(troupe_sup_start(rt, &cfg, &t, 1, &sup, NULL), 0);
  return sup;
}

static void test_many_dynamic_children(void **st) {
  (void)st;
  troupe_logger *lg;
  troupe_runtime *rt = ts_runtime(NULL, &lg);
  static dyn d;
  memset(&d, 0, sizeof d);
  troupe_actor_id sup = start_sup(rt, &d, TROUPE_PERMANENT);
  troupe_child_counts k;
  assert_int_equal(troupe_sup_count_children(rt, sup, &k, NULL), 0);
  assert_int_equal(k.specs, 0); /* the template starts nothing */
  for (int i = 0; i < NDYN; i++) {
    troupe_actor_id pid = 0;
    assert_int_equal(troupe_sup_start_dynamic(rt, sup, &i, sizeof i, &pid, NULL), 0);
    assert_int_equal(pid, atomic_load(&d.slot[i].pid));
  }
  assert_int_equal(troupe_sup_count_children(rt, sup, &k, NULL), 0);
  assert_int_equal(k.specs, NDYN);
  assert_int_equal(k.active, NDYN);
  /* a crash restarts that child only, with its own extra argument */
  troupe_actor_id p5 = atomic_load(&d.slot[5].pid);
  assert_true(ts_kill_with(rt, p5, "crash"));
  assert_int_equal(troupe_sup_count_children(rt, sup, &k, NULL), 0);
  assert_int_equal(k.active, NDYN);
  assert_int_equal(k.restarts, 1);
  assert_int_equal(atomic_load(&d.slot[5].starts), 2);
  assert_true(atomic_load(&d.slot[5].pid) != p5);
  for (int i = 0; i < NDYN; i++)
    if (i != 5)
      assert_int_equal(atomic_load(&d.slot[i].starts), 1);
  /* terminate by actor id: stopped and removed */
  troupe_actor_id p7 = atomic_load(&d.slot[7].pid);
  assert_int_equal(troupe_sup_terminate_child(rt, sup, NULL, p7, NULL), 0);
  assert_int_equal(atomic_load(&d.slot[7].last_reason), TROUPE_EXIT_SHUTDOWN);
  assert_int_equal(troupe_sup_terminate_child(rt, sup, NULL, p7, NULL), TROUPE_E_NOTFOUND);
  assert_int_equal(troupe_sup_count_children(rt, sup, &k, NULL), 0);
  assert_int_equal(k.specs, NDYN - 1);
  /* calls that do not apply */
  troupe_actor_id pid;
  assert_int_equal(troupe_sup_restart_child(rt, sup, "dyn", &pid, NULL), TROUPE_E_UNSUPPORTED);
  assert_int_equal(troupe_sup_delete_child(rt, sup, "dyn", NULL), TROUPE_E_UNSUPPORTED);
  troupe_child_spec any = ts_spec(&(ts_child){.id = "x"}, TROUPE_PERMANENT);
  assert_int_equal(troupe_sup_start_child(rt, sup, &any, &pid, NULL), TROUPE_E_UNSUPPORTED);
  int ign = -1;
  assert_int_equal(troupe_sup_start_dynamic(rt, sup, &ign, sizeof ign, &pid, NULL), 0);
  assert_int_equal(pid, 0);
  troupe_child_info *v;
  size_t n;
  assert_int_equal(troupe_sup_which_children(rt, sup, &v, &n, NULL), 0);
  assert_int_equal(n, NDYN - 1); /* the ignored child is not kept */
  for (size_t i = 0; i < n; i++) {
    assert_null(v[i].id);
    assert_true(v[i].child != 0);
  }
  troupe_sup_children_free(v, n);
  /* shutdown: every child stopped before the supervisor exits */
  ts_watch w;
  ts_watch_start(rt, &w, sup);
  assert_int_equal(troupe_exit(rt, 0, sup, TROUPE_EXIT_SHUTDOWN, 0, NULL), 0);
  assert_true(TU_WAIT(atomic_load(&w.down) == 1));
  assert_int_equal(atomic_load(&w.kind), TROUPE_EXIT_SHUTDOWN);
  for (int i = 0; i < NDYN; i++) {
    if (i == 7)
      continue;
    assert_false(troupe_actor_alive(rt, atomic_load(&d.slot[i].pid)));
    assert_int_equal(atomic_load(&d.slot[i].last_reason), TROUPE_EXIT_SHUTDOWN);
  }
  ts_free(rt, lg);
}

static void test_dynamic_temporary_and_transient(void **st) {
  (void)st;
  troupe_logger *lg;
  troupe_runtime *rt = ts_runtime(NULL, &lg);
  static dyn d;
  memset(&d, 0, sizeof d);
  troupe_actor_id sup = start_sup(rt, &d, TROUPE_TEMPORARY);
  for (int i = 0; i < 3; i++)
    assert_int_equal(troupe_sup_start_dynamic(rt, sup, &i, sizeof i, NULL, NULL), 0);
  assert_true(ts_kill_with(rt, atomic_load(&d.slot[1].pid), "crash"));
  troupe_child_counts k;
  assert_int_equal(troupe_sup_count_children(rt, sup, &k, NULL), 0);
  assert_int_equal(k.specs, 2);
  assert_int_equal(k.restarts, 0);
  assert_int_equal(atomic_load(&d.slot[1].starts), 1);
  int bad = 1;
  troupe_err err;
  assert_int_equal(troupe_sup_start_dynamic(rt, sup, &bad, 1, NULL, &err), TROUPE_E_START_FAILED);
  assert_non_null(strstr(err.msg, "bad extra"));
  assert_int_equal(troupe_sup_count_children(rt, sup, &k, NULL), 0);
  assert_int_equal(k.specs, 2);
  ts_free(rt, lg);
}

/* The id map behind O(1) child lookups, against a plain array, with clustered keys
 * (actor ids that differ in a few bits) so deletions shift entries back. */
static void test_id_map(void **st) {
  (void)st;
  enum { K = 512 };
  static uint64_t keys[K];
  static bool in[K];
  trS_map m = {0};
  uint64_t rng = 12345;
  for (int i = 0; i < K; i++)
    keys[i] = ((uint64_t)(1 + i % 3) << 32) | (uint64_t)(i / 3);
  for (int step = 0; step < 20000; step++) {
    rng = rng * 6364136223846793005ull + 1442695040888963407ull;
    int i = (int)((rng >> 33) % K);
    if (in[i]) {
      assert_ptr_equal(trS_map_del(&m, keys[i]), &keys[i]);
      in[i] = false;
    } else {
      assert_int_equal(trS_map_put(&m, keys[i], &keys[i]), 0);
      in[i] = true;
    }
    if (step % 97 == 0)
      for (int k = 0; k < K; k++)
        assert_ptr_equal(trS_map_get(&m, keys[k]), in[k] ? &keys[k] : NULL);
  }
  size_t n = 0;
  for (int k = 0; k < K; k++)
    n += in[k];
  assert_int_equal(m.n, n);
  assert_null(trS_map_get(&m, 0));
  assert_int_equal(trS_map_put(&m, 0, &n), TROUPE_E_INVAL);
  trS_map_free(&m);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_many_dynamic_children),
      cmocka_unit_test(test_dynamic_temporary_and_transient),
      cmocka_unit_test(test_id_map),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
