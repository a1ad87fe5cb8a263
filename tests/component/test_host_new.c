/*
 * tests/component/test_host_new.c: starting a host (include/troupe/component.h,
 * troupe_host_new): NULL config means the defaults, a missing out or a simple_one_for_one
 * root supervisor is refused with INVAL, and under memory exhaustion (the Nth allocation
 * and every later one failing, swept until the host starts anyway) each failed start
 * says out of memory and leaves nothing behind (ASan: no leak) -- the host's
 * half-built parts are taken down in order. Also the names of the component states.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/base.h"
#include "troupe/component.h"

static void test_config_checked(void **st) {
  (void)st;
  troupe_err err;
  troupe_host *h = (troupe_host *)&err; /* must be cleared on failure */
  assert_int_equal(troupe_host_new(NULL, NULL, &err), TROUPE_E_INVAL);
  assert_non_null(strstr(err.msg, "out is NULL"));

  troupe_host_config cfg;
  troupe_host_config_init(&cfg);
  cfg.supervisor.strategy = TROUPE_SIMPLE_ONE_FOR_ONE;
  assert_int_equal(troupe_host_new(&cfg, &h, &err), TROUPE_E_INVAL);
  assert_null(h);
  assert_non_null(strstr(err.msg, "simple_one_for_one"));

  /* no config: the defaults (a runtime, a broker, the root supervisor) */
  assert_int_equal(troupe_host_new(NULL, &h, &err), 0);
  assert_non_null(h);
  assert_non_null(troupe_host_runtime(h));
  troupe_host_free(h);
  assert_null(troupe_host_runtime(NULL));
  troupe_host_free(NULL); /* harmless */
  troupe_host_config_init(NULL);
}

static void test_start_under_oom(void **st) {
  (void)st;
  troupe_host_config cfg;
  troupe_host_config_init(&cfg);
  cfg.workers = 2;
  long n;
  int failures = 0;
  for (n = 0; n < 5000; n++) {
    troupe_host *h = NULL;
    troupe_err err;
    troupe_err_clear(&err);
    trB_alloc_fail_after(n);
    int rc = troupe_host_new(&cfg, &h, &err);
    trB_alloc_fail_after(-1);
    if (rc == 0) {
      troupe_host_free(h);
      break;
    }
    failures++;
    assert_null(h);
    /* NOMEM; or, when the root supervisor ran out of memory starting on its worker,
     * NOT_RUNNING "supervisor exited during start: ... out of memory" (troupe_sup_start
     * passes that on; supervisor.h lists NOMEM) */
    bool nomem = rc == TROUPE_E_NOMEM ||
                 (rc == TROUPE_E_NOT_RUNNING && strstr(err.msg, "out of memory"));
    if (!nomem)
      fail_msg("allocation %ld failing: %s (%s), not NOMEM", n, troupe_err_name(rc), err.msg);
    assert_true(err.msg[0] != '\0');
  }
  assert_true(failures > 10); /* the sweep went through the whole start */
  assert_true(n < 5000);      /* and ended with a host that started */
}

static void test_state_names(void **st) {
  (void)st;
  assert_string_equal(troupe_component_state_name(TROUPE_COMPONENT_CREATING), "creating");
  assert_string_equal(troupe_component_state_name(TROUPE_COMPONENT_STARTING), "starting");
  assert_string_equal(troupe_component_state_name(TROUPE_COMPONENT_READY), "ready");
  assert_string_equal(troupe_component_state_name(TROUPE_COMPONENT_STOPPING), "stopping");
  assert_string_equal(troupe_component_state_name(TROUPE_COMPONENT_TERMINATED), "terminated");
  assert_string_equal(troupe_component_state_name(TROUPE_COMPONENT_FAILED), "failed");
  assert_string_equal(troupe_component_state_name((troupe_component_state)99), "unknown");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_config_checked),
      cmocka_unit_test(test_start_under_oom),
      cmocka_unit_test(test_state_names),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
