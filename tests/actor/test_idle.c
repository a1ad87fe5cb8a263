/*
 * tests/actor/test_idle.c: idle workers park. After a burst of work the runtime goes
 * quiet; over 200 ms of idleness the process uses almost no CPU (a loose bound: it
 * checks that workers sleep instead of spinning, not how fast anything is). No wake-up
 * is lost: not for sends from outside, not for a blocking ask whose wake-up the asker
 * defers (sched.c, "Deferred wake-ups"). Only max_spinning workers spin at a time
 * (sched.c, "Idle spinners"; white-box). Workers with nothing to run do the layers'
 * deferred work (base/idle.h), and count as its runners only while they exist.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sched.h>
#include <sys/resource.h>

#include "actor/core.h"
#include "base/idle.h"
#include "actor_util.h"

static uint64_t cpu_ns(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000ull +
         (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000ull;
}

static void test_idle_workers_park(void **st) {
  (void)st;
  troupe_runtime *rt = tu_runtime(4);
  static tu_log log;
  tu_log_init(&log);
  troupe_actor_id ids[100];
  for (int i = 0; i < 100; i++) {
    assert_int_equal(troupe_spawn(rt, NULL, &tu_recorder, &log, NULL, &ids[i], NULL), 0);
    assert_int_equal(troupe_send(rt, 0, ids[i], "x", 1), 0);
  }
  assert_true(TU_WAIT(atomic_load(&log.n) == 100));
  /* a pending far timer must not make workers spin either */
  troupe_send_args a = {.to = ids[0], .data = "t", .len = 1};
  assert_int_equal(troupe_send_after(rt, &a, TROUPE_SEC(3600), NULL), 0);
  tu_sleep_ms(50);
  uint64_t c0 = cpu_ns();
  tu_sleep_ms(200);
  uint64_t used = cpu_ns() - c0;
  /* four spinning workers would burn ~800 ms; parked ones a few ms at most */
  assert_true(used < TROUPE_MS(40));
  troupe_runtime_stats s;
  troupe_runtime_stats_get(rt, &s);
  assert_true(s.parks > 0);
  troupe_runtime_free(rt);
}

/* Regression: a wake-up request left pending by a worker that was leaving park made
 * later requests skip their futex wake while every worker slept (found by stopping a
 * million actors: some shutdowns waited for the 5 s kill timeout). Each round lets
 * the workers go idle, then needs a wake-up from this thread; a lost one would stall
 * a round until the deadline. */
static _Atomic long pongs;
static int pong_handle(troupe_actor *self, const troupe_message *m, troupe_err *err) {
  atomic_fetch_add(&pongs, 1);
  return TROUPE_CONTINUE;
}
static const troupe_behaviour pong = {"pong", NULL, pong_handle, NULL};

static void test_no_lost_wakeups(void **st) {
  (void)st;
  troupe_runtime *rt = tu_runtime(2);
  troupe_actor_id ids[8];
  for (int i = 0; i < 8; i++)
    assert_int_equal(troupe_spawn(rt, NULL, &pong, NULL, NULL, &ids[i], NULL), 0);
  long want = 0;
  uint64_t stall = 0;
  for (int round = 0; round < 3000; round++) {
    int k = 1 + round % 8;
    for (int i = 0; i < k; i++)
      assert_int_equal(troupe_send(rt, 0, ids[(round + i) % 8], "p", 1), 0);
    want += k;
    uint64_t t0 = troupe_clock_mono_ns();
    while (atomic_load(&pongs) < want) {
      if (troupe_clock_mono_ns() - t0 > TROUPE_SEC(10))
        fail_msg("round %d stalled: a wake-up was lost", round);
      if (round % 3 == 0)
        sched_yield();
    }
    uint64_t dt = troupe_clock_mono_ns() - t0;
    if (dt > stall)
      stall = dt;
    if (round % 50 == 0)
      tu_sleep_ms(1); /* let workers park */
  }
  troupe_runtime_free(rt);
}

static int echo_handle(troupe_actor *self, const troupe_message *m, troupe_err *err) {
  (void)err;
  if (m->kind == TROUPE_MSG_ASK)
    troupe_reply(troupe_actor_runtime(self), troupe_self(self), m->corr, m->data, m->len);
  return TROUPE_CONTINUE;
}
static const troupe_behaviour echo = {"echo", NULL, echo_handle, NULL};

/* The asker defers the wake-up its question causes and pays it only when no worker took
 * the question in time: asked of a runtime whose workers all sleep, the question must
 * still be answered (well within the timeout: a lost wake-up would wait for it). */
static void test_blocking_ask_wakes_parked_workers(void **st) {
  (void)st;
  for (unsigned workers = 1; workers <= 3; workers++) {
    troupe_runtime *rt = tu_runtime(workers);
    troupe_actor_id id;
    assert_int_equal(troupe_spawn(rt, NULL, &echo, NULL, NULL, &id, NULL), 0);
    for (uint32_t round = 0; round < 150; round++) {
      if (round % 3 == 0)
        tu_sleep_ms(2); /* the workers park (or are about to) */
      troupe_reply_msg r;
      troupe_err err = {0};
      assert_int_equal(troupe_ask(rt, id, 7, &round, sizeof round, TROUPE_SEC(10), &r, &err), 0);
      assert_int_equal(r.len, sizeof round);
      assert_memory_equal(r.data, &round, sizeof round);
      troupe_reply_free(&r);
    }
    troupe_runtime_free(rt);
  }
}

/* Sampled while bursts of work come and go: never more spinners than allowed. */
static void test_spinners_bounded(void **st) {
  (void)st;
  troupe_runtime *rt = tu_runtime(4);
  assert_int_equal(rt->max_spinning, 1);
  troupe_actor_id ids[8];
  for (int i = 0; i < 8; i++)
    assert_int_equal(troupe_spawn(rt, NULL, &pong, NULL, NULL, &ids[i], NULL), 0);
  atomic_store(&pongs, 0);
  long want = 0;
  int32_t most = 0;
  for (int round = 0; round < 400; round++) {
    for (int i = 0; i < 8; i++)
      assert_int_equal(troupe_send(rt, 0, ids[i], "p", 1), 0);
    want += 8;
    for (int k = 0; k < 200; k++) {
      int32_t n = atomic_load(&rt->spinning);
      assert_true(n >= 0);
      most = n > most ? n : most;
    }
    assert_true(TU_WAIT(atomic_load(&pongs) == want));
  }
  assert_true(most <= rt->max_spinning);
  troupe_runtime_free(rt);
}

/* An idle job with `pending` steps of work, each recording whether it ran on one of the
 * runtime's workers. */
static _Atomic int pending, done_on_worker, done_elsewhere;

static bool count_job(void) {
  int n = atomic_load(&pending);
  while (n > 0)
    if (atomic_compare_exchange_weak(&pending, &n, n - 1)) {
      atomic_fetch_add(trA_tls_worker ? &done_on_worker : &done_elsewhere, 1);
      return true;
    }
  return false;
}

static int done_total(void) {
  return atomic_load(&done_on_worker) + atomic_load(&done_elsewhere);
}

static void test_idle_workers_do_deferred_work(void **st) {
  (void)st;
  int before = trB_idle_runners();
  assert_true(trB_idle_add(count_job));
  assert_true(trB_idle_add(count_job)); /* the same job again: no second slot */
  troupe_runtime *rt = tu_runtime(2);
  assert_true(TU_WAIT(trB_idle_runners() == before + 2)); /* as their threads start */
  /* a worker that ran something and found nothing more does the steps, parked ones
   * do not: each round wakes one with a message */
  static tu_log log;
  tu_log_init(&log);
  troupe_actor_id id;
  assert_int_equal(troupe_spawn(rt, NULL, &tu_recorder, &log, NULL, &id, NULL), 0);
  for (int round = 0; round < 2; round++) {
    tu_sleep_ms(20); /* parked by now */
    atomic_store(&pending, 50);
    tu_sleep_ms(20);
    assert_int_equal(atomic_load(&pending), 50); /* parked workers did none of it */
    assert_int_equal(troupe_send(rt, 0, id, "x", 1), 0);
    /* counted after the step's decrement: wait for the counts, not for pending */
    assert_true(TU_WAIT(done_total() == 50 * (round + 1)));
    assert_int_equal(atomic_load(&done_on_worker), 50 * (round + 1));
  }
  assert_int_equal(atomic_load(&done_elsewhere), 0);
  troupe_runtime_free(rt);
  assert_int_equal(trB_idle_runners(), before);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_idle_workers_park),
                                     cmocka_unit_test(test_no_lost_wakeups),
                                     cmocka_unit_test(test_blocking_ask_wakes_parked_workers),
                                     cmocka_unit_test(test_spinners_bounded),
                                     cmocka_unit_test(test_idle_workers_do_deferred_work)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
