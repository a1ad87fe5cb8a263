/*
 * tests/actor/test_basic.c: spawn, send, stale ids after slot reuse, sends from a
 * non-runtime thread, payload ownership (copied and borrowed), crash confinement, a
 * clean stop (run under ASan: no leak), and an actor queued alone behind a long turn
 * that an awake worker still takes (sched.c lets a sender's lone receiver wait for the
 * sender's turn to end, but only while the thief looks a few times).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "actor_util.h"

static void test_spawn_send_stop(void **st) {
  (void)st;
  troupe_runtime *rt = tu_runtime(2);
  assert_non_null(rt);
  static tu_log log;
  tu_log_init(&log);
  troupe_actor_id id;
  assert_int_equal(troupe_spawn(rt, NULL, &tu_recorder, &log, NULL, &id, NULL), 0);
  assert_true(id != 0);
  for (int i = 0; i < 100; i++) {
    unsigned char b = (unsigned char)i;
    assert_int_equal(troupe_send(rt, 0, id, &b, 1), 0);
  }
  assert_true(TU_WAIT(atomic_load(&log.n) == 100));
  for (int i = 0; i < 100; i++) /* FIFO from one sender */
    assert_int_equal(tu_log_get(&log, i).byte, i);
  troupe_runtime_stats s;
  troupe_runtime_stats_get(rt, &s);
  assert_int_equal(s.live, 1);
  assert_int_equal(troupe_runtime_stop(rt, NULL), 0);
  assert_int_equal(troupe_send(rt, 0, id, "x", 1), TROUPE_E_STOPPED);
  troupe_runtime_stats_get(rt, &s);
  assert_int_equal(s.live, 0);
  assert_int_equal(s.msgs_sent, s.msgs_received + s.msgs_dropped);
  troupe_runtime_free(rt);
}

/* A stale id never reaches the newer actor that reuses its slot. */
static void test_stale_id_after_reuse(void **st) {
  (void)st;
  troupe_runtime *rt = tu_runtime(1);
  static tu_log l1, l2;
  tu_log_init(&l1);
  tu_log_init(&l2);
  troupe_actor_id a, b;
  assert_int_equal(troupe_spawn(rt, NULL, &tu_recorder, &l1, NULL, &a, NULL), 0);
  assert_int_equal(troupe_send(rt, 0, a, "stop", 4), 0);
  assert_true(TU_WAIT(tu_dead(rt, a)));
  assert_int_equal(troupe_send(rt, 0, a, "x", 1), TROUPE_E_NOTFOUND);
  assert_int_equal(troupe_spawn(rt, NULL, &tu_recorder, &l2, NULL, &b, NULL), 0);
  assert_int_equal((uint32_t)b, (uint32_t)a);  /* same slot ... */
  assert_true(b != a);                          /* ... new generation */
  assert_int_equal(troupe_send(rt, 0, a, "x", 1), TROUPE_E_NOTFOUND);
  assert_int_equal(troupe_send(rt, 0, b, "y", 1), 0);
  assert_true(TU_WAIT(atomic_load(&l2.n) == 1));
  assert_int_equal(tu_log_get(&l2, 0).byte, 'y');
  assert_int_equal(troupe_send(rt, 0, 0, "x", 1), TROUPE_E_NOTFOUND);
  assert_int_equal(troupe_send(rt, 0, ((uint64_t)1 << 32) | 123456, "x", 1), TROUPE_E_NOTFOUND);
  troupe_runtime_free(rt);
}

typedef struct ext_arg {
  troupe_runtime *rt;
  troupe_actor_id to;
  int base;
} ext_arg;

static void *ext_sender(void *p) {
  ext_arg *a = p;
  for (int i = 0; i < 500; i++) {
    unsigned char b = (unsigned char)(a->base + (i % 2));
    troupe_send(a->rt, 0, a->to, &b, 1);
  }
  return NULL;
}

/* Sends from threads that are not workers (the embedder's) arrive. */
static void test_send_from_foreign_threads(void **st) {
  (void)st;
  troupe_runtime *rt = tu_runtime(2);
  static tu_log log;
  tu_log_init(&log);
  troupe_actor_id id;
  assert_int_equal(troupe_spawn(rt, NULL, &tu_recorder, &log, NULL, &id, NULL), 0);
  pthread_t th[4];
  ext_arg args[4];
  for (int i = 0; i < 4; i++) {
    args[i] = (ext_arg){rt, id, i * 2};
    pthread_create(&th[i], NULL, ext_sender, &args[i]);
  }
  for (int i = 0; i < 4; i++)
    pthread_join(th[i], NULL);
  assert_true(TU_WAIT(atomic_load(&log.n) == 2000));
  troupe_runtime_free(rt);
}

static _Atomic int released;
static void on_release(void *user, const void *data, size_t len) {
  (void)data;
  (void)len;
  atomic_fetch_add((_Atomic int *)user, 1);
}

static void test_payloads(void **st) {
  (void)st;
  troupe_runtime *rt = tu_runtime(1);
  static tu_log log;
  tu_log_init(&log);
  troupe_actor_id id;
  assert_int_equal(troupe_spawn(rt, NULL, &tu_recorder, &log, NULL, &id, NULL), 0);
  char big[10000];
  memset(big, 'B', sizeof big);
  assert_int_equal(troupe_send(rt, 0, id, big, sizeof big), 0); /* heap node, copied */
  memset(big, 0, sizeof big);
  static const char borrowed[] = "borrowed";
  troupe_send_args a = {.to = id, .data = borrowed, .len = 8, .release = on_release,
                        .release_user = &released};
  assert_int_equal(troupe_send_ex(rt, &a), 0);
  assert_true(TU_WAIT(atomic_load(&log.n) == 2));
  assert_int_equal(tu_log_get(&log, 0).byte, 'B');
  assert_int_equal(tu_log_get(&log, 1).byte, 'b');
  assert_true(TU_WAIT(atomic_load(&released) == 1));
  a.to = ((uint64_t)7 << 32) | 99; /* failing send still releases exactly once */
  assert_int_equal(troupe_send_ex(rt, &a), TROUPE_E_NOTFOUND);
  assert_int_equal(atomic_load(&released), 2);
  troupe_runtime_free(rt);
}

/* A failing callback is a crash of that actor only. */
static void test_crash_confined(void **st) {
  (void)st;
  troupe_runtime *rt = tu_runtime(2);
  static tu_log l1, l2;
  tu_log_init(&l1);
  tu_log_init(&l2);
  troupe_actor_id a, b;
  assert_int_equal(troupe_spawn(rt, NULL, &tu_recorder, &l1, NULL, &a, NULL), 0);
  assert_int_equal(troupe_spawn(rt, NULL, &tu_recorder, &l2, NULL, &b, NULL), 0);
  assert_int_equal(troupe_send(rt, 0, a, "crash", 5), 0);
  assert_true(TU_WAIT(tu_dead(rt, a)));
  assert_int_equal(troupe_send(rt, 0, b, "ok", 2), 0);
  assert_true(TU_WAIT(atomic_load(&l2.n) == 1));
  assert_true(troupe_actor_alive(rt, b));
  troupe_runtime_stats s;
  troupe_runtime_stats_get(rt, &s);
  assert_int_equal(s.crashed, 1);
  troupe_runtime_free(rt);
}

static int fail_init(troupe_actor *self, void *arg, troupe_err *err) {
  return troupe_err_set(err, TROUPE_E_INVAL, "bad config");
}
static const troupe_behaviour failing = {"failing", fail_init, tu_rec_handle, NULL};

static void test_init_failure(void **st) {
  (void)st;
  troupe_runtime *rt = tu_runtime(1);
  troupe_actor_id a;
  assert_int_equal(troupe_spawn(rt, NULL, &failing, NULL, NULL, &a, NULL), 0);
  assert_true(TU_WAIT(tu_dead(rt, a)));
  assert_int_equal(troupe_spawn(rt, NULL, NULL, NULL, NULL, &a, NULL), TROUPE_E_INVAL);
  troupe_runtime_free(rt);
}

/* The long actor sends to two short ones from inside its turn (queued on its worker:
 * two wake a parked worker; one alone would wait for the turn to end, by design), then
 * keeps its turn going until both have run or 10 s have passed. The other worker takes
 * the first at once and the second, now queued alone, once it has seen the long turn
 * go on for a few looks: both run during the turn. */
typedef struct lone {
  troupe_actor_id shorty[2];
  _Atomic int short_ran;
  _Atomic bool ran_during_turn, long_done;
} lone;

static int short_handle(troupe_actor *self, const troupe_message *m, troupe_err *err) {
  (void)m;
  (void)err;
  lone *l = troupe_actor_state(self);
  atomic_fetch_add(&l->short_ran, 1);
  return TROUPE_CONTINUE;
}

static int long_handle(troupe_actor *self, const troupe_message *m, troupe_err *err) {
  (void)m;
  (void)err;
  lone *l = troupe_actor_state(self);
  for (int i = 0; i < 2; i++)
    if (troupe_send(troupe_actor_runtime(self), troupe_self(self), l->shorty[i], "s", 1))
      return -1;
  uint64_t dl = troupe_clock_mono_ns() + 10000000000ull;
  while (atomic_load(&l->short_ran) < 2 && troupe_clock_mono_ns() < dl)
    ;
  atomic_store(&l->ran_during_turn, atomic_load(&l->short_ran) == 2);
  atomic_store(&l->long_done, true);
  return TROUPE_CONTINUE;
}

static void test_lone_actor_behind_long_turn(void **st) {
  (void)st;
  troupe_runtime *rt = tu_runtime(2);
  assert_non_null(rt);
  static lone l;
  static const troupe_behaviour shortb = {.name = "short", .handle = short_handle};
  static const troupe_behaviour longb = {.name = "long", .handle = long_handle};
  troupe_actor_id lid;
  for (int i = 0; i < 2; i++)
    assert_int_equal(troupe_spawn(rt, NULL, &shortb, &l, NULL, &l.shorty[i], NULL), 0);
  assert_int_equal(troupe_spawn(rt, NULL, &longb, &l, NULL, &lid, NULL), 0);
  assert_int_equal(troupe_send(rt, 0, lid, "go", 2), 0);
  assert_true(TU_WAIT(atomic_load(&l.long_done)));
  assert_true(atomic_load(&l.ran_during_turn));
  assert_int_equal(troupe_runtime_stop(rt, NULL), 0);
  troupe_runtime_free(rt);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_lone_actor_behind_long_turn),
      cmocka_unit_test(test_spawn_send_stop),   cmocka_unit_test(test_stale_id_after_reuse),
      cmocka_unit_test(test_send_from_foreign_threads), cmocka_unit_test(test_payloads),
      cmocka_unit_test(test_crash_confined),    cmocka_unit_test(test_init_failure),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
