/*
 * tests/node/test_sqlstore.c: the component store's API on a real SQLite file: the file
 * it creates, adding (validated, content-addressed, versions immutable), listing,
 * showing, resolving references, removing, verifying, the refusals of files that are not
 * a store of this troupe, the default location, and the store as a troupe_store.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "test_sqlstore_util.h"

#include <pthread.h>

typedef struct fx {
  char *dir, *db;
  troupe_sqlstore *s;
} fx;

static int setup(void **state) {
  fx *f = calloc(1, sizeof *f);
  f->dir = su_tmpdir();
  f->db = su_path(f->dir, "store.db");
  troupe_err err;
  if (troupe_sqlstore_open(f->db, NULL, &f->s, &err)) {
    fprintf(stderr, "open: %s\n", err.msg);
    return -1;
  }
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fx *f = *state;
  troupe_sqlstore_close(f->s);
  su_rmrf(f->dir);
  free(f->dir);
  free(f->db);
  free(f);
  return 0;
}

static void add_tag(fx *f, const char *name, const char *version, const char *tag) {
  size_t n;
  uint8_t *b = su_module(tag, &n);
  troupe_err err;
  int rc = troupe_sqlstore_add(f->s, name, version, b, n, NULL, NULL, NULL, &err);
  if (rc)
    fprintf(stderr, "add %s@%s: %s\n", name, version, err.msg);
  assert_int_equal(rc, TROUPE_OK);
  free(b);
}

/* ---- the file ---------------------------------------------------------------------- */

static void new_file_is_a_wal_store_of_schema_1(void **state) {
  fx *f = *state;
  assert_int_equal(su_sql_int(f->db, "PRAGMA user_version"), TROUPE_SQLSTORE_SCHEMA);
  assert_int_equal(su_sql_int(f->db, "PRAGMA application_id"), 0x54525550);
  assert_int_equal(su_sql_int(f->db, "SELECT count(*) FROM sqlite_master WHERE name IN "
                                     "('blob','module','signature')"),
                   3);
  /* WAL is a property of the file: another connection sees it */
  sqlite3 *db;
  assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
  sqlite3_stmt *st;
  assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL), SQLITE_OK);
  assert_int_equal(sqlite3_step(st), SQLITE_ROW);
  assert_string_equal((const char *)sqlite3_column_text(st, 0), "wal");
  sqlite3_finalize(st);
  sqlite3_close(db);
  assert_string_equal(troupe_sqlstore_path(f->s), f->db);
}

static void reopening_keeps_the_modules(void **state) {
  fx *f = *state;
  add_tag(f, "a", "1", "one");
  troupe_sqlstore_close(f->s);
  troupe_err err;
  assert_int_equal(troupe_sqlstore_open(f->db, NULL, &f->s, &err), TROUPE_OK);
  troupe_sqlstore_entry e;
  assert_int_equal(troupe_sqlstore_show(f->s, "a@1", &e, &err), TROUPE_OK);
  troupe_sqlstore_entry_clear(&e);
}

static void unknown_schema_version_is_refused(void **state) {
  fx *f = *state;
  troupe_sqlstore_close(f->s);
  f->s = NULL;
  assert_int_equal(su_sql(f->db, "PRAGMA user_version = 99"), SQLITE_OK);
  troupe_err err;
  troupe_sqlstore *s = NULL;
  assert_int_equal(troupe_sqlstore_open(f->db, NULL, &s, &err), TROUPE_E_UNSUPPORTED);
  assert_null(s);
  assert_non_null(strstr(err.msg, "schema version 99"));
  assert_non_null(strstr(err.msg, f->db));
}

static void file_that_is_not_sqlite_is_refused(void **state) {
  fx *f = *state;
  char *p = su_path(f->dir, "notes.txt");
  FILE *fp = fopen(p, "w");
  fputs("these are not the bytes of an SQLite database, just some text that is long enough "
        "to have a header of a hundred bytes, which SQLite reads first.\n",
        fp);
  fclose(fp);
  troupe_err err;
  troupe_sqlstore *s = NULL;
  assert_int_equal(troupe_sqlstore_open(p, NULL, &s, &err), TROUPE_E_INVAL);
  assert_non_null(strstr(err.msg, "not a troupe store"));
  free(p);
}

static void database_of_another_program_is_refused(void **state) {
  fx *f = *state;
  char *p = su_path(f->dir, "other.db");
  assert_int_equal(su_sql(p, "CREATE TABLE t(x); INSERT INTO t VALUES (1)"), SQLITE_OK);
  troupe_err err;
  troupe_sqlstore *s = NULL;
  assert_int_equal(troupe_sqlstore_open(p, NULL, &s, &err), TROUPE_E_INVAL);
  assert_non_null(strstr(err.msg, "another program"));
  /* and it was not touched: still its own journal mode, its own table */
  assert_int_equal(su_sql_int(p, "SELECT x FROM t"), 1);
  free(p);
}

static void unwritable_path_is_an_io_error(void **state) {
  fx *f = *state;
  troupe_err err;
  troupe_sqlstore *s = NULL;
  /* under a regular file: no directory can be there */
  char *file = su_path(f->dir, "plain");
  fclose(fopen(file, "w"));
  char *p = su_path(file, "store.db");
  assert_int_equal(troupe_sqlstore_open(p, NULL, &s, &err), TROUPE_E_IO);
  assert_non_null(strstr(err.msg, p));
  /* a directory where the file should be */
  assert_int_equal(troupe_sqlstore_open(f->dir, NULL, &s, &err), TROUPE_E_IO);
  assert_non_null(strstr(err.msg, "not a regular file"));
  assert_int_equal(troupe_sqlstore_open("", NULL, &s, &err), TROUPE_E_INVAL);
  assert_null(s);
  free(p);
  free(file);
}

/* ---- add ------------------------------------------------------------------------------- */

static void add_records_name_version_size_time_and_hash(void **state) {
  fx *f = *state;
  size_t n;
  uint8_t *b = su_component("echo", &n);
  assert_non_null(b);
  troupe_err err;
  troupe_sqlstore_entry e;
  bool added = false;
  uint64_t before = troupe_clock_wall_ns() / 1000000u * 1000000u;
  assert_int_equal(troupe_sqlstore_add(f->s, "echo", "1.0.0", b, n, NULL, &e, &added, &err),
                   TROUPE_OK);
  assert_true(added);
  assert_string_equal(e.name, "echo");
  assert_string_equal(e.version, "1.0.0");
  assert_int_equal(e.size, n);
  uint8_t sha[32];
  troupe_sha256(b, n, sha);
  assert_memory_equal(e.sha256, sha, 32);
  assert_true(e.added_ns >= before && e.added_ns <= troupe_clock_wall_ns());
  assert_int_equal(e.nsigs, 0);
  troupe_sqlstore_entry_clear(&e);
  free(b);
}

static void module_that_does_not_compile_is_refused(void **state) {
  fx *f = *state;
  troupe_err err;
  static const char text[] = "hello, not wasm";
  int rc = troupe_sqlstore_add(f->s, "bad", "1", text, sizeof text, NULL, NULL, NULL, &err);
  assert_int_equal(rc, TROUPE_E_MALFORMED);
  assert_non_null(strstr(err.msg, "'bad@1' is not a valid WebAssembly module"));
  /* well-formed but invalid: a function whose body returns nothing for an i32 result */
  static const uint8_t invalid[] = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, /* header */
                                    0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7f,       /* type */
                                    0x03, 0x02, 0x01, 0x00,                         /* func */
                                    0x0a, 0x04, 0x01, 0x02, 0x00, 0x0b};            /* code */
  rc = troupe_sqlstore_add(f->s, "bad", "2", invalid, sizeof invalid, NULL, NULL, NULL, &err);
  assert_int_equal(rc, TROUPE_E_INVALID);
  assert_int_equal(su_sql_int(f->db, "SELECT count(*) FROM module"), 0);
  assert_int_equal(su_sql_int(f->db, "SELECT count(*) FROM blob"), 0);
}

static void bad_names_and_versions_are_refused(void **state) {
  fx *f = *state;
  size_t n;
  uint8_t *b = su_module("x", &n);
  troupe_err err;
  const char *names[] = {"", "a b", "a@b", "sha256:00", "a/b", NULL};
  for (size_t i = 0; names[i]; i++)
    assert_int_equal(troupe_sqlstore_add(f->s, names[i], "1", b, n, NULL, NULL, NULL, &err),
                     TROUPE_E_INVAL);
  const char *versions[] = {"", "1 0", "1@2", "1/2", NULL};
  for (size_t i = 0; versions[i]; i++)
    assert_int_equal(troupe_sqlstore_add(f->s, "a", versions[i], b, n, NULL, NULL, NULL, &err),
                     TROUPE_E_INVAL);
  assert_int_equal(troupe_sqlstore_add(f->s, "a", "1", NULL, 0, NULL, NULL, NULL, &err),
                   TROUPE_E_INVAL);
  assert_int_equal(su_sql_int(f->db, "SELECT count(*) FROM module"), 0);
  free(b);
}

static void version_with_other_bytes_is_refused_same_bytes_is_a_no_op(void **state) {
  fx *f = *state;
  add_tag(f, "m", "1", "first");
  size_t n;
  uint8_t *other = su_module("second", &n);
  troupe_err err;
  assert_int_equal(troupe_sqlstore_add(f->s, "m", "1", other, n, NULL, NULL, NULL, &err),
                   TROUPE_E_EXISTS);
  assert_non_null(strstr(err.msg, "already holds 'm@1' with other bytes"));
  free(other);
  uint8_t *same = su_module("first", &n);
  bool added = true;
  assert_int_equal(troupe_sqlstore_add(f->s, "m", "1", same, n, NULL, NULL, &added, &err),
                   TROUPE_OK);
  assert_false(added);
  free(same);
  troupe_module_blob blob;
  assert_int_equal(troupe_sqlstore_get(f->s, "m@1", &blob, &err), TROUPE_OK);
  uint8_t *first = su_module("first", &n);
  assert_int_equal(blob.len, n);
  assert_memory_equal(blob.bytes, first, n);
  free(first);
  troupe_module_blob_clear(&blob);
}

static void same_bytes_under_two_names_are_stored_once(void **state) {
  fx *f = *state;
  add_tag(f, "a", "1", "shared");
  add_tag(f, "b", "7", "shared");
  add_tag(f, "a", "2", "own");
  assert_int_equal(su_sql_int(f->db, "SELECT count(*) FROM module"), 3);
  assert_int_equal(su_sql_int(f->db, "SELECT count(*) FROM blob"), 2);
}

/* ---- references ------------------------------------------------------------------------- */

static void references_resolve_by_name_version_and_hash(void **state) {
  fx *f = *state;
  add_tag(f, "svc", "1.9", "v1.9");
  add_tag(f, "svc", "1.10", "v1.10"); /* newer than 1.9: numeric parts */
  add_tag(f, "svc", "1.2", "v1.2");
  troupe_err err;
  troupe_module_blob b;
  assert_int_equal(troupe_sqlstore_get(f->s, "svc", &b, &err), TROUPE_OK);
  assert_string_equal(b.version, "1.10");
  assert_string_equal(b.name, "svc");
  troupe_module_blob_clear(&b);
  assert_int_equal(troupe_sqlstore_get(f->s, "svc@1.2", &b, &err), TROUPE_OK);
  size_t n;
  uint8_t *want = su_module("v1.2", &n);
  assert_int_equal(b.len, n);
  assert_memory_equal(b.bytes, want, n);
  char ref[80], hex[65];
  troupe_sha256_hex(b.sha256, hex);
  snprintf(ref, sizeof ref, "sha256:%s", hex);
  troupe_module_blob_clear(&b);
  assert_int_equal(troupe_sqlstore_get(f->s, ref, &b, &err), TROUPE_OK);
  assert_string_equal(b.version, "1.2");
  assert_memory_equal(b.bytes, want, n);
  troupe_module_blob_clear(&b);
  free(want);
  troupe_sqlstore_entry e;
  assert_int_equal(troupe_sqlstore_show(f->s, "svc", &e, &err), TROUPE_OK);
  assert_string_equal(e.version, "1.10");
  troupe_sqlstore_entry_clear(&e);
  assert_int_equal(troupe_sqlstore_show(f->s, ref, &e, &err), TROUPE_OK);
  assert_string_equal(e.version, "1.2");
  troupe_sqlstore_entry_clear(&e);
}

static void unknown_and_malformed_references(void **state) {
  fx *f = *state;
  add_tag(f, "svc", "1", "x");
  troupe_err err;
  troupe_module_blob b;
  troupe_sqlstore_entry e;
  assert_int_equal(troupe_sqlstore_get(f->s, "nope", &b, &err), TROUPE_E_NOTFOUND);
  assert_non_null(strstr(err.msg, "no module 'nope' in store"));
  assert_null(b.bytes);
  assert_int_equal(troupe_sqlstore_get(f->s, "svc@2", &b, &err), TROUPE_E_NOTFOUND);
  assert_int_equal(troupe_sqlstore_show(f->s, "svc@2", &e, &err), TROUPE_E_NOTFOUND);
  assert_int_equal(troupe_sqlstore_get(f->s, "sha256:" "0000000000000000000000000000000000000000000000000000000000000000", &b, &err),
                   TROUPE_E_NOTFOUND);
  assert_int_equal(troupe_sqlstore_get(f->s, "a b", &b, &err), TROUPE_E_INVAL);
  assert_int_equal(troupe_sqlstore_show(f->s, "sha256:12", &e, &err), TROUPE_E_INVAL);
}

/* ---- list, remove ------------------------------------------------------------------------ */

static void list_orders_by_name_then_version(void **state) {
  fx *f = *state;
  troupe_sqlstore_entry *es;
  size_t n;
  troupe_err err;
  assert_int_equal(troupe_sqlstore_list(f->s, &es, &n, &err), TROUPE_OK);
  assert_int_equal(n, 0);
  assert_null(es);
  add_tag(f, "zeta", "1", "z");
  add_tag(f, "alpha", "10", "a10");
  add_tag(f, "alpha", "9", "a9");
  assert_int_equal(troupe_sqlstore_list(f->s, &es, &n, &err), TROUPE_OK);
  assert_int_equal(n, 3);
  assert_string_equal(es[0].name, "alpha");
  assert_string_equal(es[0].version, "9");
  assert_string_equal(es[1].version, "10");
  assert_string_equal(es[2].name, "zeta");
  troupe_sqlstore_entries_free(es, n);
}

static void remove_takes_a_version_or_the_bytes(void **state) {
  fx *f = *state;
  add_tag(f, "a", "1", "shared");
  add_tag(f, "b", "1", "shared");
  add_tag(f, "a", "2", "own");
  troupe_err err;
  size_t removed = 0;
  assert_int_equal(troupe_sqlstore_remove(f->s, "a", &removed, &err), TROUPE_E_INVAL);
  assert_non_null(strstr(err.msg, "name a version"));
  assert_int_equal(troupe_sqlstore_remove(f->s, "a@3", &removed, &err), TROUPE_E_NOTFOUND);
  /* one version: the shared bytes stay (b@1 uses them) */
  assert_int_equal(troupe_sqlstore_remove(f->s, "a@1", &removed, &err), TROUPE_OK);
  assert_int_equal(removed, 1);
  assert_int_equal(su_sql_int(f->db, "SELECT count(*) FROM blob"), 2);
  /* a@2's own bytes go with it */
  assert_int_equal(troupe_sqlstore_remove(f->s, "a@2", &removed, &err), TROUPE_OK);
  assert_int_equal(su_sql_int(f->db, "SELECT count(*) FROM blob"), 1);
  troupe_module_blob b;
  assert_int_equal(troupe_sqlstore_get(f->s, "a", &b, &err), TROUPE_E_NOTFOUND);
  /* by the bytes: every version holding them */
  add_tag(f, "c", "1", "shared");
  size_t n;
  uint8_t *m = su_module("shared", &n), sha[32];
  troupe_sha256(m, n, sha);
  free(m);
  char ref[80], hex[65];
  troupe_sha256_hex(sha, hex);
  snprintf(ref, sizeof ref, "sha256:%s", hex);
  assert_int_equal(troupe_sqlstore_remove(f->s, ref, &removed, &err), TROUPE_OK);
  assert_int_equal(removed, 2);
  assert_int_equal(su_sql_int(f->db, "SELECT count(*) FROM module"), 0);
  assert_int_equal(su_sql_int(f->db, "SELECT count(*) FROM blob"), 0);
  assert_int_equal(troupe_sqlstore_remove(f->s, ref, &removed, &err), TROUPE_E_NOTFOUND);
}

/* ---- integrity ---------------------------------------------------------------------------- */

static void verify_of_a_sound_store_finds_nothing(void **state) {
  fx *f = *state;
  add_tag(f, "a", "1", "x");
  add_tag(f, "b", "1", "x");
  add_tag(f, "a", "2", "y");
  troupe_sqlstore_report r;
  troupe_err err;
  assert_int_equal(troupe_sqlstore_verify(f->s, &r, &err), TROUPE_OK);
  assert_int_equal(r.nproblems, 0);
  assert_int_equal(r.blobs, 2);
  assert_int_equal(r.versions, 3);
  troupe_sqlstore_report_clear(&r);
}

static void corrupted_bytes_are_refused_and_reported(void **state) {
  fx *f = *state;
  add_tag(f, "a", "1", "original");
  add_tag(f, "a", "2", "untouched");
  /* damage a@1's bytes behind the store's back: same length, other content */
  assert_int_equal(su_flip_last_byte(f->db, "blob", "bytes",
                                     "id = (SELECT blob_id FROM module WHERE version = '1')"),
                   1);
  assert_int_equal(su_sql_int(f->db, "SELECT count(*) FROM blob WHERE size = length(bytes)"), 2);
  troupe_err err;
  troupe_module_blob b;
  assert_int_equal(troupe_sqlstore_get(f->s, "a@1", &b, &err), TROUPE_E_IO);
  assert_non_null(strstr(err.msg, "module 'a@1': stored bytes do not match"));
  assert_null(b.bytes);
  assert_int_equal(troupe_sqlstore_get(f->s, "a@2", &b, &err), TROUPE_OK);
  troupe_module_blob_clear(&b);
  troupe_sqlstore_report r;
  assert_int_equal(troupe_sqlstore_verify(f->s, &r, &err), TROUPE_OK);
  assert_int_equal(r.nproblems, 1);
  assert_non_null(strstr(r.problems[0], "a@1: stored bytes hash to"));
  troupe_sqlstore_report_clear(&r);
}

/* ---- default location -------------------------------------------------------------------- */

static void default_path_follows_xdg_then_home(void **state) {
  fx *f = *state;
  char *old_xdg = getenv("XDG_DATA_HOME") ? strdup(getenv("XDG_DATA_HOME")) : NULL;
  char *old_home = getenv("HOME") ? strdup(getenv("HOME")) : NULL;
  char *xdg = su_path(f->dir, "xdg/data"), *path = NULL;
  troupe_err err;
  setenv("XDG_DATA_HOME", xdg, 1);
  assert_int_equal(troupe_sqlstore_default_path(true, &path, &err), TROUPE_OK);
  char *want = su_path(xdg, "troupe/store.db");
  assert_string_equal(path, want);
  char *tdir = su_path(xdg, "troupe");
  struct stat st;
  assert_int_equal(stat(tdir, &st), 0);
  assert_true(S_ISDIR(st.st_mode));
  assert_int_equal(st.st_mode & 0777, 0700);
  free(path);
  free(want);
  free(tdir);
  /* a relative XDG_DATA_HOME is ignored (XDG base directory spec): HOME is used */
  setenv("XDG_DATA_HOME", "relative/dir", 1);
  setenv("HOME", f->dir, 1);
  assert_int_equal(troupe_sqlstore_default_path(false, &path, &err), TROUPE_OK);
  want = su_path(f->dir, ".local/share/troupe/store.db");
  assert_string_equal(path, want);
  free(path);
  free(want);
  unsetenv("XDG_DATA_HOME");
  assert_int_equal(troupe_sqlstore_default_path(true, &path, &err), TROUPE_OK);
  troupe_sqlstore *s;
  assert_int_equal(troupe_sqlstore_open(path, NULL, &s, &err), TROUPE_OK);
  troupe_sqlstore_close(s);
  free(path);
  if (old_xdg)
    setenv("XDG_DATA_HOME", old_xdg, 1);
  if (old_home)
    setenv("HOME", old_home, 1);
  free(old_xdg);
  free(old_home);
  free(xdg);
}

/* ---- the store interface ------------------------------------------------------------------ */

static void as_troupe_store_resolves_references(void **state) {
  fx *f = *state;
  add_tag(f, "svc", "1", "one");
  add_tag(f, "svc", "2", "two");
  troupe_err err;
  troupe_store *st;
  assert_int_equal(troupe_sqlstore_to_store(f->s, &st, &err), TROUPE_OK);
  f->s = NULL; /* the troupe_store owns it now */
  troupe_module_blob b;
  assert_int_equal(troupe_store_get(st, "svc", &b, &err), TROUPE_OK);
  assert_string_equal(b.version, "2");
  troupe_module_blob_clear(&b);
  assert_int_equal(troupe_store_get(st, "svc@1", &b, &err), TROUPE_OK);
  assert_string_equal(b.version, "1");
  troupe_module_blob_clear(&b);
  assert_int_equal(troupe_store_get(st, "other", &b, &err), TROUPE_E_NOTFOUND);
  assert_non_null(strstr(err.msg, "no module 'other'"));
  troupe_store_free(st);
}

/* Threads getting while another adds: every get sees a whole module. */
typedef struct race {
  troupe_sqlstore *s;
  int failures;
} race;

static void *getter(void *p) {
  race *r = p;
  for (int i = 0; i < 200; i++) {
    troupe_module_blob b;
    troupe_err err;
    int rc = troupe_sqlstore_get(r->s, "base", &b, &err);
    if (rc || b.len < 8 || memcmp(b.bytes, "\0asm", 4) != 0)
      __atomic_add_fetch(&r->failures, 1, __ATOMIC_RELAXED);
    troupe_module_blob_clear(&b);
  }
  return NULL;
}

static void threads_share_one_store(void **state) {
  fx *f = *state;
  add_tag(f, "base", "1", "b");
  race r = {.s = f->s};
  pthread_t t[3];
  for (int i = 0; i < 3; i++)
    pthread_create(&t[i], NULL, getter, &r);
  for (int i = 2; i < 60; i++) {
    char v[16], tag[16];
    snprintf(v, sizeof v, "%d", i);
    snprintf(tag, sizeof tag, "b%d", i);
    add_tag(f, "base", v, tag);
  }
  for (int i = 0; i < 3; i++)
    pthread_join(t[i], NULL);
  assert_int_equal(r.failures, 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(new_file_is_a_wal_store_of_schema_1, setup, teardown),
      cmocka_unit_test_setup_teardown(reopening_keeps_the_modules, setup, teardown),
      cmocka_unit_test_setup_teardown(unknown_schema_version_is_refused, setup, teardown),
      cmocka_unit_test_setup_teardown(file_that_is_not_sqlite_is_refused, setup, teardown),
      cmocka_unit_test_setup_teardown(database_of_another_program_is_refused, setup, teardown),
      cmocka_unit_test_setup_teardown(unwritable_path_is_an_io_error, setup, teardown),
      cmocka_unit_test_setup_teardown(add_records_name_version_size_time_and_hash, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(module_that_does_not_compile_is_refused, setup, teardown),
      cmocka_unit_test_setup_teardown(bad_names_and_versions_are_refused, setup, teardown),
      cmocka_unit_test_setup_teardown(version_with_other_bytes_is_refused_same_bytes_is_a_no_op,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(same_bytes_under_two_names_are_stored_once, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(references_resolve_by_name_version_and_hash, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(unknown_and_malformed_references, setup, teardown),
      cmocka_unit_test_setup_teardown(list_orders_by_name_then_version, setup, teardown),
      cmocka_unit_test_setup_teardown(remove_takes_a_version_or_the_bytes, setup, teardown),
      cmocka_unit_test_setup_teardown(verify_of_a_sound_store_finds_nothing, setup, teardown),
      cmocka_unit_test_setup_teardown(corrupted_bytes_are_refused_and_reported, setup, teardown),
      cmocka_unit_test_setup_teardown(default_path_follows_xdg_then_home, setup, teardown),
      cmocka_unit_test_setup_teardown(as_troupe_store_resolves_references, setup, teardown),
      cmocka_unit_test_setup_teardown(threads_share_one_store, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
