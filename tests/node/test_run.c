/*
 * tests/node/test_run.c: `troupe run APP.yaml`, the real binary in a subprocess with
 * real signals, its control socket in a fresh folder and the example components the
 * build makes. It starts the manifest's tree (groups and all) and serves the control
 * commands; SIGTERM stops it in reverse start order with status 0; a second signal
 * forces the exit; a root supervisor that gives up ends it with status 1 and the
 * reason; --watch hot-upgrades a component whose module file is replaced, and refuses
 * a broken one while the old module runs on; a component that cannot start, or a wrong
 * manifest, is a one-line error with status 1.
 */
#include "test_control_util.h"

#include <sys/wait.h>

typedef struct rn {
  char dir[64];   /* temporary: the manifest, the log, modules, the socket folder */
  char ctl[96];
  pid_t pid;
  int out, err;
  char *errtext;  /* what the node printed on stderr so far */
  size_t errlen;
} rn;

static void write_text(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
}

static void copy_file(const char *from, const char *to) {
  FILE *a = fopen(from, "rb");
  assert_non_null(a);
  char tmp[256];
  snprintf(tmp, sizeof tmp, "%s.tmp", to);
  FILE *b = fopen(tmp, "wb");
  assert_non_null(b);
  char buf[65536];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, a)) > 0)
    assert_int_equal(fwrite(buf, 1, n, b), n);
  fclose(a);
  fclose(b);
  assert_int_equal(rename(tmp, to), 0); /* as an editor or a build replaces a file */
}

static void rn_dirs(rn *r) {
  memset(r, 0, sizeof *r);
  snprintf(r->dir, sizeof r->dir, "/tmp/troupe-run-XXXXXX");
  assert_non_null(mkdtemp(r->dir));
  snprintf(r->ctl, sizeof r->ctl, "%s/ctl", r->dir);
  assert_int_equal(mkdir(r->ctl, 0700), 0);
}

/* Write app.yaml (text) and start `troupe run` on it with extra arguments. */
static void rn_start(rn *r, const char *yaml, const char *extra) {
  char app[128], log[128];
  snprintf(app, sizeof app, "%s/app.yaml", r->dir);
  snprintf(log, sizeof log, "%s/node.log", r->dir);
  write_text(app, yaml);
  const char *args[] = {"run", app, "--modules-dir", TROUPE_COMPONENTS_DIR, "--log", log,
                        extra, NULL};
  if (!extra)
    args[6] = NULL;
  r->pid = ct_start(r->ctl, &r->out, &r->err, args);
  fcntl(r->err, F_SETFL, O_NONBLOCK);
}

/* Read what stderr has now. */
static void rn_drain(rn *r) {
  char buf[4096];
  ssize_t k;
  while ((k = read(r->err, buf, sizeof buf)) > 0)
    ct_append(&r->errtext, &r->errlen, buf, (size_t)k);
  if (!r->errtext)
    r->errtext = calloc(1, 1);
}

/* Wait (bounded) until stderr holds needle. */
static bool rn_wait_err(rn *r, const char *needle) {
  for (unsigned i = 0; i < CT_WAIT_MS / 10; i++) {
    rn_drain(r);
    if (strstr(r->errtext, needle))
      return true;
    ct_sleep_ms(10);
  }
  fprintf(stderr, "stderr so far:\n%s\n", r->errtext);
  return false;
}

/* Wait (bounded) for the node's exit status; -1 if it does not end. */
static int rn_wait_exit(rn *r, unsigned ms) {
  for (unsigned i = 0; i < ms / 10; i++) {
    int st;
    pid_t p = waitpid(r->pid, &st, WNOHANG);
    if (p == r->pid) {
      r->pid = 0;
      rn_drain(r);
      return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    }
    rn_drain(r);
    ct_sleep_ms(10);
  }
  return -1;
}

static void rn_free(rn *r) {
  if (r->pid) {
    kill(r->pid, SIGKILL);
    waitpid(r->pid, NULL, 0);
  }
  close(r->out);
  close(r->err);
  free(r->errtext);
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", r->dir);
  assert_int_equal(system(cmd), 0);
}

static char *slurp(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return strdup("");
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *s = calloc(1, (size_t)n + 1);
  assert_int_equal(fread(s, 1, (size_t)n, f), (size_t)n);
  fclose(f);
  return s;
}

static void rn_running(rn *r) {
  assert_true(rn_wait_err(r, "running"));
}

static const char *tree_yaml =
    "node:\n  name: runtest\n"
    "components:\n"
    "  e1: {path: echo.wasm}\n"
    "  c1: {path: counter.wasm}\n"
    "  p1:\n    path: probe.wasm\n    env: {PROBE_CLEANUP: log}\n"
    "supervisors:\n"
    "  root: {children: [front, p1]}\n"
    "  front: {strategy: one_for_all, children: [e1, c1]}\n";

static void run_and_stop(void **state) {
  (void)state;
  rn r;
  rn_dirs(&r);
  rn_start(&r, tree_yaml, NULL);
  rn_running(&r);
  assert_non_null(strstr(r.errtext, "node 'runtest' running 3 components under 2 supervisors"));
  ct_run a = ct_troupe(r.ctl, "ask", "e1", "\"x\"");
  assert_int_equal(a.status, 0);
  assert_string_equal(a.out, "\"x\"\n");
  ct_run_free(&a);
  ct_run ps = ct_troupe(r.ctl, "ps");
  assert_int_equal(ps.status, 0);
  assert_non_null(strstr(ps.out, "c1"));
  ct_run_free(&ps);
  kill(r.pid, SIGTERM);
  assert_int_equal(rn_wait_exit(&r, 30000), 0);
  assert_non_null(strstr(r.errtext, "stopping node 'runtest'"));
  char log[128];
  snprintf(log, sizeof log, "%s/node.log", r.dir);
  char *text = slurp(log);
  /* started e1, c1 (group front), p1; stopped in reverse */
  const char *s1 = strstr(text, "\"event\":\"component_stopped\",\"component\":3");
  const char *s2 = strstr(text, "\"event\":\"component_stopped\",\"component\":2");
  const char *s3 = strstr(text, "\"event\":\"component_stopped\",\"component\":1");
  assert_non_null(strstr(text, "\"event\":\"node_started\""));
  assert_true(s1 && s2 && s3 && s1 < s2 && s2 < s3);
  assert_non_null(strstr(text, "\"event\":\"node_stopped\""));
  free(text);
  rn_free(&r);
}

static void second_signal_forces(void **state) {
  (void)state;
  rn r;
  rn_dirs(&r);
  rn_start(&r,
           "components:\n"
           "  slow:\n    path: probe.wasm\n    env: {PROBE_CLEANUP: spin}\n"
           "    shutdown_ms: 60s\n    limits: {cleanup_timeout_ms: 60s}\n"
           "supervisors:\n  root: {children: [slow]}\n",
           NULL);
  rn_running(&r);
  kill(r.pid, SIGTERM);
  assert_true(rn_wait_err(&r, "stopping node"));
  kill(r.pid, SIGTERM);
  assert_int_equal(rn_wait_exit(&r, 20000), 128 + SIGTERM);
  assert_non_null(strstr(r.errtext, "forced exit"));
  rn_free(&r);
}

static void root_gives_up(void **state) {
  (void)state;
  rn r;
  rn_dirs(&r);
  rn_start(&r,
           "components:\n  fragile: {path: probe.wasm}\n"
           "supervisors:\n  root: {intensity: 0, children: [fragile]}\n",
           NULL);
  rn_running(&r);
  ct_run s = ct_troupe(r.ctl, "send", "fragile", "\"crash\"");
  assert_int_equal(s.status, 0);
  ct_run_free(&s);
  assert_int_equal(rn_wait_exit(&r, 30000), 1);
  assert_non_null(strstr(r.errtext, "the root supervisor ended"));
  rn_free(&r);
}

static void watch_upgrades(void **state) {
  (void)state;
  rn r;
  rn_dirs(&r);
  char mods[128], m[160], yaml[512];
  snprintf(mods, sizeof mods, "%s/mods", r.dir);
  assert_int_equal(mkdir(mods, 0700), 0);
  snprintf(m, sizeof m, "%s/m.wasm", mods);
  copy_file(TROUPE_COMPONENTS_DIR "/echo.wasm", m);
  snprintf(yaml, sizeof yaml,
           "components:\n  x: {path: %s}\nsupervisors:\n  root: {children: [x]}\n", m);
  rn_start(&r, yaml, "--watch");
  rn_running(&r);
  ct_run a = ct_troupe(r.ctl, "invoke", "x", "echo", "--args", "7");
  assert_int_equal(a.status, 0);
  ct_run_free(&a);
  copy_file(TROUPE_COMPONENTS_DIR "/probe.wasm", m);
  assert_true(rn_wait_err(&r, "--watch: x: upgraded"));
  a = ct_troupe(r.ctl, "invoke", "x", "self_id");
  assert_int_equal(a.status, 0); /* probe's export: the new module runs */
  ct_run_free(&a);
  char junk[160];
  snprintf(junk, sizeof junk, "%s/junk", r.dir);
  write_text(junk, "not a module");
  copy_file(junk, m);
  assert_true(rn_wait_err(&r, "--watch: x: not upgraded"));
  a = ct_troupe(r.ctl, "invoke", "x", "self_id");
  assert_int_equal(a.status, 0); /* still the probe */
  ct_run_free(&a);
  kill(r.pid, SIGINT);
  assert_int_equal(rn_wait_exit(&r, 30000), 0);
  rn_free(&r);
}

/* A node whose manifest (fmt, with %s for a file that is not a module) fails to start:
 * exit status 1 and `expect` in its error. */
static void fails_to_start(const char *fmt, const char *expect) {
  rn r;
  rn_dirs(&r);
  char bad[160], yaml[512];
  snprintf(bad, sizeof bad, "%s/bad.wasm", r.dir);
  write_text(bad, "garbage, not a module");
  snprintf(yaml, sizeof yaml, fmt, bad);
  rn_start(&r, yaml, NULL);
  assert_int_equal(rn_wait_exit(&r, 30000), 1);
  if (!strstr(r.errtext, expect))
    fail_msg("wanted \"%s\" in: %s", expect, r.errtext);
  rn_free(&r);
}

static void start_failure(void **state) {
  (void)state;
  fails_to_start("components:\n  ok: {path: echo.wasm}\n  bad: {path: %s}\n"
                 "supervisors:\n  root: {children: [ok, bad]}\n",
                 "app.yaml:3:3: component 2 'bad': compile failed");
  /* The same inside a group, whose supervisor starts its leading members itself: the
   * error still names the component and its place in the manifest. */
  fails_to_start("components:\n  ok: {path: echo.wasm}\n  bad: {path: %s}\n"
                 "supervisors:\n  root: {children: [grp]}\n  grp: {children: [bad, ok]}\n",
                 "app.yaml:3:3: component 1 'bad': compile failed");
}

/* A node with trusted keys runs signed store modules only: a module file is refused at
 * start, and spawn or upgrade from a file over the control socket is DENIED; an
 * unsigned store module is refused too. */
static void trusted_keys(void **state) {
  (void)state;
  rn r;
  rn_dirs(&r);
  char key[128], store[128], pub[160], yaml[1024];
  snprintf(key, sizeof key, "%s/k", r.dir);
  snprintf(store, sizeof store, "%s/store.db", r.dir);
  ct_run k = ct_troupe(r.ctl, "key", "gen", "--out", key);
  assert_int_equal(k.status, 0);
  snprintf(pub, sizeof pub, "%.64s", k.out);
  assert_int_equal(strlen(pub), 64);
  ct_run_free(&k);
  ct_run a = ct_troupe(r.ctl, "store", "add", TROUPE_COMPONENTS_DIR "/echo.wasm", "--name", "echo",
                       "--version", "1", "--sign", key, "--store", store);
  assert_int_equal(a.status, 0);
  ct_run_free(&a);
  a = ct_troupe(r.ctl, "store", "add", TROUPE_COMPONENTS_DIR "/counter.wasm", "--name",
                "counter", "--version", "1", "--store", store);
  assert_int_equal(a.status, 0);
  ct_run_free(&a);
  snprintf(yaml, sizeof yaml,
           "node: {name: signed, store: %s, trusted_keys: [%s]}\n"
           "components:\n  e: {module: echo@1}\n"
           "supervisors:\n  root: {children: [e]}\n",
           store, pub);
  rn_start(&r, yaml, NULL);
  rn_running(&r);
  ct_run c = ct_troupe(r.ctl, "ask", "e", "\"signed\"");
  assert_int_equal(c.status, 0);
  ct_run_free(&c);
  c = ct_troupe(r.ctl, "spawn", "x", TROUPE_COMPONENTS_DIR "/echo.wasm");
  assert_int_equal(c.status, 1);
  assert_non_null(strstr(c.err, "only signed modules"));
  ct_run_free(&c);
  c = ct_troupe(r.ctl, "upgrade", "e", TROUPE_COMPONENTS_DIR "/counter.wasm");
  assert_int_equal(c.status, 1);
  assert_non_null(strstr(c.err, "only signed modules"));
  ct_run_free(&c);
  c = ct_troupe(r.ctl, "spawn", "y", "counter@1"); /* in the store, but unsigned */
  assert_int_equal(c.status, 1);
  assert_non_null(strstr(c.err, "counter"));
  ct_run_free(&c);
  kill(r.pid, SIGTERM);
  assert_int_equal(rn_wait_exit(&r, 30000), 0);
  close(r.out);
  close(r.err);
  free(r.errtext);
  r.errtext = NULL;
  r.errlen = 0;
  /* a module file in such a node's manifest: refused at start */
  snprintf(yaml, sizeof yaml,
           "node: {name: signed2, store: %s, trusted_keys: [%s]}\n"
           "components:\n  f: {path: echo.wasm}\n"
           "supervisors:\n  root: {children: [f]}\n",
           store, pub);
  rn_start(&r, yaml, NULL);
  assert_int_equal(rn_wait_exit(&r, 30000), 1);
  assert_non_null(strstr(r.errtext, "trusted_keys is set"));
  rn_free(&r);
}

static void wrong_manifest(void **state) {
  (void)state;
  rn r;
  rn_dirs(&r);
  rn_start(&r, "components:\n  e: {path: echo.wasm, colour: red}\n", NULL);
  assert_int_equal(rn_wait_exit(&r, 30000), 1);
  assert_non_null(strstr(r.errtext, "app.yaml:2:"));
  assert_non_null(strstr(r.errtext, "colour"));
  rn_free(&r);
  ct_run u = ct_troupe("/tmp", "run");
  assert_int_equal(u.status, 2);
  assert_non_null(strstr(u.err, "no manifest given"));
  ct_run_free(&u);
}

int main(void) {
  signal(SIGPIPE, SIG_IGN);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(run_and_stop),     cmocka_unit_test(second_signal_forces),
      cmocka_unit_test(root_gives_up),    cmocka_unit_test(watch_upgrades),
      cmocka_unit_test(start_failure),    cmocka_unit_test(wrong_manifest),
      cmocka_unit_test(trusted_keys),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
