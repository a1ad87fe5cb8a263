/*
 * tests/node/test_sqlstore_trust.c: keys and signatures: key files (written private,
 * never overwritten, refused when malformed or readable by others), the signature of a
 * module (bound to its name, version and bytes), and a store with trusted keys, which
 * hands out only modules a trusted key signed -- and never bytes that no longer match
 * their hash, signed or not.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "test_sqlstore_util.h"

typedef struct fx {
  char *dir, *db;
  troupe_signing_key alice, mallory;
} fx;

static int setup(void **state) {
  fx *f = calloc(1, sizeof *f);
  f->dir = su_tmpdir();
  f->db = su_path(f->dir, "store.db");
  if (su_key(f->dir, "alice.key", &f->alice) || su_key(f->dir, "mallory.key", &f->mallory))
    return -1;
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fx *f = *state;
  troupe_signing_key_clear(&f->alice);
  troupe_signing_key_clear(&f->mallory);
  su_rmrf(f->dir);
  free(f->dir);
  free(f->db);
  free(f);
  return 0;
}

/* A store trusting the given keys (none: trusting nothing, checking nothing). */
static troupe_sqlstore *open_trusting(fx *f, const troupe_signing_key *a,
                                      const troupe_signing_key *b) {
  uint8_t keys[2][TROUPE_ED25519_PUBLIC_BYTES];
  size_t n = 0;
  if (a)
    memcpy(keys[n++], a->public_key, TROUPE_ED25519_PUBLIC_BYTES);
  if (b)
    memcpy(keys[n++], b->public_key, TROUPE_ED25519_PUBLIC_BYTES);
  troupe_sqlstore_options o = {.trusted_keys = keys, .ntrusted = n};
  troupe_sqlstore *s = NULL;
  troupe_err err;
  if (troupe_sqlstore_open(f->db, &o, &s, &err))
    fprintf(stderr, "open: %s\n", err.msg);
  return s;
}

static void add(troupe_sqlstore *s, const char *name, const char *version, const char *tag,
                const troupe_signing_key *key) {
  size_t n;
  uint8_t *b = su_module(tag, &n);
  troupe_err err;
  int rc = troupe_sqlstore_add(s, name, version, b, n, key, NULL, NULL, &err);
  if (rc)
    fprintf(stderr, "add: %s\n", err.msg);
  assert_int_equal(rc, TROUPE_OK);
  free(b);
}

/* ---- key files ------------------------------------------------------------------------ */

static void key_file_round_trip(void **state) {
  fx *f = *state;
  char *p = su_path(f->dir, "alice.key");
  struct stat st;
  assert_int_equal(stat(p, &st), 0);
  assert_int_equal(st.st_mode & 0777, 0600);
  troupe_signing_key k;
  troupe_err err;
  assert_int_equal(troupe_signing_key_read(p, &k, &err), TROUPE_OK);
  assert_memory_equal(k.public_key, f->alice.public_key, 32);
  assert_memory_equal(k.secret, f->alice.secret, 64);
  troupe_signing_key_clear(&k);
  uint8_t zero[64] = {0};
  assert_memory_equal(k.secret, zero, 64);
  /* never overwritten */
  assert_int_equal(troupe_signing_key_write(p, &f->mallory, &err), TROUPE_E_EXISTS);
  assert_int_equal(troupe_signing_key_read(p, &k, &err), TROUPE_OK);
  assert_memory_equal(k.public_key, f->alice.public_key, 32);
  troupe_signing_key_clear(&k);
  free(p);
}

static void bad_key_files_are_refused(void **state) {
  fx *f = *state;
  troupe_signing_key k;
  troupe_err err;
  char *p = su_path(f->dir, "bad.key");
  FILE *fp = fopen(p, "w");
  fputs("troupe-ed25519-secret-key:not-hex\n", fp);
  fclose(fp);
  chmod(p, 0600);
  assert_int_equal(troupe_signing_key_read(p, &k, &err), TROUPE_E_INVAL);
  assert_non_null(strstr(err.msg, "is not a troupe secret key"));
  /* a public key file is not a secret key */
  fp = fopen(p, "w");
  char hex[65];
  troupe_public_key_hex(f->alice.public_key, hex);
  fprintf(fp, "%s\n", hex);
  fclose(fp);
  assert_int_equal(troupe_signing_key_read(p, &k, &err), TROUPE_E_INVAL);
  /* a good key others may read */
  char *alice = su_path(f->dir, "alice.key");
  chmod(alice, 0644);
  assert_int_equal(troupe_signing_key_read(alice, &k, &err), TROUPE_E_IO);
  assert_non_null(strstr(err.msg, "readable by others"));
  char *none = su_path(f->dir, "missing.key");
  assert_int_equal(troupe_signing_key_read(none, &k, &err), TROUPE_E_IO);
  assert_non_null(strstr(err.msg, "missing.key"));
  /* where no file can be made */
  char *under = su_path(alice, "x.key");
  assert_int_equal(troupe_signing_key_write(under, &f->alice, &err), TROUPE_E_IO);
  free(under);
  free(none);
  free(alice);
  free(p);
}

static void public_keys_are_64_hex_digits(void **state) {
  fx *f = *state;
  char hex[65];
  troupe_public_key_hex(f->alice.public_key, hex);
  assert_int_equal(strlen(hex), 64);
  uint8_t back[32];
  troupe_err err;
  assert_int_equal(troupe_public_key_parse(hex, back, &err), TROUPE_OK);
  assert_memory_equal(back, f->alice.public_key, 32);
  hex[10] = 'g';
  assert_int_equal(troupe_public_key_parse(hex, back, &err), TROUPE_E_INVAL);
  assert_int_equal(troupe_public_key_parse("abcd", back, &err), TROUPE_E_INVAL);
}

/* ---- signatures ------------------------------------------------------------------------ */

static void signature_binds_name_version_and_bytes(void **state) {
  fx *f = *state;
  uint8_t sha[32], other[32], sig[64];
  troupe_sha256("module", 6, sha);
  troupe_sha256("other", 5, other);
  troupe_err err;
  assert_int_equal(troupe_module_sign(&f->alice, "svc", "1.0", sha, sig, &err), TROUPE_OK);
  assert_int_equal(troupe_module_verify(f->alice.public_key, "svc", "1.0", sha, sig, &err),
                   TROUPE_OK);
  assert_int_equal(troupe_module_verify(f->alice.public_key, "svc", "1.0", other, sig, &err),
                   TROUPE_E_SIGNATURE);
  assert_int_equal(troupe_module_verify(f->alice.public_key, "svc", "1.1", sha, sig, &err),
                   TROUPE_E_SIGNATURE);
  assert_int_equal(troupe_module_verify(f->alice.public_key, "evil", "1.0", sha, sig, &err),
                   TROUPE_E_SIGNATURE);
  /* the separator: ("svc.1", "0") is not ("svc", "1.0") with the dot moved */
  assert_int_equal(troupe_module_verify(f->alice.public_key, "svc.1", "0", sha, sig, &err),
                   TROUPE_E_SIGNATURE);
  assert_int_equal(troupe_module_verify(f->mallory.public_key, "svc", "1.0", sha, sig, &err),
                   TROUPE_E_SIGNATURE);
  assert_non_null(strstr(err.msg, "does not verify"));
}

static void add_with_key_records_a_valid_signature(void **state) {
  fx *f = *state;
  troupe_sqlstore *s = open_trusting(f, NULL, NULL);
  add(s, "svc", "1", "x", &f->alice);
  troupe_sqlstore_entry e;
  troupe_err err;
  assert_int_equal(troupe_sqlstore_show(s, "svc@1", &e, &err), TROUPE_OK);
  assert_int_equal(e.nsigs, 1);
  assert_memory_equal(e.sigs[0].public_key, f->alice.public_key, 32);
  assert_true(e.sigs[0].valid);
  assert_false(e.sigs[0].trusted); /* this store trusts nobody */
  troupe_sqlstore_entry_clear(&e);
  /* the same bytes added again with a second key: a second signature, same version */
  add(s, "svc", "1", "x", &f->mallory);
  assert_int_equal(troupe_sqlstore_show(s, "svc@1", &e, &err), TROUPE_OK);
  assert_int_equal(e.nsigs, 2);
  troupe_sqlstore_entry_clear(&e);
  /* and again with the first: nothing new */
  add(s, "svc", "1", "x", &f->alice);
  assert_int_equal(su_sql_int(f->db, "SELECT count(*) FROM signature"), 2);
  troupe_sqlstore_close(s);
}

/* ---- trust --------------------------------------------------------------------------------- */

static void without_trusted_keys_unsigned_modules_load(void **state) {
  fx *f = *state;
  troupe_sqlstore *s = open_trusting(f, NULL, NULL);
  add(s, "plain", "1", "p", NULL);
  troupe_module_blob b;
  troupe_err err;
  assert_int_equal(troupe_sqlstore_get(s, "plain", &b, &err), TROUPE_OK);
  troupe_store *st;
  assert_int_equal(troupe_sqlstore_to_store(s, &st, &err), TROUPE_OK);
  uint8_t sha[TROUPE_SHA256_BYTES];
  char *ver = NULL;
  assert_int_equal(troupe_store_resolve(st, "plain", sha, &ver, &err), TROUPE_OK);
  assert_memory_equal(sha, b.sha256, TROUPE_SHA256_BYTES);
  assert_string_equal(ver, "1");
  free(ver);
  assert_int_equal(troupe_store_resolve(st, "plain@2", sha, &ver, &err), TROUPE_E_NOTFOUND);
  troupe_module_blob_clear(&b);
  troupe_store_free(st); /* closes s */
}

static void trusted_store_refuses_unsigned_modules(void **state) {
  fx *f = *state;
  troupe_sqlstore *s = open_trusting(f, &f->alice, NULL);
  add(s, "plain", "1", "p", NULL);
  troupe_module_blob b;
  troupe_err err;
  assert_int_equal(troupe_sqlstore_get(s, "plain", &b, &err), TROUPE_E_SIGNATURE);
  assert_non_null(strstr(err.msg, "module 'plain@1' is not signed"));
  assert_null(b.bytes);
  /* a host's resolve (no bytes read) judges the same way */
  troupe_store *st;
  assert_int_equal(troupe_sqlstore_to_store(s, &st, &err), TROUPE_OK);
  uint8_t sha[TROUPE_SHA256_BYTES];
  char *ver = NULL;
  assert_int_equal(troupe_store_resolve(st, "plain", sha, &ver, &err), TROUPE_E_SIGNATURE);
  assert_non_null(strstr(err.msg, "module 'plain@1' is not signed"));
  assert_null(ver);
  troupe_store_free(st); /* closes s */
}

static void trusted_store_refuses_other_signers(void **state) {
  fx *f = *state;
  troupe_sqlstore *s = open_trusting(f, &f->alice, NULL);
  add(s, "svc", "1", "m", &f->mallory);
  troupe_module_blob b;
  troupe_err err;
  assert_int_equal(troupe_sqlstore_get(s, "svc@1", &b, &err), TROUPE_E_SIGNATURE);
  assert_non_null(strstr(err.msg, "module 'svc@1' is signed by no trusted key"));
  char hex[65];
  troupe_public_key_hex(f->mallory.public_key, hex);
  hex[16] = '\0';
  assert_non_null(strstr(err.msg, hex));
  troupe_sqlstore_close(s);
}

static void trusted_store_loads_what_a_trusted_key_signed(void **state) {
  fx *f = *state;
  troupe_sqlstore *s = open_trusting(f, &f->mallory, &f->alice);
  add(s, "svc", "1", "a", &f->alice);
  troupe_module_blob b;
  troupe_err err;
  assert_int_equal(troupe_sqlstore_get(s, "svc", &b, &err), TROUPE_OK);
  size_t n;
  uint8_t *want = su_module("a", &n);
  assert_int_equal(b.len, n);
  assert_memory_equal(b.bytes, want, n);
  free(want);
  troupe_module_blob_clear(&b);
  troupe_sqlstore_entry e;
  assert_int_equal(troupe_sqlstore_show(s, "svc", &e, &err), TROUPE_OK);
  assert_true(e.sigs[0].trusted && e.sigs[0].valid);
  troupe_sqlstore_entry_clear(&e);
  troupe_sqlstore_report r;
  assert_int_equal(troupe_sqlstore_verify(s, &r, &err), TROUPE_OK);
  assert_int_equal(r.nproblems, 0);
  assert_int_equal(r.signatures, 1);
  troupe_sqlstore_report_clear(&r);
  /* resolve: the trusted module's hash and version, without its bytes */
  troupe_store *st;
  assert_int_equal(troupe_sqlstore_to_store(s, &st, &err), TROUPE_OK);
  uint8_t sha[TROUPE_SHA256_BYTES], bytes_sha[TROUPE_SHA256_BYTES];
  char *ver = NULL;
  assert_int_equal(troupe_store_resolve(st, "svc", sha, &ver, &err), TROUPE_OK);
  want = su_module("a", &n);
  troupe_sha256(want, n, bytes_sha);
  free(want);
  assert_memory_equal(sha, bytes_sha, TROUPE_SHA256_BYTES);
  assert_string_equal(ver, "1");
  free(ver);
  troupe_store_free(st); /* closes s */
}

static void signature_that_does_not_verify_is_refused(void **state) {
  fx *f = *state;
  troupe_sqlstore *s = open_trusting(f, &f->alice, NULL);
  add(s, "svc", "1", "a", &f->alice);
  /* damage the signature behind the store's back */
  assert_int_equal(su_flip_last_byte(f->db, "signature", "signature", "1"), 1);
  troupe_module_blob b;
  troupe_err err;
  assert_int_equal(troupe_sqlstore_get(s, "svc@1", &b, &err), TROUPE_E_SIGNATURE);
  assert_non_null(strstr(err.msg, "module 'svc@1': its signature by trusted key"));
  assert_non_null(strstr(err.msg, "does not verify"));
  troupe_sqlstore_report r;
  assert_int_equal(troupe_sqlstore_verify(s, &r, &err), TROUPE_OK);
  assert_int_equal(r.nproblems, 2); /* the bad signature, and no trusted one left */
  troupe_sqlstore_report_clear(&r);
  troupe_sqlstore_close(s);
}

static void renamed_row_loses_its_signature(void **state) {
  fx *f = *state;
  troupe_sqlstore *s = open_trusting(f, &f->alice, NULL);
  add(s, "debug-tool", "1", "dangerous", &f->alice);
  /* someone with write access relabels the signed module as another one */
  assert_int_equal(su_sql(f->db, "UPDATE module SET name = 'payments'"), SQLITE_OK);
  troupe_module_blob b;
  troupe_err err;
  assert_int_equal(troupe_sqlstore_get(s, "payments@1", &b, &err), TROUPE_E_SIGNATURE);
  troupe_sqlstore_close(s);
}

static void corrupted_bytes_are_refused_even_when_signed(void **state) {
  fx *f = *state;
  troupe_sqlstore *s = open_trusting(f, &f->alice, NULL);
  add(s, "svc", "1", "original", &f->alice);
  assert_int_equal(su_flip_last_byte(f->db, "blob", "bytes", "1"), 1);
  troupe_module_blob b;
  troupe_err err;
  assert_int_equal(troupe_sqlstore_get(s, "svc@1", &b, &err), TROUPE_E_IO);
  assert_non_null(strstr(err.msg, "stored bytes do not match"));
  troupe_sqlstore_close(s);
  /* and by a store that checks no signatures */
  s = open_trusting(f, NULL, NULL);
  assert_int_equal(troupe_sqlstore_get(s, "svc@1", &b, &err), TROUPE_E_IO);
  troupe_sqlstore_close(s);
}

static void hash_reference_accepts_a_signature_on_any_of_its_versions(void **state) {
  fx *f = *state;
  troupe_sqlstore *s = open_trusting(f, &f->alice, NULL);
  add(s, "early", "1", "shared", NULL);         /* added first: what sha256: names */
  add(s, "later", "1", "shared", &f->alice);    /* same bytes, signed */
  size_t n;
  uint8_t *m = su_module("shared", &n), sha[32];
  troupe_sha256(m, n, sha);
  free(m);
  char ref[80], hex[65];
  troupe_sha256_hex(sha, hex);
  snprintf(ref, sizeof ref, "sha256:%s", hex);
  troupe_module_blob b;
  troupe_err err;
  assert_int_equal(troupe_sqlstore_get(s, ref, &b, &err), TROUPE_OK);
  troupe_module_blob_clear(&b);
  assert_int_equal(troupe_sqlstore_get(s, "early", &b, &err), TROUPE_E_SIGNATURE);
  troupe_sqlstore_close(s);
}

static void trusted_adapter_refuses_through_the_store_interface(void **state) {
  fx *f = *state;
  troupe_sqlstore *s = open_trusting(f, &f->alice, NULL);
  add(s, "plain", "1", "p", NULL);
  troupe_store *st;
  troupe_err err;
  assert_int_equal(troupe_sqlstore_to_store(s, &st, &err), TROUPE_OK);
  troupe_module_blob b;
  assert_int_equal(troupe_store_get(st, "plain", &b, &err), TROUPE_E_SIGNATURE);
  assert_non_null(strstr(err.msg, "'plain@1' is not signed"));
  troupe_store_free(st);
}

int main(void) {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
  const struct CMUnitTest tests[] = {
      T(key_file_round_trip),
      T(bad_key_files_are_refused),
      T(public_keys_are_64_hex_digits),
      T(signature_binds_name_version_and_bytes),
      T(add_with_key_records_a_valid_signature),
      T(without_trusted_keys_unsigned_modules_load),
      T(trusted_store_refuses_unsigned_modules),
      T(trusted_store_refuses_other_signers),
      T(trusted_store_loads_what_a_trusted_key_signed),
      T(signature_that_does_not_verify_is_refused),
      T(renamed_row_loses_its_signature),
      T(corrupted_bytes_are_refused_even_when_signed),
      T(hash_reference_accepts_a_signature_on_any_of_its_versions),
      T(trusted_adapter_refuses_through_the_store_interface),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
