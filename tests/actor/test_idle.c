/*
 * tests/actor/test_idle.c: idle workers park. After a burst of work the runtime goes
 * quiet; over 200 ms of idleness the process uses almost no CPU (a loose bound: it
 * checks that workers sleep instead of spinning, not how fast anything is).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/resource.h>

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

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_idle_workers_park)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
