/*
 * tests/node/test_trace_cli.c: `troupe trace ID` (docs/OBSERVE.md, tracing), the real
 * command as a subprocess: a chain traced in a running node (an embedder-sampled ask
 * through a component that asks another) printed as a tree from the node's kept records
 * over its control socket; then a log file written here -- nesting, start order, an
 * orphan span, lines that are not JSON or not spans, spans that are each other's parent,
 * a chain 5,000 spans deep (printed to a cut, not a crash) -- and the command's errors
 * with their exit statuses.
 */
#include "test_control_util.h"

static int setup(void **state) {
  ct_node *n = calloc(1, sizeof *n);
  ct_node_start(n);
  *state = n;
  return 0;
}

static int teardown(void **state) {
  ct_node *n = *state;
  ct_node_stop(n);
  free(n);
  return 0;
}

/* A live node: the test thread samples one chain (troupe_trace_set), then asks a
 * component that asks echo; the tree has the asker's span and echo's under it. */
static void test_live_chain(void **state) {
  ct_node *n = *state;
  troupe_component_spec s;
  memset(&s, 0, sizeof s);
  s.name = "asker";
  s.module = "asker";
  const char *to[] = {"echo"};
  s.caps.send_to = (troupe_pattern_list){to, 1};
  troupe_component_id asker = 0;
  troupe_err err;
  assert_int_equal(troupe_host_spawn(n->host, &s, &asker, &err), 0);
  troupe_trace_set((troupe_trace){.id = 0x7ace0000000000aaull, .parent = 0, .sampled = true});
  uint8_t args[] = {0x80, 0x04, '"', 'e', 'c', 'h', 'o', '"'};
  uint8_t *res = NULL;
  size_t rl = 0;
  int rc = troupe_host_invoke(n->host, asker, "ask", args, sizeof args, TROUPE_SEC(20), &res,
                              &rl, &err);
  troupe_trace_set((troupe_trace){0});
  if (rc)
    fprintf(stderr, "invoke: %s\n", err.msg);
  assert_int_equal(rc, 0);
  free(res);
  ct_run r = {0};
  for (int i = 0; i < 200; i++) { /* the callee's span is logged as its handler returns */
    ct_run_free(&r);
    r = ct_troupe(n->dir, "trace", "7ace0000000000aa", "--node", "testnode");
    if (r.status == 0 && strstr(r.out, "2 spans"))
      break;
    ct_sleep_ms(20);
  }
  if (r.status)
    fprintf(stderr, "trace: %s%s\n", r.out, r.err);
  assert_int_equal(r.status, 0);
  assert_non_null(strstr(r.out, "trace 7ace0000000000aa: 2 spans\n"));
  assert_non_null(strstr(r.out, "\n  asker invoke ask  "));
  assert_non_null(strstr(r.out, "\n    echo ask  ")); /* nested under the asker */
  ct_run_free(&r);
  /* --json: the same tree */
  r = ct_troupe(n->dir, "trace", "7ace0000000000aa", "--node", "testnode", "--json");
  assert_int_equal(r.status, 0);
  assert_non_null(strstr(r.out, "\"roots\":[{"));
  assert_non_null(strstr(r.out, "\"children\":[{"));
  ct_run_free(&r);
}

static void write_file(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
}

#define SPAN(trace, span, parent, name, handler, start, dur, outcome)                        \
  "{\"event\":\"span\",\"name\":\"" name "\",\"trace\":\"" trace "\",\"span\":\"" span        \
  "\",\"parent\":\"" parent "\",\"handler\":\"" handler "\",\"start\":\"" start              \
  "\",\"duration_us\":" dur ",\"outcome\":\"" outcome "\"}\n"

static void test_log_file(void **state) {
  ct_node *n = *state;
  char path[128];
  snprintf(path, sizeof path, "%s/node.log", n->dir);
  write_file(path,
             "not JSON at all\n"
             "{\"event\":\"component_started\",\"name\":\"a\"}\n"
             SPAN("00000000000000ab", "0000000000000002", "0000000000000001", "b", "message",
                  "2026-01-01T00:00:02Z", "20", "ok")
             SPAN("00000000000000ab", "0000000000000001", "", "a", "invoke go",
                  "2026-01-01T00:00:01Z", "1500", "ok")
             SPAN("00000000000000ab", "0000000000000003", "0000000000000001", "c", "ask",
                  "2026-01-01T00:00:03Z", "30", "trap")
             SPAN("00000000000000ab", "0000000000000004", "00000000000000ff", "d", "timer",
                  "2026-01-01T00:00:04Z", "5", "ok")
             SPAN("00000000000000cd", "0000000000000009", "", "z", "ask",
                  "2026-01-01T00:00:00Z", "1", "ok"));
  ct_run r = ct_troupe(n->dir, "trace", "ab", "--log", path);
  assert_int_equal(r.status, 0);
  /* roots in start order (a, then the orphan d); children in start order (b, c) */
  assert_string_equal(r.out, "trace 00000000000000ab: 4 spans\n"
                             "  a invoke go  1.500 ms  ok  (span 0000000000000001)\n"
                             "    b message  0.020 ms  ok  (span 0000000000000002)\n"
                             "    c ask  0.030 ms  trap  (span 0000000000000003)\n"
                             "  d timer  0.005 ms  ok  (span 0000000000000004)\n");
  ct_run_free(&r);
  r = ct_troupe(n->dir, "trace", "AB", "--log", path); /* hex in capitals */
  assert_int_equal(r.status, 0);
  ct_run_free(&r);

  /* Spans that name each other as parents (a file can say anything): each printed once. */
  write_file(path,
             SPAN("0000000000000077", "000000000000000a", "000000000000000b", "p", "ask",
                  "2026-01-01T00:00:01Z", "1", "ok")
             SPAN("0000000000000077", "000000000000000b", "000000000000000a", "q", "ask",
                  "2026-01-01T00:00:02Z", "1", "ok"));
  r = ct_troupe(n->dir, "trace", "77", "--log", path);
  assert_int_equal(r.status, 0);
  assert_non_null(strstr(r.out, "2 spans"));
  assert_non_null(strstr(r.out, "p ask"));
  assert_non_null(strstr(r.out, "q ask"));
  ct_run_free(&r);

  /* A chain 5,000 spans deep: printed down to a cut, no crash. */
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  for (unsigned i = 1; i <= 5000; i++)
    fprintf(f,
            "{\"event\":\"span\",\"name\":\"x\",\"trace\":\"00000000000000ee\","
            "\"span\":\"%016x\",\"parent\":\"%s%015x\",\"handler\":\"message\","
            "\"start\":\"2026-01-01T00:00:00.%06uZ\",\"duration_us\":1,\"outcome\":\"ok\"}\n",
            i, i > 1 ? "0" : "", i > 1 ? i - 1 : 0, i);
  fclose(f);
  r = ct_troupe(n->dir, "trace", "ee", "--log", path);
  assert_int_equal(r.status, 0);
  assert_non_null(strstr(r.out, "5000 spans"));
  assert_non_null(strstr(r.out, "(deeper spans not shown)"));
  ct_run_free(&r);
  r = ct_troupe(n->dir, "trace", "ee", "--log", path, "--json");
  assert_int_equal(r.status, 0);
  ct_run_free(&r);
}

static void test_errors(void **state) {
  ct_node *n = *state;
  struct {
    const char *args[6];
    int status;
    const char *says;
  } cases[] = {
      {{"trace", NULL}, 2, "which trace"},
      {{"trace", "xyz", NULL}, 2, "hex"},
      {{"trace", "12345678901234567", NULL}, 2, "hex"},
      {{"trace", "ab", "cd", NULL}, 2, "unexpected"},
      {{"trace", "ab", "--log", NULL}, 2, "needs a value"},
      {{"trace", "ab", "--log", "/nonexistent/troupe.log", NULL}, 4, "cannot open"},
      {{"trace", "1234", "--node", "testnode", NULL}, 1, "no span of trace 0000000000001234"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    ct_run r = ct_troupe_v(n->dir, cases[i].args);
    if (r.status != cases[i].status || !strstr(r.err, cases[i].says))
      fprintf(stderr, "case %zu: %d %s", i, r.status, r.err);
    assert_int_equal(r.status, cases[i].status);
    assert_non_null(strstr(r.err, cases[i].says));
    ct_run_free(&r);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_live_chain, setup, teardown),
      cmocka_unit_test_setup_teardown(test_log_file, setup, teardown),
      cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
