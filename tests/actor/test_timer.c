/*
 * tests/actor/test_timer.c: send_after delivers in deadline order, a cancelled timer
 * never fires (cancel after firing reports false), timers started inside an actor run
 * on its worker, and internal callback timers run on a worker thread.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "actor/core.h"
#include "actor_util.h"

/* Order is a per-worker property (each worker fires its own heap in deadline order);
 * with one worker every timer is on the same heap. */
static void test_send_after_order(void **st) {
  (void)st;
  troupe_runtime *rt = tu_runtime(1);
  static tu_log log;
  tu_log_init(&log);
  troupe_actor_id id;
  assert_int_equal(troupe_spawn(rt, NULL, &tu_recorder, &log, NULL, &id, NULL), 0);
  const unsigned delays[] = {40, 10, 25, 1, 60};
  for (unsigned i = 0; i < 5; i++) {
    unsigned char b = (unsigned char)delays[i];
    troupe_send_args a = {.to = id, .data = &b, .len = 1};
    assert_int_equal(troupe_send_after(rt, &a, TROUPE_MS(delays[i]), NULL), 0);
  }
  assert_true(TU_WAIT(atomic_load(&log.n) == 5));
  const int expect[] = {1, 10, 25, 40, 60};
  for (int i = 0; i < 5; i++)
    assert_int_equal(tu_log_get(&log, i).byte, expect[i]);
  troupe_runtime_free(rt);
}

static void test_cancel(void **st) {
  (void)st;
  troupe_runtime *rt = tu_runtime(2);
  static tu_log log;
  tu_log_init(&log);
  troupe_actor_id id;
  assert_int_equal(troupe_spawn(rt, NULL, &tu_recorder, &log, NULL, &id, NULL), 0);
  troupe_send_args a = {.to = id, .data = "c", .len = 1};
  troupe_timer *t1, *t2;
  assert_int_equal(troupe_send_after(rt, &a, TROUPE_MS(20), &t1), 0);
  a.data = "f";
  assert_int_equal(troupe_send_after(rt, &a, TROUPE_MS(5), &t2), 0);
  assert_true(troupe_timer_cancel(t1));
  assert_true(TU_WAIT(atomic_load(&log.n) == 1));
  tu_sleep_ms(60);
  assert_int_equal(atomic_load(&log.n), 1);
  assert_int_equal(tu_log_get(&log, 0).byte, 'f');
  assert_false(troupe_timer_cancel(t2)); /* already fired */
  /* many cancelled timers: all released (ASan) and none fires */
  for (int i = 0; i < 1000; i++) {
    troupe_timer *t;
    assert_int_equal(troupe_send_after(rt, &a, TROUPE_MS(30), &t), 0);
    assert_true(troupe_timer_cancel(t));
  }
  /* a pending timer with a forgotten handle is released at free */
  troupe_timer *t3;
  assert_int_equal(troupe_send_after(rt, &a, TROUPE_SEC(3600), &t3), 0);
  troupe_timer_forget(t3);
  tu_sleep_ms(60);
  assert_int_equal(atomic_load(&log.n), 1);
  troupe_runtime_free(rt);
}

/* An actor arms a timer to itself on each tick until it has 5. */
static int ticker_handle(troupe_actor *self, const troupe_message *m, troupe_err *err) {
  tu_log *l = troupe_actor_state(self);
  tu_log_add(l, m);
  if (atomic_load(&l->n) < 5) {
    troupe_send_args a = {.from = troupe_self(self), .to = troupe_self(self), .tag = 9};
    return troupe_send_after(troupe_actor_runtime(self), &a, TROUPE_MS(2), NULL);
  }
  return TROUPE_CONTINUE;
}
static const troupe_behaviour ticker = {"ticker", NULL, ticker_handle, NULL};

static void test_timer_from_actor(void **st) {
  (void)st;
  troupe_runtime *rt = tu_runtime(1);
  static tu_log log;
  tu_log_init(&log);
  troupe_actor_id id;
  assert_int_equal(troupe_spawn(rt, NULL, &ticker, &log, NULL, &id, NULL), 0);
  assert_int_equal(troupe_send(rt, 0, id, "t", 1), 0);
  assert_true(TU_WAIT(atomic_load(&log.n) == 5));
  assert_int_equal(tu_log_get(&log, 4).tag, 9);
  troupe_runtime_free(rt);
}

static _Atomic int cb_on_worker, cb_ran, dtor_ran;
static troupe_runtime *cb_rt;
static void cb(troupe_runtime *rt, void *arg) {
  atomic_store(&cb_on_worker, trA_current_runtime() == cb_rt && rt == cb_rt);
  atomic_fetch_add(&cb_ran, 1);
}
static void dtor(troupe_runtime *rt, void *arg) { atomic_fetch_add(&dtor_ran, 1); }

static void test_internal_callback_timer(void **st) {
  (void)st;
  cb_rt = tu_runtime(2);
  troupe_timer *h;
  assert_int_equal(trA_timer_start(cb_rt, TROUPE_MS(1), cb, dtor, NULL, false, NULL), 0);
  assert_int_equal(trA_timer_start(cb_rt, TROUPE_SEC(100), cb, dtor, NULL, true, &h), 0);
  assert_true(TU_WAIT(atomic_load(&cb_ran) == 1));
  assert_true(atomic_load(&cb_on_worker));
  assert_true(trA_timer_cancel(h));
  troupe_runtime_free(cb_rt); /* the cancelled timer's dtor runs by now */
  assert_int_equal(atomic_load(&dtor_ran), 1);
  assert_int_equal(atomic_load(&cb_ran), 1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_send_after_order),
      cmocka_unit_test(test_cancel),
      cmocka_unit_test(test_timer_from_actor),
      cmocka_unit_test(test_internal_callback_timer),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
