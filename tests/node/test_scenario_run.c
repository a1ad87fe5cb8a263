/*
 * tests/node/test_scenario_run.c: scenarios run against the example components, their
 * TAP read back: the exact output of a small scenario (a pass, a failure with its
 * diagnostic block, an escaped '#'), a wrong reply failing with the difference while
 * later steps still run, a missing event failing when its timeout ends, an expected
 * error that does not come, an event that should not come, `eventually` giving up with
 * the last reply, a module by path, a spawn that fails and the steps it skips, the
 * subtest form and -v's log lines; a manifest's application started and talked to, and
 * one that does not start.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "troupe/scenario.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef TROUPE_COMPONENTS_DIR
#error "TROUPE_COMPONENTS_DIR must name the folder of the built components"
#endif

typedef struct ran {
  char *tap;
  troupe_scenario_summary sum;
} ran;

/* Parse text as `path` (ref: from the built components) and run it at `level`. */
static ran run_text(const char *text, const char *path, int level, bool verbose) {
  troupe_scenario_config cfg;
  troupe_scenario_config_init(&cfg);
  cfg.components_dir = TROUPE_COMPONENTS_DIR;
  cfg.verbose = verbose;
  cfg.workers = 2;
  troupe_scenario *s = NULL;
  troupe_err err;
  troupe_err_clear(&err);
  if (troupe_scenario_parse(text, strlen(text), path, &cfg, &s, &err))
    fail_msg("parse: %s", troupe_err_message(&err));
  ran r = {0};
  size_t len = 0;
  FILE *f = open_memstream(&r.tap, &len);
  assert_non_null(f);
  assert_int_equal(troupe_scenario_run(s, f, level, &r.sum, &err), TROUPE_OK);
  fclose(f);
  troupe_scenario_free(s);
  return r;
}

static ran run_file(const char *path) {
  troupe_scenario_config cfg;
  troupe_scenario_config_init(&cfg);
  cfg.components_dir = TROUPE_COMPONENTS_DIR;
  troupe_scenario *s = NULL;
  troupe_err err;
  if (troupe_scenario_load(path, &cfg, &s, &err))
    fail_msg("load: %s", troupe_err_message(&err));
  ran r = {0};
  size_t len = 0;
  FILE *f = open_memstream(&r.tap, &len);
  assert_non_null(f);
  assert_int_equal(troupe_scenario_run(s, f, 0, &r.sum, &err), TROUPE_OK);
  fclose(f);
  troupe_scenario_free(s);
  return r;
}

static void has(const ran *r, const char *text) {
  if (!strstr(r->tap, text))
    fail_msg("TAP lacks '%s':\n%s", text, r->tap);
}

static const char small[] = "name: exact\n"
                            "components:\n"
                            "  - name: echo\n"
                            "    ref: echo\n"
                            "steps:\n"
                            "  - ask: echo\n"
                            "    payload: {a: 1}\n"
                            "    expect: {a: 1}\n"
                            "  - name: 'a # in a name'\n"
                            "    invoke: echo\n"
                            "    function: echo\n"
                            "    args: [1, 2]\n"
                            "    expect: [1, 3]\n"
                            "  - sleep: 1\n";

static void test_tap_exactly(void **state) {
  (void)state;
  ran r = run_text(small, "exact.yaml", 0, false);
  assert_string_equal(r.tap, "TAP version 13\n"
                             "1..4\n"
                             "ok 1 - spawn echo\n"
                             "ok 2 - ask echo\n"
                             "not ok 3 - a \\# in a name # expected [1,3] got [1,2]\n"
                             "  ---\n"
                             "  message: \"the result differs: at $[1]: the number differs\"\n"
                             "  expected: [1,3]\n"
                             "  got: [1,2]\n"
                             "  at: \"exact.yaml:9:5\"\n"
                             "  ...\n"
                             "ok 4 - sleep 1 ms\n"
                             "# 3 passed, 1 failed, 0 skipped of 4\n");
  assert_int_equal(r.sum.planned, 4);
  assert_int_equal(r.sum.passed, 3);
  assert_int_equal(r.sum.failed, 1);
  free(r.tap);
}

static void test_subtest_is_indented(void **state) {
  (void)state;
  ran r = run_text(small, "exact.yaml", 1, false);
  assert_memory_equal(r.tap, "    # Subtest: exact\n    1..4\n    ok 1 - spawn echo\n", 50);
  has(&r, "\n      got: [1,2]\n");
  has(&r, "\n    # 3 passed, 1 failed, 0 skipped of 4\n");
  free(r.tap);
}

static void test_wrong_reply_fails_with_the_difference(void **state) {
  (void)state;
  ran r = run_file(TROUPE_TEST_DATA "/scenarios/wrong_reply.yaml");
  has(&r, "not ok 3 - ask counter # expected {\"count\":2} got {\"count\":1}\n");
  has(&r, "  message: \"the reply differs: at $.count: the number differs\"\n");
  has(&r, "wrong_reply.yaml:8:5\"\n");
  has(&r, "ok 4 - a later step still runs\n");
  assert_int_equal(r.sum.failed, 1);
  assert_int_equal(r.sum.passed, 3);
  free(r.tap);
}

static void test_missing_event_times_out(void **state) {
  (void)state;
  ran r = run_file(TROUPE_TEST_DATA "/scenarios/missing_event.yaml");
  has(&r, "not ok 3 - expect crash of echo # no crash event of echo within 200 ms\n");
  has(&r, "  events:\n    - {\"event\":\"component_started\""); /* what came instead */
  assert_int_equal(r.sum.failed, 1);
  free(r.tap);
}

/* A step that expects an error fails when the call succeeds, and the other way round;
 * `eventually` gives up at its timeout and shows the last reply. */
static void test_expectations_that_fail(void **state) {
  (void)state;
  ran r = run_text("components:\n"
                   "  - name: counter\n"
                   "    ref: counter\n"
                   "steps:\n"
                   "  - ask: counter\n"
                   "    expect_error: TIMEOUT\n"
                   "  - invoke: counter\n"
                   "    function: add\n"
                   "    args: x\n"
                   "    expect_error: {code: INVAL, message: not this}\n"
                   "  - invoke: counter\n"
                   "    function: nope\n"
                   "  - ask: counter\n"
                   "    expect_subset: {count: 5}\n"
                   "    eventually: true\n"
                   "    timeout: 500\n"
                   "  - invoke: counter\n"
                   "    function: add\n"
                   "    args: 2\n"
                   "    expect: {count: 2}\n"
                   "  - expect_no_event: started\n"
                   "    component: counter\n"
                   "    timeout: 50\n"
                   "  - expect_no_event: crash\n"
                   "    timeout: 50\n",
                   "f.yaml", 0, false);
  has(&r, "not ok 2 - ask counter # expected an error TIMEOUT, but it succeeded\n");
  has(&r, "not ok 3 - invoke counter add # error INVAL: the message does not contain \"not "
          "this\": ");
  has(&r, "add takes one integer");
  has(&r, "not ok 4 - invoke counter nope # invoke failed: NOTFOUND: ");
  has(&r, "not ok 5 - ask counter # expected {\"count\":5} got {\"count\":0}\n");
  has(&r, "  message: \"the reply does not contain what was expected: at $.count: the number "
          "differs\"\n");
  has(&r, "ok 6 - invoke counter add\n");
  /* the start came before the step: it still counts */
  has(&r, "not ok 7 - expect no started of counter # an unexpected started event of counter\n");
  has(&r, "  got: {\"event\":\"component_started\",\"component\":1,\"name\":\"counter\"");
  has(&r, "ok 8 - expect no crash\n");
  assert_int_equal(r.sum.failed, 5);
  assert_int_equal(r.sum.passed, 3);
  free(r.tap);
}

/* module: a path relative to the scenario's folder. */
static void test_module_by_path(void **state) {
  (void)state;
  ran r = run_text("components:\n"
                   "  - name: c\n"
                   "    module: counter.wasm\n"
                   "    args: [one]\n"
                   "    env: {A: b}\n"
                   "steps:\n"
                   "  - send: c\n"
                   "  - ask: c\n"
                   "    expect: {count: 1}\n",
                   TROUPE_COMPONENTS_DIR "/inline.yaml", 0, false);
  assert_int_equal(r.sum.failed, 0);
  assert_int_equal(r.sum.passed, 3);
  free(r.tap);
}

/* A component that does not start: its spawn fails, its steps are skipped, the others
 * run. */
static void test_failed_spawn_skips_its_steps(void **state) {
  (void)state;
  ran r = run_text("components:\n"
                   "  - name: broken\n"
                   "    module: wrong_reply.yaml\n"
                   "  - name: echo\n"
                   "    ref: echo\n"
                   "steps:\n"
                   "  - ask: broken\n"
                   "  - ask: echo\n"
                   "    payload: 1\n"
                   "    expect: 1\n",
                   TROUPE_TEST_DATA "/scenarios/inline.yaml", 0, false);
  has(&r, "not ok 1 - spawn broken # spawn failed: MALFORMED");
  has(&r, "ok 3 - ask broken # SKIP broken did not start\n");
  has(&r, "ok 4 - ask echo\n");
  assert_int_equal(r.sum.failed, 1);
  assert_int_equal(r.sum.skipped, 1);
  assert_int_equal(r.sum.passed, 2);
  free(r.tap);
}

/* -v: the host's records as TAP comments. */
static void test_verbose_shows_the_log(void **state) {
  (void)state;
  ran r = run_text(small, "exact.yaml", 0, true);
  has(&r, "# log: {\"event\":\"component_started\",\"component\":1,\"name\":\"echo\"");
  free(r.tap);
}

/* manifest: the application starts as the first point, its components answer by their
 * names, a component of the scenario's own runs beside them; the node's records reach
 * the kit's log (here shown by -v). */
static void test_manifest_app(void **state) {
  (void)state;
  ran r = run_file(TROUPE_TEST_DATA "/scenarios/with_app.yaml");
  assert_string_equal(r.tap, "TAP version 13\n"
                             "1..7\n"
                             "ok 1 - start manifest app.yaml (2 components)\n"
                             "ok 2 - spawn echo2\n"
                             "ok 3 - ask echo\n"
                             "ok 4 - send counter\n"
                             "ok 5 - invoke counter add\n"
                             "ok 6 - ask echo2\n"
                             "ok 7 - expect started of counter\n"
                             "# 7 passed, 0 failed, 0 skipped of 7\n");
  free(r.tap);
  r = run_text("manifest: app.yaml\n"
               "steps:\n"
               "  - ask: counter\n"
               "    expect: {count: 0}\n",
               TROUPE_TEST_DATA "/scenarios/inline.yaml", 0, true);
  has(&r, "ok 1 - start manifest app.yaml (2 components)\n");
  has(&r, "# log: {\"event\":\"node_started\",\"node\":\"kit-app\"");
  has(&r, "ok 2 - ask counter\n");
  assert_int_equal(r.sum.failed, 0);
  free(r.tap);
}

/* A manifest that does not start: the start point fails with the node's error, and
 * every step that needs the application is skipped. */
static void test_manifest_that_fails_to_start(void **state) {
  (void)state;
  ran r = run_file(TROUPE_TEST_DATA "/scenarios/with_failing_app.yaml");
  has(&r, "TAP version 13\n1..4\nnot ok 1 - start manifest app_fails.yaml (2 components) # "
          "start failed: UNINSTANTIABLE: ");
  has(&r, "app_fails.yaml:9:3: component 2 'counter': instantiation failed");
  has(&r, "with_failing_app.yaml:4:11\"\n");
  has(&r, "ok 2 - ask echo # SKIP the manifest did not start\n");
  has(&r, "ok 3 - publish news.x # SKIP the manifest did not start\n");
  has(&r, "ok 4 - sleep 1 ms\n");
  assert_int_equal(r.sum.failed, 1);
  assert_int_equal(r.sum.skipped, 2);
  assert_int_equal(r.sum.passed, 1);
  free(r.tap);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_tap_exactly),
      cmocka_unit_test(test_subtest_is_indented),
      cmocka_unit_test(test_wrong_reply_fails_with_the_difference),
      cmocka_unit_test(test_missing_event_times_out),
      cmocka_unit_test(test_expectations_that_fail),
      cmocka_unit_test(test_module_by_path),
      cmocka_unit_test(test_failed_spawn_skips_its_steps),
      cmocka_unit_test(test_verbose_shows_the_log),
      cmocka_unit_test(test_manifest_app),
      cmocka_unit_test(test_manifest_that_fails_to_start),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
