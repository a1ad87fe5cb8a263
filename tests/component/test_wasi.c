/*
 * tests/component/test_wasi.c: WASI preview 1 for components. Output on stdout and
 * stderr becomes log records tagged with the component, one per line (a last partial
 * line when the incarnation ends); arguments and environment come from the spec;
 * clocks work; a sleep suspends the instance (test_preempt.c shows the worker is free).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "comp_util.h"

static void output_args_env(void **state) {
  (void)state;
  cu_host c;
  assert_int_equal(cu_host_new(&c, 2), 0);
  troupe_component_spec s = cu_spec("wasi-probe", "probe");
  const char *argv[] = {"probe", "first", "two words"};
  const char *env[] = {"GREETING=hello", "EMPTY="};
  s.argv = argv;
  s.argc = 3;
  s.env = env;
  s.envc = 2;
  troupe_component_id id = cu_spawn(&c, &s);
  assert_true(id);
  char *out;
  assert_int_equal(cu_invoke(&c, id, "print", NULL, &out), 0);
  free(out);
  assert_true(cu_log_has(&c.log, "component_output", "line=hello from probe"));
  assert_true(cu_log_has(&c.log, "component_output", "name=wasi-probe"));
  assert_false(cu_log_has(&c.log, "component_output", "line=partial"));
  struct {
    const char *fn, *arg, *want;
  } cases[] = {
      {"env_of", "\"GREETING\"", "\"hello\""}, {"env_of", "\"EMPTY\"", "\"\""},
      {"env_of", "\"PATH\"", "null"},          {"arg_at", "0", "\"probe\""},
      {"arg_at", "2", "\"two words\""},         {"arg_at", "3", "null"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    assert_int_equal(cu_invoke(&c, id, cases[i].fn, cases[i].arg, &out), 0);
    assert_string_equal(out, cases[i].want);
    free(out);
  }
  assert_true(cu_invoke_int(&c, id, "sleep_ms", "30") >= 30);
  assert_int_equal(troupe_host_stop(c.h, id, NULL), 0);
  assert_true(cu_log_has(&c.log, "component_output", "line=partial")); /* flushed at the end */
  cu_host_free(&c);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(output_args_env),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
