/*
 * tests/actor/test_sup_health.c: the two extensions beyond OTP. Health checks: the
 * answers reach the registry (and the actor.health event), consecutive Unhealthy answers
 * or missing answers make the supervisor restart the child like a crash. Restart backoff:
 * off by default, and when on the child stays down until the delay has passed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_sup_util.h"

static troupe_health reg_health(troupe_runtime *rt, troupe_actor_id id, char *reason, size_t cap) {
  troupe_actor_info info;
  if (troupe_registry_info(rt, id, &info))
    return TROUPE_HEALTH_UNKNOWN;
  troupe_health h = info.health;
  if (reason)
    snprintf(reason, cap, "%s", info.health_reason ? info.health_reason : "");
  troupe_actor_info_clear(&info);
  return h;
}

static void test_health_reported_and_unhealthy_restarts(void **st) {
  (void)st;
  ts_events ev;
  troupe_logger *lg;
  troupe_runtime *rt = ts_runtime(&ev, &lg);
  ts_child a, plain;
  ts_child_init(&a, "a", NULL);
  ts_child_init(&plain, "plain", NULL);
  atomic_store(&a.health, TROUPE_HEALTH_HEALTHY);
  troupe_child_spec specs[2] = {ts_spec(&a, TROUPE_PERMANENT), ts_spec(&plain, TROUPE_PERMANENT)};
  specs[0].health_interval_ms = 5;
  specs[0].health_threshold = 2;
  specs[0].health_timeout_ms = 5000;
  troupe_actor_id sup;
  assert_int_equal(troupe_sup_start(rt, NULL, specs, 2, &sup, NULL), 0);
  troupe_actor_id pa = atomic_load(&a.pid);
  assert_true(TU_WAIT(reg_health(rt, pa, NULL, 0) == TROUPE_HEALTH_HEALTHY));
  atomic_store(&a.health, TROUPE_HEALTH_DEGRADED);
  char why[64];
  assert_true(TU_WAIT(reg_health(rt, pa, why, sizeof why) == TROUPE_HEALTH_DEGRADED));
  assert_string_equal(why, "test says so");
  assert_true(atomic_load(&ev.health) >= 2);
  assert_int_equal(atomic_load(&a.starts), 1); /* degraded is not a failure */
  atomic_store(&a.health, TROUPE_HEALTH_UNHEALTHY);
  assert_true(TU_WAIT(atomic_load(&a.starts) == 2));
  assert_true(TU_WAIT(tu_dead(rt, pa)));
  troupe_actor_id np = ts_pid_of(rt, sup, "a", NULL);
  assert_true(np != 0 && np != pa);
  troupe_actor_info info;
  assert_int_equal(troupe_registry_info(rt, np, &info), 0);
  assert_int_equal(info.restart_count, 1);
  troupe_actor_info_clear(&info);
  assert_int_equal(atomic_load(&a.last_reason), TROUPE_EXIT_SHUTDOWN); /* stopped in order */
  /* a child without health checks is never asked */
  assert_int_equal(reg_health(rt, atomic_load(&plain.pid), NULL, 0), TROUPE_HEALTH_UNKNOWN);
  troupe_child_counts k;
  assert_int_equal(troupe_sup_count_children(rt, sup, &k, NULL), 0);
  assert_int_equal(k.restarts, 1);
  ts_free(rt, lg);
}

/* A child that never answers is restarted after `threshold` timed-out checks. */
static void test_silent_child_restarted(void **st) {
  (void)st;
  troupe_logger *lg;
  troupe_runtime *rt = ts_runtime(NULL, &lg);
  ts_child a;
  ts_child_init(&a, "a", NULL);
  troupe_child_spec spec = ts_spec(&a, TROUPE_TRANSIENT);
  spec.health_interval_ms = 5;
  spec.health_timeout_ms = 10;
  spec.health_threshold = 2;
  troupe_actor_id sup;
  assert_int_equal(troupe_sup_start(rt, NULL, &spec, 1, &sup, NULL), 0);
  assert_true(TU_WAIT(atomic_load(&a.starts) >= 2)); /* transient: unhealthy is abnormal */
  ts_free(rt, lg);
}

static void test_backoff(void **st) {
  (void)st;
  troupe_logger *lg;
  troupe_runtime *rt = ts_runtime(NULL, &lg);
  ts_child a;
  ts_child_init(&a, "a", NULL);
  troupe_child_spec spec = ts_spec(&a, TROUPE_PERMANENT);
  /* off by default: the restart is done before the next request is served */
  troupe_actor_id sup;
  assert_int_equal(troupe_sup_start(rt, NULL, &spec, 1, &sup, NULL), 0);
  assert_true(ts_kill_with(rt, atomic_load(&a.pid), "crash"));
  assert_true(ts_pid_of(rt, sup, "a", NULL) != 0);
  assert_int_equal(troupe_exit(rt, 0, sup, TROUPE_EXIT_SHUTDOWN, 0, NULL), 0);
  assert_true(TU_WAIT(tu_dead(rt, sup)));

  /* a long delay: the child stays down (restart_child may bring it back early) */
  troupe_sup_config cfg = ts_cfg(TROUPE_ONE_FOR_ONE, 5, 60000);
  cfg.restart_delay_ms = 60000;
  assert_int_equal(troupe_sup_start(rt, &cfg, &spec, 1, &sup, NULL), 0);
  assert_true(ts_kill_with(rt, atomic_load(&a.pid), "crash"));
  assert_int_equal(ts_pid_of(rt, sup, "a", NULL), 0);
  troupe_child_counts k;
  assert_int_equal(troupe_sup_count_children(rt, sup, &k, NULL), 0);
  assert_int_equal(k.restarts, 1); /* counted when decided */
  troupe_actor_id pid;
  assert_int_equal(troupe_sup_restart_child(rt, sup, "a", &pid, NULL), 0);
  assert_true(pid != 0);
  assert_int_equal(troupe_exit(rt, 0, sup, TROUPE_EXIT_SHUTDOWN, 0, NULL), 0);
  assert_true(TU_WAIT(tu_dead(rt, sup)));

  /* a short delay: restarted later on its own */
  cfg.restart_delay_ms = 20;
  int before = atomic_load(&a.starts);
  assert_int_equal(troupe_sup_start(rt, &cfg, &spec, 1, &sup, NULL), 0);
  assert_true(ts_kill_with(rt, atomic_load(&a.pid), "crash"));
  assert_true(TU_WAIT(atomic_load(&a.starts) == before + 2));
  ts_free(rt, lg);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_health_reported_and_unhealthy_restarts),
      cmocka_unit_test(test_silent_child_restarted),
      cmocka_unit_test(test_backoff),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
