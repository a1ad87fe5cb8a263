/*
 * tests/node/test_scenario_cli.c: `troupe test` as CI runs it -- the built tool
 * (TROUPE_BIN) as a subprocess, its stdout, stderr and exit status: 0 when every step
 * passes, 1 when one fails (with the TAP diff), 2 for a bad command line or a
 * malformed scenario (FILE:LINE:COLUMN on stderr, nothing run), several files as
 * subtests; the same over a manifest's application.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef TROUPE_BIN
#error "TROUPE_BIN must name the built troupe tool"
#endif

#define DATA TROUPE_TEST_DATA "/scenarios/"
#define EXAMPLES TROUPE_TEST_DATA "/../../../examples/scenarios/"

typedef struct result {
  int status;
  char *out, *err;
} result;

static char *slurp(const char *path) {
  FILE *f = fopen(path, "rb");
  assert_non_null(f);
  char *buf = NULL;
  size_t len = 0;
  FILE *m = open_memstream(&buf, &len);
  char chunk[4096];
  size_t n;
  while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
    fwrite(chunk, 1, n, m);
  fclose(f);
  fclose(m);
  return buf;
}

/* Run `troupe test ARGS` (args is a shell word list of our own, no user input). */
static result troupe_test(const char *args) {
  char out[] = "/tmp/troupe-test-out-XXXXXX", err[] = "/tmp/troupe-test-err-XXXXXX";
  int fo = mkstemp(out), fe = mkstemp(err);
  assert_true(fo >= 0 && fe >= 0);
  close(fo);
  close(fe);
  char cmd[4096];
  snprintf(cmd, sizeof cmd, "'%s' test --components '%s' %s >%s 2>%s", TROUPE_BIN,
           TROUPE_COMPONENTS_DIR, args, out, err);
  int st = system(cmd);
  assert_true(WIFEXITED(st));
  result r = {.status = WEXITSTATUS(st), .out = slurp(out), .err = slurp(err)};
  unlink(out);
  unlink(err);
  return r;
}

static void result_free(result *r) {
  free(r->out);
  free(r->err);
}

static void contains(const char *hay, const char *needle) {
  if (!strstr(hay, needle))
    fail_msg("'%s' not in:\n%s", needle, hay);
}

static void test_passing_scenario_exits_0(void **state) {
  (void)state;
  result r = troupe_test(EXAMPLES "counter.yaml");
  assert_int_equal(r.status, 0);
  contains(r.out, "TAP version 13\n1..8\nok 1 - spawn counter\n");
  contains(r.out, "\nok 5 - ask counter\n");
  contains(r.out, "# 8 passed, 0 failed, 0 skipped of 8\n");
  assert_string_equal(r.err, "");
  result_free(&r);
}

static void test_failing_step_exits_1(void **state) {
  (void)state;
  result r = troupe_test(DATA "wrong_reply.yaml");
  assert_int_equal(r.status, 1);
  contains(r.out, "not ok 3 - ask counter # expected {\"count\":2} got {\"count\":1}\n  ---\n");
  contains(r.out, "# 3 passed, 1 failed, 0 skipped of 4\n");
  result_free(&r);
  r = troupe_test("--timeout 300 " DATA "missing_event.yaml");
  assert_int_equal(r.status, 1);
  contains(r.out, "not ok 3 - expect crash of echo # no crash event of echo within 200 ms\n");
  result_free(&r);
}

static void test_malformed_scenario_is_a_usage_error(void **state) {
  (void)state;
  result r = troupe_test(EXAMPLES "echo.yaml " DATA "malformed_key.yaml");
  assert_int_equal(r.status, 2);
  assert_string_equal(r.out, ""); /* checked before anything ran */
  contains(r.err, "troupe: " DATA "malformed_key.yaml:7:5: an ask step: unknown key 'expct'");
  result_free(&r);
}

static void test_bad_command_lines(void **state) {
  (void)state;
  static const char *const lines[][2] = {
      {"", "no scenario given"},
      {"--timeout soon x.yaml", "--timeout wants milliseconds"},
      {"--frobnicate x.yaml", "unknown option '--frobnicate'"},
      {DATA "no-such.yaml", "no-such.yaml: cannot open"},
      {"x.yaml --timeout", "--timeout needs a value"},
  };
  for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
    result r = troupe_test(lines[i][0]);
    if (r.status != 2)
      fail_msg("'%s': status %d, expected 2", lines[i][0], r.status);
    contains(r.err, lines[i][1]);
    result_free(&r);
  }
  result r = troupe_test("--help");
  assert_int_equal(r.status, 0);
  contains(r.out, "usage: troupe test [options] FILE...");
  result_free(&r);
}

/* Several files: one TAP stream, a subtest per file; one failure fails the run. */
static void test_several_files_are_subtests(void **state) {
  (void)state;
  result r = troupe_test(EXAMPLES "echo.yaml " DATA "wrong_reply.yaml");
  assert_int_equal(r.status, 1);
  contains(r.out, "TAP version 13\n1..2\n    # Subtest: echo answers what it is asked\n    1..7\n");
  contains(r.out, "\nok 1 - " EXAMPLES "echo.yaml\n");
  contains(r.out, "\n    not ok 3 - ask counter # expected");
  contains(r.out, "\nnot ok 2 - " DATA "wrong_reply.yaml\n");
  result_free(&r);
}

/* manifest:: a whole application under test passes (0); one that does not start fails
 * the run (1); a step naming a component the manifest lacks is a malformed scenario
 * (2), nothing run. */
static void test_manifest_exit_statuses(void **state) {
  (void)state;
  result r;
#if TROUPE_GUEST_SDKS_BUILT /* the demo has Rust and AssemblyScript components */
  r = troupe_test(EXAMPLES "demo_app.yaml");
  assert_int_equal(r.status, 0);
  contains(r.out, "TAP version 13\n1..16\nok 1 - start manifest ../apps/demo.yaml (21 "
                  "components)\nok 2 - spawn visitor\n");
  result_free(&r);
#else
  print_message("SKIPPED: troupe test of examples/scenarios/demo_app.yaml (no guest SDKs)\n");
#endif
  r = troupe_test(DATA "with_failing_app.yaml");
  assert_int_equal(r.status, 1);
  contains(r.out, "not ok 1 - start manifest app_fails.yaml (2 components) # start failed: ");
  result_free(&r);
  r = troupe_test(DATA "unknown_in_app.yaml");
  assert_int_equal(r.status, 2);
  assert_string_equal(r.out, "");
  contains(r.err, "unknown_in_app.yaml:4:10: unknown component 'ehco' (the manifest has: "
                  "echo, counter)");
  result_free(&r);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_passing_scenario_exits_0),
      cmocka_unit_test(test_failing_step_exits_1),
      cmocka_unit_test(test_malformed_scenario_is_a_usage_error),
      cmocka_unit_test(test_bad_command_lines),
      cmocka_unit_test(test_several_files_are_subtests),
      cmocka_unit_test(test_manifest_exit_statuses),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
