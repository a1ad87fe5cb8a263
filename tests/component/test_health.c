/*
 * tests/component/test_health.c: _health, polled at the supervisor's interval. Degraded
 * shows in the component's info (and the registry) without a restart; the configured
 * number of consecutive unhealthy answers restarts it; a component busy waiting on a
 * long ask keeps its last answer instead of being judged unhealthy for the wait.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "comp_util.h"

static cu_host c;

static int setup(void **state) {
  (void)state;
  return cu_host_new(&c, 2);
}

static int teardown(void **state) {
  (void)state;
  cu_host_free(&c);
  return 0;
}

static troupe_health health_of(troupe_component_id id, char **reason) {
  troupe_component_info info;
  if (troupe_host_info(c.h, id, &info, NULL))
    return TROUPE_HEALTH_UNKNOWN;
  troupe_health h = info.health;
  if (reason)
    *reason = info.health_reason ? strdup(info.health_reason) : NULL;
  troupe_component_info_clear(&info);
  return h;
}

static void degraded_then_unhealthy(void **state) {
  (void)state;
  troupe_component_spec s = cu_spec("checked", "probe");
  s.health_interval_ms = 30;
  s.health_threshold = 3;
  troupe_component_id id = cu_spawn(&c, &s);
  assert_true(id);
  assert_true(CU_WAIT(health_of(id, NULL) == TROUPE_HEALTH_HEALTHY));
  assert_int_equal(cu_invoke_int(&c, id, "set_health", "1"), 0);
  assert_true(CU_WAIT(health_of(id, NULL) == TROUPE_HEALTH_DEGRADED));
  char *reason = NULL;
  health_of(id, &reason);
  assert_non_null(reason);
  assert_string_equal(reason, "told to");
  free(reason);
  /* the registry shows it too, on the component's actor */
  troupe_component_info info;
  assert_int_equal(troupe_host_info(c.h, id, &info, NULL), 0);
  troupe_actor_info ai;
  assert_true(CU_WAIT(troupe_registry_info(troupe_host_runtime(c.h), info.actor, &ai) == 0 &&
                      (ai.health == TROUPE_HEALTH_DEGRADED || (troupe_actor_info_clear(&ai), false))));
  troupe_actor_info_clear(&ai);
  troupe_component_info_clear(&info);
  assert_int_equal(cu_restarts(&c, id), 0);
  /* unhealthy three times in a row: restarted, and the new instance is healthy again */
  assert_int_equal(cu_invoke_int(&c, id, "set_health", "2"), 0);
  assert_true(CU_WAIT(cu_restarts(&c, id) >= 1));
  assert_true(CU_WAIT(cu_state(&c, id) == TROUPE_COMPONENT_READY &&
                      health_of(id, NULL) == TROUPE_HEALTH_HEALTHY));
  /* the end of the unhealthy incarnation says why, in its info and the audit log */
  assert_int_equal(troupe_host_info(c.h, id, &info, NULL), 0);
  assert_non_null(info.last_exit.message);
  assert_non_null(strstr(info.last_exit.message, "unhealthy: told to"));
  troupe_component_info_clear(&info);
  assert_true(cu_log_has(&c.log, "component_stopped", "message=unhealthy: told to"));
  /* each change of the answer was a record: degraded, unhealthy, healthy again */
  assert_true(cu_log_has(&c.log, "component_health", "health=degraded"));
  assert_true(cu_log_has(&c.log, "component_health", "health=unhealthy reason=told to"));
  assert_true(CU_WAIT(cu_log_has(&c.log, "component_health", "health=healthy")));
}

static void busy_waiting_is_not_unhealthy(void **state) {
  (void)state;
  const char *to[] = {"stuck"};
  troupe_component_spec a = cu_spec("patient", "probe"), b = cu_spec("stuck", "probe");
  a.caps.send_to = (troupe_pattern_list){to, 1};
  a.health_interval_ms = 20;
  a.health_threshold = 2;
  troupe_component_id pa = cu_spawn(&c, &a), pb = cu_spawn(&c, &b);
  assert_true(pa && pb);
  assert_int_equal(cu_send_json(&c, pb, "\"spin\""), 0); /* stuck never answers again */
  /* patient waits 2 s in troupe.ask; ~100 health checks happen meanwhile */
  assert_int_equal(cu_invoke_int(&c, pa, "ask_to", "\"stuck\""), TROUPE_E_TIMEOUT);
  assert_int_equal(cu_restarts(&c, pa), 0);
  assert_int_equal(troupe_host_stop(c.h, pb, NULL), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(degraded_then_unhealthy),
      cmocka_unit_test(busy_waiting_is_not_unhealthy),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
