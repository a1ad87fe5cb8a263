/*
 * tests/node/test_manifest_cli.c: `troupe check` as a user runs it -- the built tool
 * (TROUPE_BIN) in a subprocess on the files under data/manifests/ and on
 * examples/apps/demo.yaml: exit status 0 with the one-line summary on stdout, or 1 with
 * every error on its own line on stderr (exact lines), --json for scripts (read back
 * with jansson), usage errors (exit 2), several files at once.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <jansson.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define DATA TROUPE_TEST_DATA "/manifests"
#define DEMO TROUPE_TEST_DATA "/../../../examples/apps/demo.yaml"

typedef struct run_result {
  int status; /* exit status, or -1 when it did not exit normally */
  char *out, *err;
} run_result;

static char *slurp(int fd) {
  size_t cap = 4096, n = 0;
  char *buf = malloc(cap);
  assert_non_null(buf);
  lseek(fd, 0, SEEK_SET);
  for (;;) {
    if (n + 1 == cap) {
      cap *= 2;
      buf = realloc(buf, cap);
      assert_non_null(buf);
    }
    ssize_t got = read(fd, buf + n, cap - n - 1);
    if (got <= 0)
      break;
    n += (size_t)got;
  }
  buf[n] = '\0';
  close(fd);
  return buf;
}

static int temp_fd(void) {
  char path[] = "/tmp/troupe-check-XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  unlink(path);
  return fd;
}

/* Run TROUPE_BIN with args (NULL-terminated), from the data folder, stdout and stderr
 * into temporary files. */
static run_result run(const char *arg, ...) {
  const char *argv[16] = {TROUPE_BIN};
  int argc = 1;
  va_list ap;
  va_start(ap, arg);
  for (const char *a = arg; a && argc < 15; a = va_arg(ap, const char *))
    argv[argc++] = a;
  va_end(ap);
  argv[argc] = NULL;
  int out = temp_fd(), err = temp_fd();
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, out, 1);
  posix_spawn_file_actions_adddup2(&fa, err, 2);
  posix_spawn_file_actions_addchdir_np(&fa, DATA);
  pid_t pid;
  assert_int_equal(posix_spawn(&pid, TROUPE_BIN, &fa, NULL, (char *const *)argv, environ), 0);
  posix_spawn_file_actions_destroy(&fa);
  int ws;
  assert_int_equal(waitpid(pid, &ws, 0), pid);
  run_result r = {WIFEXITED(ws) ? WEXITSTATUS(ws) : -1, slurp(out), slurp(err)};
  return r;
}

static void run_free(run_result *r) {
  free(r->out);
  free(r->err);
}

static void test_good(void **state) {
  (void)state;
  run_result r = run("check", "--modules-dir", TROUPE_COMPONENTS_DIR, "good.yaml", NULL);
  assert_int_equal(r.status, 0);
  assert_string_equal(r.out, "good.yaml: ok: 4 components, 2 supervisors, 1 subscription\n");
  assert_string_equal(r.err, "");
  run_free(&r);

  /* the example application, against this build's components (Rust and AssemblyScript
   * ones among them: not built without the guest SDKs) */
#if TROUPE_GUEST_SDKS_BUILT
  r = run("check", "--modules-dir", TROUPE_COMPONENTS_DIR, DEMO, NULL);
  assert_int_equal(r.status, 0);
  assert_non_null(strstr(r.out, "demo.yaml: ok: "));
  assert_string_equal(r.err, "");
  run_free(&r);
#else
  print_message("SKIPPED: troupe check of examples/apps/demo.yaml (no guest SDKs)\n");
#endif
}

static void test_bad(void **state) {
  (void)state;
  run_result r = run("check", "--modules-dir", TROUPE_COMPONENTS_DIR, "bad.yaml", NULL);
  assert_int_equal(r.status, 1);
  assert_string_equal(r.out, "");
  assert_string_equal(
      r.err,
      "bad.yaml:3:12: node.workers: expected an integer, got 'lots'\n"
      "bad.yaml:8:25: components.echo.limits.max_memory_pages: expected a number of 64 KiB "
      "pages, or a size: 16MiB, 1GiB; got 'abc'\n"
      "bad.yaml:10:17: components.echo.caps.send_to[0]: malformed pattern 'a..b': token 2 is "
      "empty (patterns are NATS subjects: dot-separated tokens, '*' a whole token, '>' only "
      "last)\n"
      "bad.yaml:12:13: components.counter.module: module reference 'bad ref': name may hold "
      "only letters, digits, '_', '.', '-' (byte 3 is ' ')\n"
      "bad.yaml:13:3: components.lonely: component 'lonely' is in no supervisor's children: "
      "list it under one\n"
      "bad.yaml:14:11: components.lonely.path: module file 'missing.wasm' not found (looked "
      "for '" TROUPE_COMPONENTS_DIR "/missing.wasm')\n"
      "bad.yaml:17:15: supervisors.root.strategy: expected one of one_for_one, one_for_all, "
      "rest_for_one; got 'sideways'\n"
      "bad.yaml:18:31: supervisors.root.children[2]: no component or supervisor named "
      "'ghost'\n");
  run_free(&r);

  r = run("check", "syntax.yaml", NULL);
  assert_int_equal(r.status, 1);
  assert_string_equal(r.err, "syntax.yaml:4:4: YAML syntax error: did not find expected key "
                             "(while parsing a block mapping at line 2, column 3)\n");
  run_free(&r);

  r = run("check", "cycle.yaml", NULL);
  assert_int_equal(r.status, 1);
  assert_string_equal(r.err, "cycle.yaml:4:3: supervisors.a: supervisors form a cycle: a -> b "
                             "-> a (each is a child of the next)\n");
  run_free(&r);

  r = run("check", "no-such.yaml", NULL);
  assert_int_equal(r.status, 1);
  assert_string_equal(r.err, "no-such.yaml: cannot open: No such file or directory\n");
  run_free(&r);
}

static void test_json(void **state) {
  (void)state;
  run_result r = run("check", "--json", "--modules-dir", TROUPE_COMPONENTS_DIR, "good.yaml",
                     "bad.yaml", NULL);
  assert_int_equal(r.status, 1);
  assert_string_equal(r.err, "");
  /* one object per line */
  char *nl = strchr(r.out, '\n');
  assert_non_null(nl);
  *nl = '\0';
  json_error_t je;
  json_t *good = json_loads(r.out, 0, &je), *bad = json_loads(nl + 1, 0, &je);
  assert_non_null(good);
  assert_non_null(bad);
  assert_string_equal(json_string_value(json_object_get(good, "file")), "good.yaml");
  assert_true(json_is_true(json_object_get(good, "ok")));
  assert_int_equal(json_integer_value(json_object_get(good, "components")), 4);
  assert_int_equal(json_integer_value(json_object_get(good, "supervisors")), 2);
  assert_int_equal(json_array_size(json_object_get(good, "errors")), 0);
  assert_true(json_is_false(json_object_get(bad, "ok")));
  json_t *errs = json_object_get(bad, "errors");
  assert_int_equal(json_array_size(errs), 8);
  json_t *e = json_array_get(errs, 0);
  assert_string_equal(json_string_value(json_object_get(e, "file")), "bad.yaml");
  assert_int_equal(json_integer_value(json_object_get(e, "line")), 3);
  assert_int_equal(json_integer_value(json_object_get(e, "column")), 12);
  assert_string_equal(json_string_value(json_object_get(e, "field")), "node.workers");
  assert_string_equal(json_string_value(json_object_get(e, "message")),
                      "expected an integer, got 'lots'");
  /* quotes and backslashes in messages stay valid JSON */
  e = json_array_get(errs, 2);
  assert_string_equal(json_string_value(json_object_get(e, "message")),
                      "malformed pattern 'a..b': token 2 is empty (patterns are NATS subjects: "
                      "dot-separated tokens, '*' a whole token, '>' only last)");
  json_decref(good);
  json_decref(bad);
  run_free(&r);
}

static void test_usage(void **state) {
  (void)state;
  run_result r = run("check", NULL);
  assert_int_equal(r.status, 2);
  assert_non_null(strstr(r.err, "usage: troupe check"));
  run_free(&r);
  r = run("check", "--bogus", "good.yaml", NULL);
  assert_int_equal(r.status, 2);
  assert_non_null(strstr(r.err, "unknown option '--bogus'"));
  run_free(&r);
  r = run("check", "good.yaml", "--modules-dir", NULL);
  assert_int_equal(r.status, 2);
  assert_non_null(strstr(r.err, "--modules-dir needs a value"));
  run_free(&r);
  r = run("check", "--help", NULL);
  assert_int_equal(r.status, 0);
  assert_non_null(strstr(r.out, "usage: troupe check"));
  run_free(&r);
  /* --no-files: the missing module files are not looked for */
  r = run("check", "--no-files", "good.yaml", NULL);
  assert_int_equal(r.status, 0);
  run_free(&r);
  /* listed in the top-level help */
  r = run("--help", NULL);
  assert_non_null(strstr(r.out, "  check "));
  run_free(&r);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_good),
      cmocka_unit_test(test_bad),
      cmocka_unit_test(test_json),
      cmocka_unit_test(test_usage),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
