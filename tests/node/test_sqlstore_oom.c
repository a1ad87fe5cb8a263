/*
 * tests/node/test_sqlstore_oom.c: out of memory at every allocation of the store's
 * calls (trB_alloc_fail_after swept from the first allocation on): each call fails
 * cleanly with TROUPE_E_NOMEM or succeeds, leaks nothing (ASan's leak check), and leaves
 * the file as it was or with the change complete. SQLite's own allocations are SQLite's
 * business (its own test suite sweeps them); these are ours.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "base/base.h"
#include "test_sqlstore_util.h"

typedef enum op { OP_OPEN, OP_ADD, OP_LIST, OP_SHOW, OP_GET, OP_VERIFY, OP_REMOVE, OP_N } op;

/* Run op once on a store holding a@1 (signed) and b@1; the status. */
static int run_op(op o, const char *db, const troupe_signing_key *key) {
  troupe_err err;
  troupe_sqlstore *s = NULL;
  uint8_t trusted[1][32];
  memcpy(trusted[0], key->public_key, 32);
  troupe_sqlstore_options opts = {.trusted_keys = trusted, .ntrusted = 1};
  int rc = troupe_sqlstore_open(db, &opts, &s, &err);
  if (rc)
    return rc;
  size_t n;
  uint8_t *m = su_module("new", &n);
  switch (o) {
  case OP_ADD: {
    troupe_sqlstore_entry e;
    rc = troupe_sqlstore_add(s, "c", "1", m, n, key, &e, NULL, &err);
    troupe_sqlstore_entry_clear(&e);
    break;
  }
  case OP_LIST: {
    troupe_sqlstore_entry *es;
    size_t cnt;
    rc = troupe_sqlstore_list(s, &es, &cnt, &err);
    if (rc == TROUPE_OK)
      troupe_sqlstore_entries_free(es, cnt);
    break;
  }
  case OP_SHOW: {
    troupe_sqlstore_entry e;
    rc = troupe_sqlstore_show(s, "a", &e, &err);
    troupe_sqlstore_entry_clear(&e);
    break;
  }
  case OP_GET: {
    troupe_store *st = NULL;
    rc = troupe_sqlstore_to_store(s, &st, &err);
    if (rc == TROUPE_OK) {
      s = NULL;
      troupe_module_blob b;
      rc = troupe_store_get(st, "a@1", &b, &err);
      troupe_module_blob_clear(&b);
      troupe_store_free(st);
    }
    break;
  }
  case OP_VERIFY: {
    troupe_sqlstore_report r;
    rc = troupe_sqlstore_verify(s, &r, &err);
    troupe_sqlstore_report_clear(&r);
    break;
  }
  case OP_REMOVE:
    rc = troupe_sqlstore_remove(s, "b@1", NULL, &err);
    break;
  default:
    break;
  }
  free(m);
  troupe_sqlstore_close(s);
  if (rc && rc != TROUPE_E_NOMEM)
    fprintf(stderr, "op %d: %s\n", (int)o, err.msg);
  return rc;
}

static void every_allocation_failure_is_clean(void **state) {
  (void)state;
  char *dir = su_tmpdir(), *db = su_path(dir, "store.db");
  troupe_signing_key key;
  assert_int_equal(su_key(dir, "k.key", &key), TROUPE_OK);
  for (op o = OP_OPEN; o < OP_N; o++) {
    int nomems = 0;
    for (long fail = 0;; fail++) {
      /* a fresh store for each try, so a completed change does not affect the next */
      unlink(db);
      troupe_sqlstore *s;
      troupe_err err;
      assert_int_equal(troupe_sqlstore_open(db, NULL, &s, &err), TROUPE_OK);
      size_t n;
      uint8_t *a = su_module("a", &n);
      assert_int_equal(troupe_sqlstore_add(s, "a", "1", a, n, &key, NULL, NULL, &err), TROUPE_OK);
      free(a);
      uint8_t *b = su_module("b", &n);
      assert_int_equal(troupe_sqlstore_add(s, "b", "1", b, n, NULL, NULL, NULL, &err), TROUPE_OK);
      free(b);
      troupe_sqlstore_close(s);

      trB_alloc_fail_after(fail);
      int rc = run_op(o, db, &key);
      trB_alloc_fail_after(-1);
      assert_true(rc == TROUPE_OK || rc == TROUPE_E_NOMEM);
      /* whatever happened, the file is sound */
      assert_int_equal(troupe_sqlstore_open(db, NULL, &s, &err), TROUPE_OK);
      troupe_sqlstore_report r;
      assert_int_equal(troupe_sqlstore_verify(s, &r, &err), TROUPE_OK);
      assert_int_equal(r.nproblems, 0);
      troupe_sqlstore_report_clear(&r);
      troupe_sqlstore_close(s);
      if (rc == TROUPE_OK)
        break; /* no allocation left to fail */
      nomems++;
      assert_true(fail < 1000);
    }
    assert_true(nomems > 0); /* every op allocates: the sweep reached it */
  }
  troupe_signing_key_clear(&key);
  su_rmrf(dir);
  free(dir);
  free(db);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(every_allocation_failure_is_clean),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
