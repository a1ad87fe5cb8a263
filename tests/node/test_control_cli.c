/*
 * tests/node/test_control_cli.c: the control commands as a user runs them: the real
 * `troupe` binary in a subprocess, finding the node of this test process through
 * $TROUPE_CONTROL_DIR (no --node while it is the only one), printing tables or --json,
 * failing with one line on stderr and the documented exit status, and leaving the
 * node running after every bad request.
 */
#include "test_control_util.h"

#include <jansson.h>

static int setup(void **state) {
  ct_node *node = malloc(sizeof *node);
  ct_node_start(node);
  *state = node;
  return 0;
}

static int teardown(void **state) {
  ct_node_stop(*state);
  free(*state);
  return 0;
}

static void show(const ct_run *r) {
  if (r->status)
    fprintf(stderr, "exit %d\nstdout: %s\nstderr: %s\n", r->status, r->out, r->err);
}

/* Exit 0, nothing on stderr. */
static void expect_ok(const ct_run *r) {
  show(r);
  assert_int_equal(r->status, 0);
  assert_string_equal(r->err, "");
}

/* The exit status, one line on stderr starting "troupe: " and holding `needle`. */
static void expect_fail(const ct_run *r, int status, const char *needle) {
  if (r->status != status || !strstr(r->err, needle))
    fprintf(stderr, "exit %d (want %d)\nstdout: %s\nstderr: %s\n", r->status, status, r->out, r->err);
  assert_int_equal(r->status, status);
  assert_int_equal(strncmp(r->err, "troupe: ", 8), 0);
  assert_non_null(strstr(r->err, needle));
  char *nl = strchr(r->err, '\n');
  assert_non_null(nl);
  assert_string_equal(nl + 1, ""); /* one line */
}

/* The node still answers. */
static void node_alive(ct_node *nd) {
  ct_run r = ct_troupe(nd->dir, "ask", "echo", "\"alive\"");
  expect_ok(&r);
  assert_string_equal(r.out, "\"alive\"\n");
  ct_run_free(&r);
}

static void test_ps(void **state) {
  ct_node *nd = *state;
  ct_run r = ct_troupe(nd->dir, "ps");
  expect_ok(&r);
  assert_non_null(strstr(r.out, "NAME"));
  assert_non_null(strstr(r.out, "RESTARTS"));
  for (const char *const *c = (const char *const[]){"echo", "counter", "crasher", NULL}; *c; c++)
    assert_non_null(strstr(r.out, *c));
  assert_non_null(strstr(r.out, "ready"));
  ct_run_free(&r);
  r = ct_troupe(nd->dir, "ps", "--json");
  expect_ok(&r);
  json_t *j = json_loads(r.out, 0, NULL);
  assert_non_null(j);
  assert_string_equal(json_string_value(json_object_get(j, "node")), "testnode");
  assert_int_equal(json_array_size(json_object_get(j, "components")), 3);
  json_decref(j);
  ct_run_free(&r);
  r = ct_troupe(nd->dir, "ps", "--node", "testnode");
  expect_ok(&r);
  ct_run_free(&r);
}

/* The tree: the root supervisor and a group, each component under its supervisor,
 * with its mailbox depth; in --json, "tree" nests the groups. */
static void test_ps_tree(void **state) {
  ct_node *nd = *state;
  troupe_group_spec gs;
  memset(&gs, 0, sizeof gs);
  gs.name = "inner";
  troupe_sup_config_init(&gs.supervisor);
  gs.supervisor.strategy = TROUPE_ONE_FOR_ALL;
  troupe_group_id g;
  assert_int_equal(troupe_host_group_new(nd->host, &gs, &g, NULL), 0);
  troupe_component_spec s;
  memset(&s, 0, sizeof s);
  s.name = "deep";
  s.module = "echo";
  s.group = g;
  troupe_component_id id;
  assert_int_equal(troupe_host_spawn(nd->host, &s, &id, NULL), 0);
  ct_run r = ct_troupe(nd->dir, "ps");
  expect_ok(&r);
  assert_non_null(strstr(r.out, "MAILBOX"));
  assert_non_null(strstr(r.out, "\ncomponents/ "));
  assert_non_null(strstr(r.out, "\n  inner/ "));
  assert_non_null(strstr(r.out, "one_for_all"));
  assert_non_null(strstr(r.out, "\n    deep "));
  assert_non_null(strstr(r.out, "\n  echo "));
  ct_run_free(&r);
  r = ct_troupe(nd->dir, "ps", "--json");
  expect_ok(&r);
  json_t *j = json_loads(r.out, 0, NULL);
  assert_non_null(j);
  json_t *members = json_object_get(json_object_get(j, "tree"), "members");
  assert_int_equal(json_array_size(members), 4); /* echo, counter, crasher, inner */
  json_t *inner = json_array_get(members, 3);
  assert_string_equal(json_string_value(json_object_get(inner, "name")), "inner");
  json_t *deep = json_array_get(json_object_get(inner, "members"), 0);
  assert_int_equal(json_integer_value(json_object_get(deep, "component")), (json_int_t)id);
  json_decref(j);
  ct_run_free(&r);
}

/* troupe upgrade: a file or a store reference; a module that cannot start leaves the
 * old one running and fails with one line. */
static void test_upgrade(void **state) {
  ct_node *nd = *state;
  ct_run r = ct_troupe(nd->dir, "upgrade", "counter", TROUPE_COMPONENTS_DIR "/echo.wasm");
  expect_ok(&r);
  assert_non_null(strstr(r.out, "counter upgraded: sha256:"));
  ct_run_free(&r);
  r = ct_troupe(nd->dir, "invoke", "counter", "echo", "--args", "3");
  expect_ok(&r);
  assert_string_equal(r.out, "3\n");
  ct_run_free(&r);
  r = ct_troupe(nd->dir, "upgrade", "counter", "counter"); /* back, by store reference */
  expect_ok(&r);
  ct_run_free(&r);
  r = ct_troupe(nd->dir, "upgrade", "counter", "no-such-module");
  expect_fail(&r, 1, "load failed");
  ct_run_free(&r);
  r = ct_troupe(nd->dir, "upgrade", "nobody", "echo");
  expect_fail(&r, 1, "nobody");
  ct_run_free(&r);
  r = ct_troupe(nd->dir, "upgrade", "counter");
  expect_fail(&r, 2, "missing MODULE");
  ct_run_free(&r);
  r = ct_troupe(nd->dir, "invoke", "counter", "get");
  expect_ok(&r); /* counter's own export again */
  ct_run_free(&r);
  char *resp = ct_call(nd, "{\"op\":\"upgrade\",\"name\":\"counter\"}");
  assert_non_null(strstr(resp, "BAD_REQUEST"));
  free(resp);
  node_alive(nd);
}

static void test_info(void **state) {
  ct_node *nd = *state;
  ct_run r = ct_troupe(nd->dir, "info", "counter");
  expect_ok(&r);
  assert_non_null(strstr(r.out, "name:          counter"));
  assert_non_null(strstr(r.out, "sha256:"));
  assert_non_null(strstr(r.out, "limit max_memory_pages"));
  ct_run_free(&r);
  r = ct_troupe(nd->dir, "info", "counter", "--json");
  expect_ok(&r);
  json_t *j = json_loads(r.out, 0, NULL);
  assert_string_equal(json_string_value(json_object_get(json_object_get(j, "component"), "name")),
                      "counter");
  json_decref(j);
  ct_run_free(&r);
  r = ct_troupe(nd->dir, "info", "nobody");
  expect_fail(&r, 1, "NOTFOUND");
  ct_run_free(&r);
  r = ct_troupe(nd->dir, "info");
  expect_fail(&r, 2, "missing");
  ct_run_free(&r);
}

static void test_send_ask(void **state) {
  ct_node *nd = *state;
  ct_run r = ct_troupe(nd->dir, "send", "counter", "{}");
  expect_ok(&r);
  assert_string_equal(r.out, "");
  ct_run_free(&r);
  r = ct_troupe(nd->dir, "send", "counter", "{}", "7"); /* TAG as a positional */
  expect_ok(&r);
  ct_run_free(&r);
  r = ct_troupe(nd->dir, "ask", "counter", "{}", "--timeout", "20000");
  expect_ok(&r);
  assert_string_equal(r.out, "{\"count\":2}\n");
  ct_run_free(&r);
  r = ct_troupe(nd->dir, "ask", "echo", "[1,\"two\"]", "--json");
  expect_ok(&r);
  json_t *j = json_loads(r.out, 0, NULL);
  assert_int_equal(json_array_size(json_object_get(j, "reply")), 2);
  json_decref(j);
  ct_run_free(&r);
  r = ct_troupe(nd->dir, "ask", "echo", "not json");
  expect_fail(&r, 2, "not JSON");
  ct_run_free(&r);
  r = ct_troupe(nd->dir, "ask", "ghost", "1");
  expect_fail(&r, 1, "NOTFOUND");
  ct_run_free(&r);
  r = ct_troupe(nd->dir, "send", "echo", "1", "--tag", "x");
  expect_fail(&r, 2, "--tag");
  ct_run_free(&r);
  node_alive(nd);
}

static void test_invoke(void **state) {
  ct_node *nd = *state;
  ct_run r = ct_troupe(nd->dir, "invoke", "counter", "add", "--args", "4");
  expect_ok(&r);
  assert_string_equal(r.out, "{\"count\":4}\n");
  ct_run_free(&r);
  r = ct_troupe(nd->dir, "invoke", "counter", "get");
  expect_ok(&r);
  assert_string_equal(r.out, "{\"count\":4}\n");
  ct_run_free(&r);
  r = ct_troupe(nd->dir, "invoke", "echo", "missing_export");
  expect_fail(&r, 1, "NOTFOUND");
  ct_run_free(&r);
  r = ct_troupe(nd->dir, "invoke", "crasher", "crash");
  expect_fail(&r, 3, "TRAP");
  ct_run_free(&r);
  node_alive(nd);
}

static void test_spawn_stop_restart(void **state) {
  ct_node *nd = *state;
  ct_run r = ct_troupe(nd->dir, "spawn", "echo2", "echo", "--max-memory", "32", "--restart",
                       "transient", "--send-to", "counter", "--env", "A=1", "--arg", "x");
  expect_ok(&r);
  assert_non_null(strstr(r.out, "spawned echo2"));
  ct_run_free(&r);
  char path[512];
  snprintf(path, sizeof path, "%s/counter.wasm", TROUPE_COMPONENTS_DIR);
  r = ct_troupe(nd->dir, "spawn", "c2", path, "--json");
  expect_ok(&r);
  assert_non_null(strstr(r.out, "\"name\":\"c2\""));
  ct_run_free(&r);
  r = ct_troupe(nd->dir, "invoke", "c2", "add", "--args", "9");
  expect_ok(&r);
  ct_run_free(&r);
  r = ct_troupe(nd->dir, "restart", "c2");
  expect_ok(&r);
  ct_run_free(&r);
  r = ct_troupe(nd->dir, "invoke", "c2", "get");
  expect_ok(&r);
  assert_string_equal(r.out, "{\"count\":0}\n"); /* a fresh instance */
  ct_run_free(&r);
  r = ct_troupe(nd->dir, "stop", "echo2");
  expect_ok(&r);
  ct_run_free(&r);
  r = ct_troupe(nd->dir, "ps");
  assert_null(strstr(r.out, "echo2"));
  ct_run_free(&r);
  r = ct_troupe(nd->dir, "stop", "echo2");
  expect_fail(&r, 1, "NOTFOUND");
  ct_run_free(&r);
  r = ct_troupe(nd->dir, "spawn", "x", "no_such_module");
  expect_fail(&r, 1, "NOTFOUND");
  ct_run_free(&r);
  r = ct_troupe(nd->dir, "spawn", "x", "echo", "--restart", "sometimes");
  expect_fail(&r, 2, "--restart");
  ct_run_free(&r);
  node_alive(nd);
}

static void test_logs(void **state) {
  ct_node *nd = *state;
  ct_run r = ct_troupe(nd->dir, "logs");
  expect_ok(&r);
  assert_non_null(strstr(r.out, "[echo] component_started"));
  ct_run_free(&r);
  r = ct_troupe(nd->dir, "logs", "counter", "--json");
  expect_ok(&r);
  assert_non_null(strstr(r.out, "\"name\":\"counter\""));
  assert_null(strstr(r.out, "\"name\":\"echo\""));
  ct_run_free(&r);
}

/* logs -f -n 0 prints records made after it started (none from before: -n 0). When
 * the command is following is not visible from here, so components are spawned one
 * after another until one's start shows up; any that does was logged after the follow
 * began. */
static void test_logs_follow(void **state) {
  ct_node *nd = *state;
  int ofd, efd;
  pid_t pid = ct_start(nd->dir, &ofd, &efd, (const char *const[]){"logs", "-f", "-n", "0", NULL});
  char buf[16384];
  size_t n = 0;
  buf[0] = '\0';
  bool seen = false;
  uint64_t end = troupe_clock_mono_ns() + CT_WAIT_MS * 1000000ull;
  for (int k = 0; !seen && troupe_clock_mono_ns() < end; k++) {
    char name[32], want[64];
    snprintf(name, sizeof name, "late%d", k);
    snprintf(want, sizeof want, "[%s] component_started", name);
    assert_true(ct_spawn(nd, name, "echo") != 0);
    uint64_t next = troupe_clock_mono_ns() + 200000000ull;
    while (!seen && troupe_clock_mono_ns() < next && n < sizeof buf - 1) {
      struct pollfd p = {.fd = ofd, .events = POLLIN};
      if (poll(&p, 1, 20) <= 0)
        continue;
      ssize_t got = read(ofd, buf + n, sizeof buf - 1 - n);
      if (got <= 0)
        break;
      n += (size_t)got;
      buf[n] = '\0';
      seen = strstr(buf, "] component_started") != NULL;
    }
  }
  kill(pid, SIGTERM);
  int st;
  waitpid(pid, &st, 0);
  close(ofd);
  close(efd);
  if (!seen)
    fprintf(stderr, "logs -f printed: %s\n", buf);
  assert_true(seen);
  /* nothing from before it followed (-n 0): the first line is a late one's record */
  assert_true(strstr(buf, "[late") && strstr(buf, "[late") == strchr(buf, '['));
  assert_null(strstr(buf, "[echo]"));
  node_alive(nd);
}

static void test_top(void **state) {
  ct_node *nd = *state;
  ct_run r = ct_troupe(nd->dir, "top", "--once", "--interval", "50");
  expect_ok(&r);
  assert_non_null(strstr(r.out, "FUEL/S"));
  assert_non_null(strstr(r.out, "counter"));
  ct_run_free(&r);
  r = ct_troupe(nd->dir, "top", "-n", "2", "--interval", "20", "--json", "--sort", "mem");
  expect_ok(&r);
  char *second = strchr(r.out, '\n');
  assert_non_null(second);
  json_t *j = json_loads(second + 1, 0, NULL); /* two views, one line each */
  assert_non_null(j);
  json_t *c = json_array_get(json_object_get(j, "components"), 0);
  assert_true(json_is_number(json_object_get(c, "fuel_per_s")));
  assert_true(json_is_number(json_object_get(c, "msgs_per_s")));
  assert_true(json_is_integer(json_object_get(c, "memory_bytes")));
  json_decref(j);
  ct_run_free(&r);
  r = ct_troupe(nd->dir, "top", "--sort", "colour");
  expect_fail(&r, 2, "--sort");
  ct_run_free(&r);
}

static void test_finding_the_node(void **state) {
  ct_node *nd = *state;
  /* none */
  char empty[128];
  snprintf(empty, sizeof empty, "%s/empty", nd->dir);
  assert_int_equal(mkdir(empty, 0700), 0);
  ct_run r = ct_troupe(empty, "ps");
  expect_fail(&r, 1, "no node running");
  ct_run_free(&r);
  /* several */
  troupe_ctl_server *other;
  troupe_err err;
  assert_int_equal(ct_server(nd, "other", &other, &err), 0);
  r = ct_troupe(nd->dir, "ps");
  expect_fail(&r, 1, "--node");
  ct_run_free(&r);
  r = ct_troupe(nd->dir, "ps", "--node", "other", "--json");
  expect_ok(&r);
  assert_non_null(strstr(r.out, "\"node\":\"other\""));
  ct_run_free(&r);
  r = ct_troupe(nd->dir, "ps", "--node", "nosuch");
  expect_fail(&r, 1, "no node 'nosuch' running");
  ct_run_free(&r);
  /* --control-dir wins over the environment */
  r = ct_troupe(empty, "ps", "--control-dir", nd->dir, "--node", "testnode");
  expect_ok(&r);
  ct_run_free(&r);
  troupe_ctl_server_stop(other);
  /* a dead node's socket is not counted */
  r = ct_troupe(nd->dir, "ps");
  expect_ok(&r);
  ct_run_free(&r);
}

static void test_usage_errors(void **state) {
  ct_node *nd = *state;
  ct_run r = ct_troupe(nd->dir, "ps", "--frobnicate");
  expect_fail(&r, 2, "--frobnicate");
  ct_run_free(&r);
  r = ct_troupe(nd->dir, "ps", "--node");
  expect_fail(&r, 2, "needs a value");
  ct_run_free(&r);
  for (const char *const *c = (const char *const[]){"ps", "info", "send", "ask", "invoke", "spawn",
                                                     "stop", "restart", "logs", "top", NULL};
       *c; c++) {
    r = ct_troupe(nd->dir, *c, "--help");
    expect_ok(&r);
    assert_non_null(strstr(r.out, "usage: troupe"));
    assert_non_null(strstr(r.out, "--node NAME"));
    ct_run_free(&r);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_ps, setup, teardown),
      cmocka_unit_test_setup_teardown(test_info, setup, teardown),
      cmocka_unit_test_setup_teardown(test_send_ask, setup, teardown),
      cmocka_unit_test_setup_teardown(test_invoke, setup, teardown),
      cmocka_unit_test_setup_teardown(test_spawn_stop_restart, setup, teardown),
      cmocka_unit_test_setup_teardown(test_logs, setup, teardown),
      cmocka_unit_test_setup_teardown(test_logs_follow, setup, teardown),
      cmocka_unit_test_setup_teardown(test_top, setup, teardown),
      cmocka_unit_test_setup_teardown(test_finding_the_node, setup, teardown),
      cmocka_unit_test_setup_teardown(test_usage_errors, setup, teardown),
      cmocka_unit_test_setup_teardown(test_ps_tree, setup, teardown),
      cmocka_unit_test_setup_teardown(test_upgrade, setup, teardown),
  };
  signal(SIGPIPE, SIG_IGN);
  return cmocka_run_group_tests(tests, NULL, NULL);
}
