/*
 * tests/actor/test_timer_cancel.c: a timer cancelled on its own worker leaves the heap
 * at once (its destructor runs inside the cancel), whichever heap position it had; a
 * timer cancelled from another thread is dropped by its worker later, never fired.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "actor/core.h"
#include "actor_util.h"

static _Atomic int fired, dropped;
static _Atomic int result; /* 1 = every check inside the handler held, -1 = one failed */
static troupe_timer *foreign; /* cancelled by the test thread */

static void t_fire(troupe_runtime *rt, void *arg) {
  (void)rt;
  (void)arg;
  atomic_fetch_add(&fired, 1);
}

static void t_drop(troupe_runtime *rt, void *arg) {
  (void)rt;
  (void)arg;
  atomic_fetch_add(&dropped, 1);
}

static int tc_handle(troupe_actor *self, const troupe_message *m, troupe_err *err) {
  (void)err;
  troupe_runtime *rt = troupe_actor_runtime(self);
  if (m->kind != TROUPE_MSG_USER)
    return TROUPE_CONTINUE;
  trA_worker *w = trA_tls_worker;
  size_t base = w->timers.n;
  troupe_timer *t[40];
  /* Deadlines out of order so the heap moves entries around. */
  for (int i = 0; i < 40; i++)
    if (trA_timer_start(rt, TROUPE_SEC(100 + (uint64_t)((i * 17) % 40)), t_fire, t_drop, NULL,
                        true, &t[i]))
      goto bad;
  if (w->timers.n != base + 40)
    goto bad;
  /* Cancel in another scrambled order: each leaves the heap now, dtor included. */
  for (int k = 0; k < 40; k++) {
    int i = (k * 7 + 5) % 40;
    int before = atomic_load(&dropped);
    if (!trA_timer_cancel(t[i]) || atomic_load(&dropped) != before + 1 ||
        w->timers.n != base + 39 - (size_t)k)
      goto bad;
    /* The heap is still a heap: every parent is due no later than its children. */
    for (size_t j = 1; j < w->timers.n; j++)
      if (w->timers.v[(j - 1) / 2]->deadline > w->timers.v[j]->deadline ||
          w->timers.v[j]->hidx != j)
        goto bad;
  }
  if (trA_timer_start(rt, TROUPE_MS(50), t_fire, t_drop, NULL, true, &foreign))
    goto bad;
  atomic_store(&result, 1);
  return TROUPE_CONTINUE;
bad:
  atomic_store(&result, -1);
  return TROUPE_CONTINUE;
}

static const troupe_behaviour tc_b = {.name = "tc", .handle = tc_handle};

static void test_owner_cancel_is_eager(void **st) {
  (void)st;
  troupe_runtime *rt = tu_runtime(2);
  assert_non_null(rt);
  troupe_actor_id id;
  assert_int_equal(troupe_spawn(rt, NULL, &tc_b, NULL, NULL, &id, NULL), 0);
  assert_int_equal(troupe_send(rt, 0, id, "x", 1), 0);
  assert_true(TU_WAIT(atomic_load(&result) != 0));
  assert_int_equal(atomic_load(&result), 1);
  assert_int_equal(atomic_load(&dropped), 40);
  /* From this (non-worker) thread: marked, then dropped by the worker, never fired. */
  assert_true(trA_timer_cancel(foreign));
  assert_true(TU_WAIT(atomic_load(&dropped) == 41));
  tu_sleep_ms(100);
  assert_int_equal(atomic_load(&fired), 0);
  assert_int_equal(troupe_runtime_stop(rt, NULL), 0);
  troupe_runtime_free(rt);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_owner_cancel_is_eager),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
