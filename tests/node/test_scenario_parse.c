/*
 * tests/node/test_scenario_parse.c: what the test kit refuses before any host starts,
 * each refusal naming FILE:LINE:COLUMN -- unknown keys, wrong types, a step on a
 * component the scenario does not spawn, YAML aliases and anchors, a module file that
 * is not there, a manifest that is wrong or lacks a component a step names -- and what
 * it accepts: a scenario with every kind of key, one over a manifest, its plan (a
 * point for the manifest's start, per spawn and per step) and step names.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "node/scenario.h"

#include <stdio.h>
#include <string.h>

#ifndef TROUPE_COMPONENTS_DIR
#error "TROUPE_COMPONENTS_DIR must name the folder of the built components"
#endif

typedef struct bad_case {
  const char *text;
  const char *error; /* the start of the message after "t.yaml:" */
} bad_case;

#define ECHO "components:\n  - name: echo\n    ref: echo\n"

static const bad_case bad[] = {
    {"", "1:1: an empty scenario"},
    {"- 1\n", "1:1: the scenario must be a mapping, not a list"},
    {"compnents: []\n", "1:1: the scenario: unknown key 'compnents' (known: name, timeout"},
    {"name: x\n", "1:1: the scenario needs components:"},
    {"components: {echo: 1}\n", "1:13: components must be a list, not a mapping"},
    {"timeout: soon\n" ECHO, "1:10: timeout must be an integer from 1 to 4294967295"},
    {"timeout: 0\n" ECHO, "1:10: timeout must be an integer from 1"},
    {"components:\n  - name: echo\n", "2:5: component 'echo' needs exactly one of module"},
    {"components:\n  - name: echo\n    ref: echo\n    module: echo.wasm\n",
     "2:5: component 'echo' needs exactly one of module"},
    {"components:\n  - name: e\n    module: no-such-file.wasm\n", "3:13: module: no such file"},
    {"components:\n  - ref: echo\n", "2:5: a component needs a name"},
    {ECHO "  - name: echo\n    ref: echo\n", "4:11: component 'echo' is already in the scenario"},
    {"components:\n  - name: echo\n    ref: 'a b'\n", "3:10: ref: module reference"},
    {"components:\n  - name: echo\n    ref: echo\n    limits: {max_memory: 1}\n",
     "4:14: limits: unknown key 'max_memory'"},
    {"components:\n  - name: echo\n    ref: echo\n    limits: {max_memory_pages: -1}\n",
     "4:32: max_memory_pages must be an integer"},
    {"components:\n  - name: echo\n    ref: echo\n    restart: sometimes\n",
     "4:14: restart must be permanent, transient or temporary"},
    {"components:\n  - name: echo\n    ref: echo\n    capabilities: {send: [a]}\n",
     "4:20: capabilities: unknown key 'send'"},
    {"components:\n  - name: echo\n    ref: echo\n    capabilities: {send_to: {a: 1}}\n",
     "4:29: send_to must be a string, not a mapping"},
    {"components:\n  - name: echo\n    ref: echo\n    env: [NOEQUALS]\n",
     "4:11: env: 'NOEQUALS' is not NAME=VALUE"},
    {ECHO "steps:\n  - ask: ehco\n", "5:10: unknown component 'ehco' (the scenario spawns: echo)"},
    {ECHO "steps:\n  - send: echo\n    expect: 1\n", "6:5: a send step: unknown key 'expect'"},
    {ECHO "steps:\n  - ask: echo\n    send: echo\n", "6:5: a step has one action: 'ask' and 'send'"},
    {ECHO "steps:\n  - payload: 1\n", "5:5: a step needs an action"},
    {ECHO "steps:\n  - 3\n", "5:5: a step must be a mapping, not a scalar"},
    {ECHO "steps: {ask: echo}\n", "4:8: steps must be a list, not a mapping"},
    {ECHO "steps:\n  - invoke: echo\n", "5:5: an invoke step needs function:"},
    {ECHO "steps:\n  - ask: echo\n    tag: many\n", "6:10: tag must be an integer"},
    {ECHO "steps:\n  - ask: echo\n    codec: xml\n", "6:12: codec must be json or cbor"},
    {ECHO "steps:\n  - ask: echo\n    expect: 1\n    expect_subset: 1\n",
     "7:20: expect and expect_subset together"},
    {ECHO "steps:\n  - ask: echo\n    expect: 1\n    expect_error: TIMEOUT\n",
     "7:19: expect_error with expect"},
    {ECHO "steps:\n  - ask: echo\n    expect_error: OOPS\n", "6:19: expect_error: a code must be"},
    {ECHO "steps:\n  - ask: echo\n    eventually: yes\n", "6:17: eventually must be true or false"},
    {ECHO "steps:\n  - ask: echo\n    eventually: true\n", "6:17: eventually repeats until"},
    {ECHO "steps:\n  - sleep: 10\n    timeout: 5\n", "6:5: a sleep step: unknown key 'timeout'"},
    {ECHO "steps:\n  - expect_event: explosion\n", "5:19: expect_event must be one of"},
    {ECHO "steps:\n  - expect_no_event: boom\n", "5:22: expect_no_event must be one of"},
    {ECHO "steps:\n  - expect_no_event: crash\n    expect: 1\n",
     "6:5: an expect_no_event step: unknown key 'expect'"},
    {ECHO "steps:\n  - expect_event: health\n    component: echo\n",
     "5:5: expect_event health needs health:"},
    {ECHO "steps:\n  - expect_event: crash\n    component: nobody\n",
     "6:16: unknown component 'nobody'"},
    {ECHO "steps:\n  - expect_event: crash\n    fields: [1]\n", "6:13: fields must be a mapping"},
    {"manifest: [app.yaml]\n" ECHO, "1:11: manifest must be a string, not a list"},
    {"x: &a 1\n", "1:4: YAML anchors (&name) are not supported"},
    {ECHO "steps:\n  - ask: echo\n    payload: *a\n", "6:14: YAML aliases (*name) are not supported"},
    {ECHO "steps:\n  - ask: echo\n    payload: {a: 1\n", "7:1: YAML: did not find expected"},
    {"name: a\n---\nname: b\n", "2:1: one YAML document per scenario file"},
    {"supervisor: {intensity: x}\n" ECHO, "1:25: intensity must be an integer"},
    {"supervisor: {strategy: one_for_all}\n" ECHO, "1:14: supervisor: unknown key 'strategy'"},
};

static void test_refused_with_line_and_column(void **state) {
  (void)state;
  troupe_scenario_config cfg;
  troupe_scenario_config_init(&cfg);
  cfg.components_dir = TROUPE_COMPONENTS_DIR;
  int wrong = 0;
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    troupe_scenario *s = (troupe_scenario *)1;
    troupe_err err;
    troupe_err_clear(&err);
    int rc = troupe_scenario_parse(bad[i].text, strlen(bad[i].text), "t.yaml", &cfg, &s, &err);
    if (rc != TROUPE_E_INVAL)
      fail_msg("case %zu: rc %d (%s), expected INVAL", i, rc, troupe_err_message(&err));
    assert_null(s);
    const char *m = troupe_err_message(&err);
    if (strncmp(m, "t.yaml:", 7) || strncmp(m + 7, bad[i].error, strlen(bad[i].error))) {
      print_error("case %zu: message '%s', expected 't.yaml:%s...'\n", i, m, bad[i].error);
      wrong++;
    }
  }
  assert_int_equal(wrong, 0);
}

/* Deep nesting and many nodes are bounded, not followed into the stack or memory. */
static void test_bounds(void **state) {
  (void)state;
  char deep[TRN_Y_MAX_DEPTH * 2 + 64];
  size_t n = 0;
  n += (size_t)snprintf(deep, sizeof deep, "x: ");
  for (int i = 0; i < TRN_Y_MAX_DEPTH + 1; i++)
    deep[n++] = '[';
  for (int i = 0; i < TRN_Y_MAX_DEPTH + 1; i++)
    deep[n++] = ']';
  deep[n++] = '\n';
  troupe_scenario *s = NULL;
  troupe_err err;
  assert_int_equal(troupe_scenario_parse(deep, n, "d.yaml", NULL, &s, &err), TROUPE_E_INVAL);
  assert_non_null(strstr(troupe_err_message(&err), "nested too deeply"));
}

/* The refusal from a file names the file (the CLI's usage error shows exactly this). */
static void test_load_names_the_file(void **state) {
  (void)state;
  troupe_scenario *s = NULL;
  troupe_err err;
  troupe_scenario_config cfg;
  troupe_scenario_config_init(&cfg);
  cfg.components_dir = TROUPE_COMPONENTS_DIR;
  const char *path = TROUPE_TEST_DATA "/scenarios/malformed_key.yaml";
  assert_int_equal(troupe_scenario_load(path, &cfg, &s, &err), TROUPE_E_INVAL);
  char want[512];
  snprintf(want, sizeof want, "%s:7:5: an ask step: unknown key 'expct' (known: ask, name, ", path);
  assert_memory_equal(troupe_err_message(&err), want, strlen(want));
  assert_int_equal(troupe_scenario_load(TROUPE_TEST_DATA "/scenarios/nope.yaml", &cfg, &s, &err),
                   TROUPE_E_IO);
}

/* ref: needs a store: from the configuration or the scenario's store: key. */
static void test_ref_needs_a_store(void **state) {
  (void)state;
  static const char text[] = ECHO;
  troupe_scenario *s = NULL;
  troupe_err err;
  assert_int_equal(troupe_scenario_parse(text, sizeof text - 1, "t.yaml", NULL, &s, &err),
                   TROUPE_E_INVAL);
  assert_non_null(strstr(troupe_err_message(&err), "t.yaml:3:10: ref 'echo' needs a store"));
  char with_store[512];
  int n = snprintf(with_store, sizeof with_store, "store: %s\n" ECHO, TROUPE_COMPONENTS_DIR);
  assert_int_equal(troupe_scenario_parse(with_store, (size_t)n, "t.yaml", NULL, &s, &err), TROUPE_OK);
  troupe_scenario_free(s);
  n = snprintf(with_store, sizeof with_store, "store: /no/such/dir\n" ECHO);
  assert_int_equal(troupe_scenario_parse(with_store, (size_t)n, "t.yaml", NULL, &s, &err),
                   TROUPE_E_INVAL);
  assert_non_null(strstr(troupe_err_message(&err), "is not a directory"));
}

/* Everything a scenario may say, accepted; the plan and the names it shows. */
static void test_accepts_every_key(void **state) {
  (void)state;
  static const char text[] =
      "name: all keys\n"
      "timeout: 2000\n"
      "supervisor: {intensity: 3, period_ms: 1000, restart_delay_ms: 0, restart_delay_max_ms: 0}\n"
      "components:\n"
      "  - name: echo\n"
      "    module: echo.wasm\n"
      "    limits: {max_memory_pages: 32, max_stack_bytes: 65536, max_call_depth: 500,\n"
      "             fuel_slice: 10000, fuel_per_message: 1000000, mailbox_bound: 10,\n"
      "             max_message_bytes: 4096, start_timeout_ms: 1000, cleanup_timeout_ms: 100}\n"
      "    capabilities: {send_to: [a.>], accept_from: '*', publish: [x], subscribe: [y.*],\n"
      "                   spawn: []}\n"
      "    args: [--fast, 2]\n"
      "    env: {MODE: test, N: 3}\n"
      "    restart: transient\n"
      "    shutdown_ms: 100\n"
      "    health_interval_ms: 50\n"
      "    health_threshold: 2\n"
      "  - name: c\n"
      "    ref: counter\n"
      "    env: [A=1]\n"
      "steps:\n"
      "  - send: echo\n"
      "    payload: {a: [1, 2]}\n"
      "    tag: 7\n"
      "    codec: cbor\n"
      "    expect_error: any\n"
      "  - ask: c\n"
      "    expect_subset: {count: 0}\n"
      "    eventually: true\n"
      "    timeout: 100\n"
      "  - invoke: echo\n"
      "    function: echo\n"
      "    args: 1\n"
      "    expect_error: {code: -5, message: nope}\n"
      "  - publish: news.x\n"
      "    name: 'named # step'\n"
      "  - sleep: 1\n"
      "  - expect_event: capability_denied\n"
      "    component: echo\n"
      "    action: send\n"
      "    target: c\n"
      "    message: x\n"
      "    reason: y\n"
      "    fields: {restarts: 1}\n"
      "  - expect_event: trap\n";
  troupe_scenario_config cfg;
  troupe_scenario_config_init(&cfg);
  cfg.components_dir = TROUPE_COMPONENTS_DIR;
  troupe_scenario *s = NULL;
  troupe_err err;
  troupe_err_clear(&err);
  int rc = troupe_scenario_parse(text, sizeof text - 1, TROUPE_COMPONENTS_DIR "/all.yaml", &cfg,
                                 &s, &err);
  if (rc)
    fail_msg("%s", troupe_err_message(&err));
  assert_string_equal(troupe_scenario_name(s), "all keys");
  assert_int_equal(troupe_scenario_points(s), 2 + 7);
  static const char *const names[] = {"spawn echo",     "spawn c",      "send echo",
                                      "ask c",          "invoke echo echo", "named # step",
                                      "sleep 1 ms",     "expect capability_denied of echo",
                                      "expect trap"};
  for (size_t i = 0; i < 9; i++)
    assert_string_equal(s->steps[i].name, names[i]);
  const trN_comp *e = &s->comps[0];
  assert_int_equal(e->limits.max_memory_pages, 32);
  assert_int_equal(e->limits.fuel_per_message, 1000000);
  assert_int_equal(e->argc, 3);
  assert_string_equal(e->argv[0], "echo");
  assert_string_equal(e->argv[2], "2");
  assert_int_equal(e->envc, 2);
  assert_string_equal(e->env[1], "N=3");
  assert_int_equal(e->ncaps[1], 1);
  assert_true(e->has_caps[4] && e->ncaps[4] == 0);
  assert_int_equal(e->restart, TROUPE_TRANSIENT);
  assert_int_equal(s->sup.intensity, 3);
  assert_int_equal(s->steps[2].payload[0], 0x51); /* CBOR */
  assert_int_equal(s->steps[3].timeout_ms, 100);
  assert_int_equal(s->steps[4].timeout_ms, 2000);
  assert_int_equal(s->steps[4].error_code, TROUPE_E_NOTFOUND);
  assert_int_equal(s->steps[2].error_code, 0);
  troupe_scenario_free(s);
}

/* manifest: loaded and checked with the scenario; the steps name its components. */
static void test_manifest(void **state) {
  (void)state;
#define DIR TROUPE_TEST_DATA "/scenarios"
  static const bad_case cases[] = {
      {"manifest: app.yaml\nsteps:\n  - ask: nobody\n",
       "3:10: unknown component 'nobody' (the manifest has: echo, counter)"},
      {"manifest: app.yaml\ncomponents:\n  - name: e2\n    ref: echo\nsteps:\n"
       "  - expect_event: crash\n    component: nobody\n",
       "7:16: unknown component 'nobody' (the manifest has: echo, counter; the scenario "
       "spawns: e2)"},
      {"manifest: app.yaml\ncomponents:\n  - name: echo\n    ref: echo\n",
       "3:11: component 'echo' is already in the manifest"},
      {"manifest: app.yaml\nsupervisor: {intensity: 1}\n",
       "2:13: supervisor: a scenario with manifest: runs under the manifest's supervisors"},
      {"manifest: nope.yaml\n", "1:11: manifest: " DIR "/nope.yaml: cannot open"},
      {"manifest: ../manifests/bad.yaml\n", "1:11: manifest: " DIR "/../manifests/bad.yaml:"},
      {"manifest: malformed_key.yaml\n",
       "1:11: manifest: " DIR "/malformed_key.yaml:1:1: supervisors: missing required field "
       "(at least the root) (and more: troupe check lists them all)"},
  };
  troupe_scenario_config cfg;
  troupe_scenario_config_init(&cfg);
  cfg.components_dir = TROUPE_COMPONENTS_DIR; /* the manifest's modules_dir too */
  int wrong = 0;
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    troupe_scenario *s = (troupe_scenario *)1;
    troupe_err err;
    troupe_err_clear(&err);
    int rc = troupe_scenario_parse(cases[i].text, strlen(cases[i].text), DIR "/t.yaml", &cfg,
                                   &s, &err);
    const char *m = troupe_err_message(&err);
    if (rc != TROUPE_E_INVAL || s || strncmp(m, DIR "/t.yaml:", strlen(DIR) + 8) ||
        strncmp(m + strlen(DIR) + 8, cases[i].error, strlen(cases[i].error))) {
      print_error("case %zu: rc %d, message '%s', expected '.../t.yaml:%s...'\n", i, rc, m,
                  cases[i].error);
      wrong++;
    }
  }
  assert_int_equal(wrong, 0);

  static const char good[] = "manifest: app.yaml\n"
                             "components:\n"
                             "  - name: extra\n"
                             "    ref: echo\n"
                             "steps:\n"
                             "  - ask: echo\n"
                             "  - invoke: counter\n"
                             "    function: get\n"
                             "  - ask: extra\n";
  troupe_scenario *s = NULL;
  troupe_err err;
  troupe_err_clear(&err);
  if (troupe_scenario_parse(good, sizeof good - 1, DIR "/t.yaml", &cfg, &s, &err))
    fail_msg("%s", troupe_err_message(&err));
  assert_int_equal(troupe_scenario_points(s), 1 + 1 + 3);
  static const char *const names[] = {"start manifest app.yaml (2 components)", "spawn extra",
                                      "ask echo", "invoke counter get", "ask extra"};
  for (size_t i = 0; i < 5; i++)
    assert_string_equal(s->steps[i].name, names[i]);
  assert_int_equal(s->steps[0].kind, TRN_START);
  assert_int_equal(s->steps[0].line, 1);
  assert_int_equal(s->steps[0].col, 11);
  assert_int_equal(s->ncomps, 3);
  assert_true(s->comps[0].in_manifest && s->comps[1].in_manifest && !s->comps[2].in_manifest);
  assert_int_equal(s->steps[3].comp, 1); /* counter */
  assert_int_equal(s->steps[4].comp, 2); /* extra */
  assert_non_null(s->manifest);
  troupe_scenario_free(s);
#undef DIR
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_refused_with_line_and_column),
      cmocka_unit_test(test_bounds),
      cmocka_unit_test(test_load_names_the_file),
      cmocka_unit_test(test_ref_needs_a_store),
      cmocka_unit_test(test_accepts_every_key),
      cmocka_unit_test(test_manifest),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
