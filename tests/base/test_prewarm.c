/*
 * tests/base/test_prewarm.c: the prewarm helper (src/base/prewarm.h), as specifications:
 *   - started, it fills its reserve without being asked; a chunk taken is 64 KiB, page
 *     aligned, all zero, from the reserve; without a helper a chunk is a fresh mapping,
 *     zero all the same;
 *   - a job runs on the helper after want; one queued and cancelled never runs; cancel
 *     of a running job returns when it is over; without a helper want refuses;
 *   - starts and stops nest, one stop too many is ignored, the last gives the reserve back;
 *   - touching memory leaves it zero.
 * Waits are bounded (5 s) so a broken helper fails the test rather than hanging it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include "base/prewarm.h"

#include <stdatomic.h>
#include <time.h>

static void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

typedef struct counter_job {
  trB_prewarm_job job;
  atomic_int runs;
  atomic_bool hold; /* the job blocks while this is true (at most 5 s) */
  atomic_bool started;
} counter_job;

static void count_run(void *arg) {
  counter_job *c = arg;
  atomic_store(&c->started, true);
  for (int i = 0; i < 5000 && atomic_load(&c->hold); i++)
    sleep_ms(1);
  atomic_fetch_add(&c->runs, 1);
}

static bool eventually(bool (*cond)(void *), void *arg) {
  for (int i = 0; i < 5000; i++) {
    if (cond(arg))
      return true;
    sleep_ms(1);
  }
  return false;
}

static bool has_reserve(void *arg) {
  (void)arg;
  return trB_prewarm_reserve_chunks() > 0;
}
static bool ran_once(void *arg) { return atomic_load(&((counter_job *)arg)->runs) >= 1; }
static bool started(void *arg) { return atomic_load(&((counter_job *)arg)->started); }

static void assert_zero_chunk(const unsigned char *c) {
  assert_non_null(c);
  assert_int_equal((uintptr_t)c % 4096, 0);
  for (size_t i = 0; i < TRB_CHUNK; i++)
    if (c[i])
      fail_msg("chunk byte %zu is %d", i, c[i]);
}

static void test_reserve(void **state) {
  (void)state;
  assert_zero_chunk(trB_chunk_take()); /* no helper: a fresh mapping */
  assert_int_equal(trB_prewarm_start(), 0);
  assert_true(eventually(has_reserve, NULL));
  unsigned char *c = trB_chunk_take();
  assert_zero_chunk(c);
  memset(c, 7, TRB_CHUNK); /* ours to use */
  assert_true(eventually(has_reserve, NULL)); /* and refilled */
  trB_prewarm_stop();
  assert_int_equal(trB_prewarm_reserve_chunks(), 0); /* given back at the last stop */
}

static void test_jobs(void **state) {
  (void)state;
  counter_job a = {.job = {.fn = count_run}};
  a.job.arg = &a;
  assert_false(trB_prewarm_want(&a.job)); /* no helper */
  assert_int_equal(trB_prewarm_start(), 0);
  assert_int_equal(trB_prewarm_start(), 0); /* a second user shares it */
  assert_true(trB_prewarm_want(&a.job));
  assert_true(eventually(ran_once, &a));

  /* b queued behind a running a, then cancelled: never runs; cancel(a) waits for a */
  counter_job b = {.job = {.fn = count_run}};
  b.job.arg = &b;
  atomic_store(&a.hold, true);
  atomic_store(&a.started, false);
  assert_true(trB_prewarm_want(&a.job));
  assert_true(eventually(started, &a));
  assert_true(trB_prewarm_want(&b.job));
  trB_prewarm_cancel(&b.job);
  atomic_store(&a.hold, false);
  trB_prewarm_cancel(&a.job);
  assert_int_equal(atomic_load(&a.runs), 2);
  sleep_ms(20);
  assert_int_equal(atomic_load(&b.runs), 0);

  trB_prewarm_stop();
  assert_true(trB_prewarm_want(&b.job)); /* one user left: still running */
  trB_prewarm_cancel(&b.job);
  trB_prewarm_stop();
  assert_false(trB_prewarm_want(&b.job));
  trB_prewarm_stop(); /* one stop too many is ignored */
  assert_int_equal(trB_prewarm_start(), 0); /* and it starts again */
  assert_true(trB_prewarm_want(&b.job));
  assert_true(eventually(ran_once, &b));
  trB_prewarm_stop();
}

static void test_touch_keeps_zero(void **state) {
  (void)state;
  unsigned char *c = trB_chunk_take();
  assert_non_null(c);
  trB_prewarm_touch(c, TRB_CHUNK);
  assert_zero_chunk(c);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_reserve),
      cmocka_unit_test(test_jobs),
      cmocka_unit_test(test_touch_keeps_zero),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
