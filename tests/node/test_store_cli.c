/*
 * tests/node/test_store_cli.c: `troupe store` and `troupe key` as a user runs them: the
 * real binary (TROUPE_BIN) in a subprocess with a private data directory
 * (XDG_DATA_HOME), its stdout, stderr and exit status. Errors are one line starting with
 * "troupe: "; exit statuses follow src/cli/cli.h (1 refused, 2 usage, 4 file I/O).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "test_sqlstore_util.h"

#include <fcntl.h>
#include <sys/wait.h>

#ifndef TROUPE_BIN
#error "TROUPE_BIN must name the built troupe binary"
#endif

typedef struct fx {
  char *dir, *xdg, *db, *echo, *counter;
  char *out, *err; /* the last run's output */
} fx;

static int setup(void **state) {
  fx *f = calloc(1, sizeof *f);
  f->dir = su_tmpdir();
  f->xdg = su_path(f->dir, "data");
  f->db = su_path(f->dir, "s.db");
  f->echo = strdup(TROUPE_COMPONENTS_DIR "/echo.wasm");
  f->counter = strdup(TROUPE_COMPONENTS_DIR "/counter.wasm");
  *state = f;
  return f->dir ? 0 : -1;
}

static int teardown(void **state) {
  fx *f = *state;
  su_rmrf(f->dir);
  free(f->dir);
  free(f->xdg);
  free(f->db);
  free(f->echo);
  free(f->counter);
  free(f->out);
  free(f->err);
  free(f);
  return 0;
}

static char *slurp(const char *path) {
  size_t n;
  uint8_t *b = su_file_bytes(path, &n);
  char *s = malloc(n + 1);
  if (b)
    memcpy(s, b, n);
  s[n] = '\0';
  free(b);
  return s;
}

/* Run troupe with the arguments (NULL-terminated) in f's data directory; the exit
 * status, with f->out and f->err holding what it printed. */
static int troupe(fx *f, ...) {
  const char *argv[32] = {TROUPE_BIN};
  int argc = 1;
  va_list ap;
  va_start(ap, f);
  const char *a;
  while ((a = va_arg(ap, const char *)) && argc < 31)
    argv[argc++] = a;
  va_end(ap);
  argv[argc] = NULL;
  char *op = su_path(f->dir, "stdout"), *ep = su_path(f->dir, "stderr");
  pid_t pid = fork();
  if (pid == 0) {
    int o = open(op, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int e = open(ep, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(o, 1);
    dup2(e, 2);
    if (chdir(f->dir) != 0)
      _exit(126);
    setenv("XDG_DATA_HOME", f->xdg, 1);
    setenv("HOME", f->dir, 1);
    execv(TROUPE_BIN, (char *const *)argv);
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  free(f->out);
  free(f->err);
  f->out = slurp(op);
  f->err = slurp(ep);
  free(op);
  free(ep);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* The run failed with one error line "troupe: <prefix>..." containing needle. */
static void assert_error_line(fx *f, const char *prefix, const char *needle) {
  if (strncmp(f->err, "troupe: ", 8) != 0 || strncmp(f->err + 8, prefix, strlen(prefix)) != 0 ||
      !strstr(f->err, needle))
    fprintf(stderr, "stderr was: %s", f->err);
  assert_int_equal(strncmp(f->err, "troupe: ", 8), 0);
  assert_int_equal(strncmp(f->err + 8, prefix, strlen(prefix)), 0);
  assert_non_null(strstr(f->err, needle));
  char *nl = strchr(f->err, '\n');
  assert_non_null(nl);
  assert_int_equal(nl[1], '\0'); /* one line */
}

/* ---- keys --------------------------------------------------------------------------------- */

static void key_gen_writes_a_private_key_and_prints_the_public_one(void **state) {
  fx *f = *state;
  assert_int_equal(troupe(f, "key", "gen", "--out", "k.key", NULL), 0);
  assert_int_equal(strlen(f->out), 65);
  char *key = su_path(f->dir, "k.key"), *pub = su_path(f->dir, "k.key.pub");
  struct stat st;
  assert_int_equal(stat(key, &st), 0);
  assert_int_equal(st.st_mode & 0777, 0600);
  char *pubtext = slurp(pub);
  assert_string_equal(pubtext, f->out);
  char *printed = strdup(f->out);
  /* the key file reads back to the same public key */
  assert_int_equal(troupe(f, "key", "pub", "k.key", NULL), 0);
  assert_string_equal(f->out, printed);
  /* never over an existing key */
  assert_int_equal(troupe(f, "key", "gen", "--out", "k.key", NULL), 1);
  assert_error_line(f, "key gen:", "already exists");
  assert_int_equal(troupe(f, "key", "pub", "k.key", NULL), 0);
  assert_string_equal(f->out, printed);
  free(printed);
  free(pubtext);
  free(key);
  free(pub);
}

static void key_gen_defaults_to_the_data_directory(void **state) {
  fx *f = *state;
  assert_int_equal(troupe(f, "key", "gen", NULL), 0);
  char *key = su_path(f->xdg, "troupe/signing.key"), *tdir = su_path(f->xdg, "troupe");
  struct stat st;
  assert_int_equal(stat(key, &st), 0);
  assert_int_equal(st.st_mode & 0777, 0600);
  assert_int_equal(stat(tdir, &st), 0);
  assert_int_equal(st.st_mode & 0777, 0700);
  free(key);
  free(tdir);
}

static void bad_key_files(void **state) {
  fx *f = *state;
  char *p = su_path(f->dir, "junk.key");
  FILE *fp = fopen(p, "w");
  fputs("not a key\n", fp);
  fclose(fp);
  chmod(p, 0600);
  assert_int_equal(troupe(f, "key", "pub", "junk.key", NULL), 1);
  assert_error_line(f, "key pub:", "is not a troupe secret key");
  assert_int_equal(troupe(f, "store", "add", f->echo, "--name", "echo", "--version", "1",
                          "--sign", "junk.key", "--store", f->db, NULL),
                   1);
  assert_error_line(f, "store add:", "junk.key");
  assert_int_equal(troupe(f, "key", "pub", "missing.key", NULL), 4);
  assert_error_line(f, "key pub:", "missing.key");
  assert_int_equal(troupe(f, "key", "gen", "--out", "nodir/k.key", NULL), 4);
  assert_error_line(f, "key gen:", "nodir/k.key");
  assert_int_equal(troupe(f, "key", "gen", "extra", NULL), 2);
  free(p);
}

/* ---- store commands ----------------------------------------------------------------------- */

static void add_ls_show_rm_round_trip(void **state) {
  fx *f = *state;
  assert_int_equal(troupe(f, "key", "gen", "--out", "k.key", NULL), 0);
  char pub[65];
  memcpy(pub, f->out, 64);
  pub[64] = '\0';
  assert_int_equal(troupe(f, "store", "add", f->echo, "--name", "echo", "--version", "1.0.0",
                          "--sign", "k.key", "--store", f->db, NULL),
                   0);
  assert_int_equal(strncmp(f->out, "added echo@1.0.0 sha256:", 24), 0);
  assert_non_null(strstr(f->out, "signed"));
  assert_int_equal(troupe(f, "store", "add", f->counter, "--name=counter", "--version=2",
                          "--store", f->db, NULL),
                   0);
  /* again, same bytes: fine, nothing changes */
  assert_int_equal(troupe(f, "store", "add", f->counter, "--name", "counter", "--version", "2",
                          "--store", f->db, NULL),
                   0);
  assert_non_null(strstr(f->out, "already there"));

  assert_int_equal(troupe(f, "store", "ls", "--store", f->db, NULL), 0);
  assert_int_equal(strncmp(f->out, "NAME", 4), 0);
  char *counter = strstr(f->out, "\ncounter "), *echo = strstr(f->out, "\necho ");
  assert_non_null(counter);
  assert_non_null(echo);
  assert_true(counter < echo);
  assert_string_equal(f->err, "");

  assert_int_equal(troupe(f, "store", "ls", "--json", "--store", f->db, NULL), 0);
  assert_int_equal(f->out[0], '[');
  assert_non_null(strstr(f->out, "\"name\":\"echo\",\"version\":\"1.0.0\""));
  assert_non_null(strstr(f->out, pub));
  assert_non_null(strstr(f->out, "\"valid\":true"));

  assert_int_equal(troupe(f, "store", "show", "echo", "--store", f->db, NULL), 0);
  assert_non_null(strstr(f->out, "name:      echo\n"));
  assert_non_null(strstr(f->out, "size:      "));
  assert_non_null(strstr(f->out, pub));
  assert_int_equal(troupe(f, "store", "show", "echo@1.0.0", "--json", "--trust", "k.key.pub",
                          "--store", f->db, NULL),
                   0);
  assert_non_null(strstr(f->out, "\"trusted\":true"));

  assert_int_equal(troupe(f, "store", "rm", "echo@1.0.0", "--store", f->db, NULL), 0);
  assert_string_equal(f->out, "removed echo@1.0.0 (1 version)\n");
  assert_int_equal(troupe(f, "store", "show", "echo", "--store", f->db, NULL), 1);
  assert_error_line(f, "store show:", "no module 'echo'");
  assert_int_equal(troupe(f, "store", "ls", "--store", f->db, NULL), 0);
  assert_null(strstr(f->out, "echo"));
}

static void store_defaults_to_the_data_directory(void **state) {
  fx *f = *state;
  assert_int_equal(troupe(f, "store", "add", f->echo, "--name", "echo", "--version", "1", NULL),
                   0);
  char *db = su_path(f->xdg, "troupe/store.db");
  struct stat st;
  assert_int_equal(stat(db, &st), 0);
  assert_int_equal(su_sql_int(db, "SELECT count(*) FROM module"), 1);
  assert_int_equal(troupe(f, "store", "ls", NULL), 0);
  assert_non_null(strstr(f->out, "\necho "));
  free(db);
}

static void refusals_are_one_line_with_their_status(void **state) {
  fx *f = *state;
  /* not a module */
  char *txt = su_path(f->dir, "m.wasm");
  FILE *fp = fopen(txt, "w");
  fputs("hello\n", fp);
  fclose(fp);
  assert_int_equal(troupe(f, "store", "add", "m.wasm", "--name", "m", "--version", "1",
                          "--store", f->db, NULL),
                   1);
  assert_error_line(f, "store add:", "not a valid WebAssembly module");
  /* a version that exists with other bytes */
  assert_int_equal(troupe(f, "store", "add", f->echo, "--name", "m", "--version", "1",
                          "--store", f->db, NULL),
                   0);
  assert_int_equal(troupe(f, "store", "add", f->counter, "--name", "m", "--version", "1",
                          "--store", f->db, NULL),
                   1);
  assert_error_line(f, "store add:", "already holds 'm@1' with other bytes");
  /* unknown references */
  assert_int_equal(troupe(f, "store", "show", "nope@3", "--store", f->db, NULL), 1);
  assert_error_line(f, "store show:", "no module 'nope@3'");
  assert_int_equal(troupe(f, "store", "rm", "nope@3", "--store", f->db, NULL), 1);
  assert_error_line(f, "store rm:", "no module 'nope@3'");
  assert_int_equal(troupe(f, "store", "rm", "m", "--store", f->db, NULL), 1);
  assert_error_line(f, "store rm:", "name a version");
  assert_int_equal(troupe(f, "store", "show", "bad ref", "--store", f->db, NULL), 1);
  assert_error_line(f, "store show:", "module reference");
  /* files that cannot be read or written */
  assert_int_equal(troupe(f, "store", "add", "absent.wasm", "--name", "a", "--version", "1",
                          "--store", f->db, NULL),
                   4);
  assert_error_line(f, "", "absent.wasm");
  char *under = su_path(txt, "s.db"); /* below a regular file */
  assert_int_equal(troupe(f, "store", "ls", "--store", under, NULL), 4);
  assert_error_line(f, "store ls:", under);
  free(under);
  /* command lines */
  assert_int_equal(troupe(f, "store", "add", f->echo, "--name", "a", "--store", f->db, NULL), 2);
  assert_error_line(f, "store add:", "--version");
  assert_int_equal(troupe(f, "store", "ls", "--bogus", NULL), 2);
  assert_error_line(f, "store ls:", "unknown option '--bogus'");
  assert_int_equal(troupe(f, "store", "show", NULL), 2);
  assert_int_equal(troupe(f, "store", "frobnicate", NULL), 2);
  assert_int_equal(troupe(f, "store", "verify", "--trust", "xyz", "--store", f->db, NULL), 2);
  assert_error_line(f, "store verify:", "--trust");
  free(txt);
}

static void unknown_schema_version_is_a_clear_error(void **state) {
  fx *f = *state;
  assert_int_equal(troupe(f, "store", "add", f->echo, "--name", "e", "--version", "1",
                          "--store", f->db, NULL),
                   0);
  assert_int_equal(su_sql(f->db, "PRAGMA user_version = 42"), SQLITE_OK);
  assert_int_equal(troupe(f, "store", "ls", "--store", f->db, NULL), 1);
  assert_error_line(f, "store ls:", "schema version 42");
}

static void verify_reports_corruption_and_untrusted_versions(void **state) {
  fx *f = *state;
  assert_int_equal(troupe(f, "key", "gen", "--out", "k.key", NULL), 0);
  assert_int_equal(troupe(f, "store", "add", f->echo, "--name", "echo", "--version", "1",
                          "--sign", "k.key", "--store", f->db, NULL),
                   0);
  assert_int_equal(troupe(f, "store", "add", f->counter, "--name", "counter", "--version", "1",
                          "--store", f->db, NULL),
                   0);
  assert_int_equal(troupe(f, "store", "verify", "--store", f->db, NULL), 0);
  assert_non_null(strstr(f->out, "ok: 2 versions"));
  /* with trust: the unsigned counter is a problem */
  assert_int_equal(troupe(f, "store", "verify", "--trust", "k.key.pub", "--store", f->db, NULL),
                   1);
  assert_non_null(strstr(f->out, "counter@1: not signed"));
  assert_error_line(f, "store verify:", "1 problem");
  /* damage echo's bytes */
  assert_int_equal(su_flip_last_byte(f->db, "blob", "bytes",
                                     "id = (SELECT blob_id FROM module WHERE name = 'echo')"),
                   1);
  assert_int_equal(troupe(f, "store", "verify", "--store", f->db, NULL), 1);
  assert_non_null(strstr(f->out, "echo@1: stored bytes hash to"));
  assert_error_line(f, "store verify:", "1 problem");
}

static void every_command_has_help(void **state) {
  fx *f = *state;
  const char *subs[] = {"add", "ls", "show", "rm", "verify", NULL};
  for (size_t i = 0; subs[i]; i++) {
    assert_int_equal(troupe(f, "store", subs[i], "--help", NULL), 0);
    assert_int_equal(strncmp(f->out, "usage: troupe store ", 20), 0);
  }
  assert_int_equal(troupe(f, "store", "--help", NULL), 0);
  assert_int_equal(troupe(f, "key", "--help", NULL), 0);
  assert_int_equal(troupe(f, "key", "gen", "--help", NULL), 0);
  assert_int_equal(troupe(f, "--help", NULL), 0);
  assert_non_null(strstr(f->out, "store"));
  assert_non_null(strstr(f->out, "key"));
}

int main(void) {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
  const struct CMUnitTest tests[] = {
      T(key_gen_writes_a_private_key_and_prints_the_public_one),
      T(key_gen_defaults_to_the_data_directory),
      T(bad_key_files),
      T(add_ls_show_rm_round_trip),
      T(store_defaults_to_the_data_directory),
      T(refusals_are_one_line_with_their_status),
      T(unknown_schema_version_is_a_clear_error),
      T(verify_reports_corruption_and_untrusted_versions),
      T(every_command_has_help),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
