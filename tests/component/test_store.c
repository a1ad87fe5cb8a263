/*
 * tests/component/test_store.c: module stores (include/troupe/store.h). The reference
 * grammar as a table of accepted and refused forms with their messages; the order of
 * versions that picks "the newest"; the in-memory store (by name, name@version, sha256,
 * newest version, EXISTS, NOTFOUND); the directory store over files written into a fresh
 * folder under /tmp (the same, plus a replaced file seen by the next get, files of other
 * names ignored, FIFOs and folders refused without hanging, nothing outside the folder
 * reachable, a missing folder named in its error); the store wrapper refusing an
 * embedder's store that returns bytes not matching a sha256: reference or a module other
 * than the one asked for; both stores shared by threads adding and getting at once; and
 * out-of-memory swept over the stores' entry points.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "component/store_int.h"
#include "troupe/store.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Three different byte strings; a store does not care that they are modules. */
static const uint8_t k_empty[] = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00};
static const uint8_t k_custom_a[] = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00,
                                     0x00, 0x00, 0x02, 0x01, 'a'};
static const uint8_t k_custom_b[] = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00,
                                     0x00, 0x00, 0x02, 0x01, 'b'};

static void sha_hex_of(const void *bytes, size_t len, char hex[TROUPE_SHA256_HEX]) {
  uint8_t sha[TROUPE_SHA256_BYTES];
  troupe_sha256(bytes, len, sha);
  troupe_sha256_hex(sha, hex);
}

static void assert_contains(const char *haystack, const char *needle) {
  if (!strstr(haystack, needle))
    fail_msg("'%s' does not contain '%s'", haystack, needle);
}

static void assert_blob(const troupe_module_blob *b, const void *bytes, size_t len,
                        const char *name, const char *version) {
  assert_int_equal(b->len, len);
  assert_memory_equal(b->bytes, bytes, len);
  uint8_t sha[TROUPE_SHA256_BYTES];
  troupe_sha256(bytes, len, sha);
  assert_memory_equal(b->sha256, sha, TROUPE_SHA256_BYTES);
  assert_string_equal(b->name, name);
  assert_string_equal(b->version, version);
}

/* ---- SHA-256 ------------------------------------------------------------------------ */

static void test_sha256_known_values(void **state) {
  (void)state;
  char hex[TROUPE_SHA256_HEX];
  sha_hex_of("", 0, hex);
  assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  sha_hex_of("abc", 3, hex);
  assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

/* ---- references ---------------------------------------------------------------------- */

static char *repeat(char c, size_t n) {
  char *s = malloc(n + 1);
  memset(s, c, n);
  s[n] = '\0';
  return s;
}

static void test_ref_valid_forms(void **state) {
  (void)state;
  troupe_module_ref r;
  troupe_err err;
  assert_int_equal(troupe_module_ref_parse("echo", &r, &err), TROUPE_OK);
  assert_int_equal(r.kind, TROUPE_REF_NAME);
  assert_string_equal(r.name, "echo");
  assert_string_equal(r.version, "");

  assert_int_equal(troupe_module_ref_parse("Shop_cart-7.v2@1.0.0-rc.1+build_9", &r, &err),
                   TROUPE_OK);
  assert_int_equal(r.kind, TROUPE_REF_VERSION);
  assert_string_equal(r.name, "Shop_cart-7.v2");
  assert_string_equal(r.version, "1.0.0-rc.1+build_9");

  /* ".." is a name like any other: the directory store turns it into "...wasm" */
  assert_int_equal(troupe_module_ref_parse("..", &r, &err), TROUPE_OK);
  assert_string_equal(r.name, "..");

  char *name = repeat('n', 128), *version = repeat('7', 64);
  char buf[256];
  snprintf(buf, sizeof buf, "%s@%s", name, version);
  assert_int_equal(troupe_module_ref_parse(buf, &r, &err), TROUPE_OK);
  assert_string_equal(r.name, name);
  assert_string_equal(r.version, version);
  free(name);
  free(version);

  const char *hex = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
  snprintf(buf, sizeof buf, "sha256:%s", hex);
  assert_int_equal(troupe_module_ref_parse(buf, &r, &err), TROUPE_OK);
  assert_int_equal(r.kind, TROUPE_REF_SHA256);
  uint8_t sha[TROUPE_SHA256_BYTES];
  troupe_sha256("abc", 3, sha);
  assert_memory_equal(r.sha256, sha, TROUPE_SHA256_BYTES);
  char back[200];
  trP_module_ref_format(&r, back, sizeof back);
  assert_string_equal(back, buf);
}

static void test_ref_invalid_forms(void **state) {
  (void)state;
  char *long_name = repeat('n', 129);
  char long_version[100];
  char *v65 = repeat('1', 65);
  snprintf(long_version, sizeof long_version, "a@%s", v65);
  free(v65);
  static const char upper[] =
      "sha256:BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD";
  static const char longer[] =
      "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad0";
  static const char spaced[] =
      "sha256: a7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
  const struct {
    const char *ref;
    const char *says; /* a part of the message */
  } cases[] = {
      {"", "module reference is empty"},
      {"a b", "module reference 'a b': name may hold only letters, digits, '_', '.', '-' "
              "(byte 1 is ' ')"},
      {"a/b", "(byte 1 is '/')"},
      {"../etc/passwd", "(byte 2 is '/')"},
      {"a\nb", "module reference 'a\\x0ab': name may hold only"},
      {"caf\xc3\xa9", "(byte 3 is \\xc3)"},
      {"md5:abc", "the only prefix is 'sha256:'"},
      {"@1.0", "module reference '@1.0': name is empty"},
      {"a@", "module reference 'a@': version after '@' is empty"},
      {"a@b@c", "version may hold only letters, digits, '_', '.', '+', '-' (byte 1 of the "
                "version is '@')"},
      {"a@1 0", "(byte 1 of the version is ' ')"},
      {long_name, "name is 129 bytes (at most 128)"},
      {long_version, "version is 65 bytes (at most 64)"},
      {"sha256:", "expected 64 hex digits after 'sha256:', found 0 bytes"},
      {"sha256:abc", "module reference 'sha256:abc': expected 64 hex digits"},
      {longer, "found 65 bytes"},
      {upper, "'B' at digit 0 is not a lowercase hex digit"},
      {spaced, "' ' at digit 0 is not a lowercase hex digit"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    troupe_module_ref r;
    troupe_err err;
    troupe_err_clear(&err);
    int rc = troupe_module_ref_parse(cases[i].ref, &r, &err);
    if (rc != TROUPE_E_INVAL)
      fail_msg("case %zu ('%s'): status %d, expected INVAL", i, cases[i].ref, rc);
    assert_int_equal(err.code, TROUPE_E_INVAL);
    assert_contains(err.msg, cases[i].says);
  }
  /* the quoted reference is cut short, so the reason still fits in the message */
  troupe_module_ref r;
  troupe_err err;
  char *huge = repeat('x', 5000);
  huge[4000] = ' ';
  assert_int_equal(troupe_module_ref_parse(huge, &r, &err), TROUPE_E_INVAL);
  assert_contains(err.msg, "...': name may hold only");
  free(huge);
  assert_int_equal(troupe_module_ref_parse(NULL, &r, &err), TROUPE_E_INVAL);
  assert_int_equal(troupe_module_ref_parse("x", NULL, &err), TROUPE_E_INVAL);
  free(long_name);
}

static void test_version_order(void **state) {
  (void)state;
  /* each row: older < newer */
  const char *rows[][2] = {
      {"0", "1"},           {"1.2", "1.10"},        {"1.9.9", "1.10.0"},
      {"1.2", "1.2.0"},     {"2", "10"},            {"1.2.0", "1.2.0-rc1"},
      {"1.0", "1.a"},       {"alpha", "beta"},      {"9", "99999999999999999999999"},
      {"1.01", "1.1"},      {"0.9", "00.10"},
  };
  for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
    if (troupe_module_version_cmp(rows[i][0], rows[i][1]) >= 0 ||
        troupe_module_version_cmp(rows[i][1], rows[i][0]) <= 0)
      fail_msg("row %zu: expected %s < %s", i, rows[i][0], rows[i][1]);
  }
  assert_int_equal(troupe_module_version_cmp("1.2.3", "1.2.3"), 0);
}

/* ---- the in-memory store ------------------------------------------------------------ */

static void test_mem_store(void **state) {
  (void)state;
  troupe_store *s;
  troupe_err err;
  assert_int_equal(troupe_store_mem_new(&s, &err), TROUPE_OK);
  uint8_t sha_a[TROUPE_SHA256_BYTES], expect[TROUPE_SHA256_BYTES];
  assert_int_equal(troupe_store_mem_add(s, "echo", "1.2", k_empty, sizeof k_empty, NULL, &err),
                   TROUPE_OK);
  assert_int_equal(
      troupe_store_mem_add(s, "echo", "1.10", k_custom_a, sizeof k_custom_a, sha_a, &err),
      TROUPE_OK);
  troupe_sha256(k_custom_a, sizeof k_custom_a, expect);
  assert_memory_equal(sha_a, expect, TROUPE_SHA256_BYTES);
  assert_int_equal(troupe_store_mem_add(s, "echo", "1.9", k_custom_b, sizeof k_custom_b, NULL,
                                        &err),
                   TROUPE_OK);
  assert_int_equal(troupe_store_mem_add(s, "other", "1", k_empty, sizeof k_empty, NULL, &err),
                   TROUPE_OK);

  troupe_module_blob b;
  /* the newest version: 1.10 > 1.9 > 1.2, whatever the order they were added in */
  assert_int_equal(troupe_store_get(s, "echo", &b, &err), TROUPE_OK);
  assert_blob(&b, k_custom_a, sizeof k_custom_a, "echo", "1.10");
  troupe_module_blob_clear(&b);
  assert_null(b.bytes);

  assert_int_equal(troupe_store_get(s, "echo@1.2", &b, &err), TROUPE_OK);
  assert_blob(&b, k_empty, sizeof k_empty, "echo", "1.2");
  troupe_module_blob_clear(&b);

  char ref[80], hex[TROUPE_SHA256_HEX];
  sha_hex_of(k_custom_b, sizeof k_custom_b, hex);
  snprintf(ref, sizeof ref, "sha256:%s", hex);
  assert_int_equal(troupe_store_get(s, ref, &b, &err), TROUPE_OK);
  assert_blob(&b, k_custom_b, sizeof k_custom_b, "echo", "1.9");
  troupe_module_blob_clear(&b);

  /* EXISTS: a version is added once */
  assert_int_equal(troupe_store_mem_add(s, "echo", "1.2", k_custom_b, sizeof k_custom_b, NULL,
                                        &err),
                   TROUPE_E_EXISTS);
  assert_contains(err.msg, "'echo@1.2'");
  assert_int_equal(troupe_store_get(s, "echo@1.2", &b, &err), TROUPE_OK);
  assert_memory_equal(b.bytes, k_empty, sizeof k_empty); /* unchanged */
  troupe_module_blob_clear(&b);

  /* NOTFOUND, with the reference in the message */
  assert_int_equal(troupe_store_get(s, "nope", &b, &err), TROUPE_E_NOTFOUND);
  assert_contains(err.msg, "no module 'nope'");
  assert_null(b.bytes);
  assert_int_equal(troupe_store_get(s, "echo@2", &b, &err), TROUPE_E_NOTFOUND);
  assert_contains(err.msg, "'echo@2'");
  sha_hex_of("nothing", 7, hex);
  snprintf(ref, sizeof ref, "sha256:%s", hex);
  assert_int_equal(troupe_store_get(s, ref, &b, &err), TROUPE_E_NOTFOUND);
  assert_contains(err.msg, ref);
  /* a malformed reference never reaches the store */
  assert_int_equal(troupe_store_get(s, "a b", &b, &err), TROUPE_E_INVAL);

  /* resolve: the same answers as get, without the bytes */
  uint8_t rsha[TROUPE_SHA256_BYTES];
  char *ver = NULL;
  assert_int_equal(troupe_store_resolve(s, "echo", rsha, &ver, &err), TROUPE_OK);
  assert_memory_equal(rsha, sha_a, TROUPE_SHA256_BYTES); /* the newest, 1.10 */
  assert_string_equal(ver, "1.10");
  free(ver);
  assert_int_equal(troupe_store_resolve(s, "echo@1.9", rsha, &ver, &err), TROUPE_OK);
  troupe_sha256(k_custom_b, sizeof k_custom_b, expect);
  assert_memory_equal(rsha, expect, TROUPE_SHA256_BYTES);
  assert_string_equal(ver, "1.9");
  free(ver);
  sha_hex_of(k_custom_b, sizeof k_custom_b, hex);
  snprintf(ref, sizeof ref, "sha256:%s", hex);
  assert_int_equal(troupe_store_resolve(s, ref, rsha, &ver, &err), TROUPE_OK);
  assert_memory_equal(rsha, expect, TROUPE_SHA256_BYTES);
  free(ver);
  assert_int_equal(troupe_store_resolve(s, "echo@2", rsha, &ver, &err), TROUPE_E_NOTFOUND);
  assert_contains(err.msg, "'echo@2'");
  assert_null(ver);
  assert_int_equal(troupe_store_resolve(s, "a b", rsha, &ver, &err), TROUPE_E_INVAL);
  assert_int_equal(troupe_store_resolve(s, "echo", NULL, &ver, &err), TROUPE_E_INVAL);
  assert_int_equal(troupe_store_resolve(NULL, "echo", rsha, &ver, &err), TROUPE_E_INVAL);

  /* add checks its arguments against the grammar */
  assert_int_equal(troupe_store_mem_add(s, "a/b", "1", k_empty, sizeof k_empty, NULL, &err),
                   TROUPE_E_INVAL);
  assert_contains(err.msg, "'a/b'");
  assert_int_equal(troupe_store_mem_add(s, "a", "1@2", k_empty, sizeof k_empty, NULL, &err),
                   TROUPE_E_INVAL);
  assert_int_equal(troupe_store_mem_add(s, "a", NULL, k_empty, sizeof k_empty, NULL, &err),
                   TROUPE_E_INVAL);
  assert_int_equal(troupe_store_mem_add(s, NULL, "1", k_empty, sizeof k_empty, NULL, &err),
                   TROUPE_E_INVAL);
  troupe_store_free(s);
  troupe_store_free(NULL);
}

/* ---- the directory store ------------------------------------------------------------- */

typedef struct tmpdir {
  char root[64];  /* /tmp/troupe-store-XXXXXX */
  char mods[128]; /* root/mods: the store */
} tmpdir;

static void write_file(const char *dir, const char *file, const void *bytes, size_t len) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s", dir, file);
  /* write then rename, as a deployment would, so a reader never sees half a file */
  char tmp[520];
  snprintf(tmp, sizeof tmp, "%s.tmp~", path);
  FILE *f = fopen(tmp, "wb");
  assert_non_null(f);
  assert_int_equal(fwrite(bytes, 1, len, f), len);
  assert_int_equal(fclose(f), 0);
  assert_int_equal(rename(tmp, path), 0);
}

static void tmpdir_make(tmpdir *t) {
  snprintf(t->root, sizeof t->root, "/tmp/troupe-store-XXXXXX");
  assert_non_null(mkdtemp(t->root));
  snprintf(t->mods, sizeof t->mods, "%s/mods", t->root);
  assert_int_equal(mkdir(t->mods, 0700), 0);
}

static void remove_tree(const char *path) {
  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", path);
  assert_int_equal(system(cmd), 0);
}

static void test_dir_store(void **state) {
  (void)state;
  tmpdir t;
  tmpdir_make(&t);
  write_file(t.mods, "echo.wasm", k_empty, sizeof k_empty);           /* echo@0 */
  write_file(t.mods, "echo@1.2.wasm", k_custom_a, sizeof k_custom_a); /* echo@1.2 */
  write_file(t.mods, "echo@1.10.wasm", k_custom_b, sizeof k_custom_b);
  /* not modules of echo, or not modules at all: all ignored */
  write_file(t.mods, "echo@9.txt", "x", 1);
  write_file(t.mods, "echo@9.wasm.bak", "x", 1);
  write_file(t.mods, "echo@9 9.wasm", "x", 1);
  write_file(t.mods, "echo@9@9.wasm", "x", 1);
  write_file(t.mods, "README", "x", 1);
  write_file(t.mods, ".wasm", "x", 1);
  write_file(t.mods, "echoes@99.wasm", "y", 1); /* a module, of another name */

  troupe_store *s;
  troupe_err err;
  assert_int_equal(troupe_store_dir_new(t.mods, &s, &err), TROUPE_OK);
  troupe_module_blob b;

  assert_int_equal(troupe_store_get(s, "echo", &b, &err), TROUPE_OK);
  assert_blob(&b, k_custom_b, sizeof k_custom_b, "echo", "1.10");
  troupe_module_blob_clear(&b);
  assert_int_equal(troupe_store_get(s, "echo@1.2", &b, &err), TROUPE_OK);
  assert_blob(&b, k_custom_a, sizeof k_custom_a, "echo", "1.2");
  troupe_module_blob_clear(&b);
  assert_int_equal(troupe_store_get(s, "echo@0", &b, &err), TROUPE_OK); /* echo.wasm */
  assert_blob(&b, k_empty, sizeof k_empty, "echo", "0");
  troupe_module_blob_clear(&b);

  char ref[80], hex[TROUPE_SHA256_HEX];
  sha_hex_of(k_custom_a, sizeof k_custom_a, hex);
  snprintf(ref, sizeof ref, "sha256:%s", hex);
  assert_int_equal(troupe_store_get(s, ref, &b, &err), TROUPE_OK);
  assert_blob(&b, k_custom_a, sizeof k_custom_a, "echo", "1.2");
  troupe_module_blob_clear(&b);
  sha_hex_of("x", 1, hex); /* the ignored files' bytes are no module of the store */
  snprintf(ref, sizeof ref, "sha256:%s", hex);
  assert_int_equal(troupe_store_get(s, ref, &b, &err), TROUPE_E_NOTFOUND);
  assert_contains(err.msg, t.mods);

  /* a file replaced on disk is what the next get returns; a new version becomes newest */
  write_file(t.mods, "echo@1.2.wasm", k_empty, sizeof k_empty);
  assert_int_equal(troupe_store_get(s, "echo@1.2", &b, &err), TROUPE_OK);
  assert_blob(&b, k_empty, sizeof k_empty, "echo", "1.2");
  troupe_module_blob_clear(&b);
  write_file(t.mods, "echo@2.0.wasm", k_custom_a, sizeof k_custom_a);
  assert_int_equal(troupe_store_get(s, "echo", &b, &err), TROUPE_OK);
  assert_blob(&b, k_custom_a, sizeof k_custom_a, "echo", "2.0");
  troupe_module_blob_clear(&b);

  /* a bare NAME.wasm alone is version "0" and the newest */
  write_file(t.mods, "solo.wasm", k_custom_b, sizeof k_custom_b);
  assert_int_equal(troupe_store_get(s, "solo", &b, &err), TROUPE_OK);
  assert_blob(&b, k_custom_b, sizeof k_custom_b, "solo", "0");
  troupe_module_blob_clear(&b);

  /* NOTFOUND names the reference and the folder */
  assert_int_equal(troupe_store_get(s, "nope", &b, &err), TROUPE_E_NOTFOUND);
  assert_contains(err.msg, "'nope'");
  assert_contains(err.msg, t.mods);
  assert_int_equal(troupe_store_get(s, "echo@7", &b, &err), TROUPE_E_NOTFOUND);
  assert_contains(err.msg, "'echo@7'");
  assert_int_equal(troupe_store_get(s, "echo@9", &b, &err), TROUPE_E_NOTFOUND);

  troupe_store_free(s);
  remove_tree(t.root);
}

/* Nothing outside the folder is reachable, and what is in it but not a file is refused
 * rather than read (a FIFO would block an open or a read forever). */
static void test_dir_store_confined(void **state) {
  (void)state;
  tmpdir t;
  tmpdir_make(&t);
  write_file(t.root, "secret.wasm", k_empty, sizeof k_empty); /* next to the store */
  char path[300];
  snprintf(path, sizeof path, "%s/fifo.wasm", t.mods);
  assert_int_equal(mkfifo(path, 0600), 0);
  snprintf(path, sizeof path, "%s/folder.wasm", t.mods);
  assert_int_equal(mkdir(path, 0700), 0);

  troupe_store *s;
  troupe_err err;
  char dir_slash[200];
  snprintf(dir_slash, sizeof dir_slash, "%s/", t.mods); /* a trailing '/' is fine */
  assert_int_equal(troupe_store_dir_new(dir_slash, &s, &err), TROUPE_OK);
  troupe_module_blob b;
  assert_int_equal(troupe_store_get(s, "../secret", &b, &err), TROUPE_E_INVAL);
  assert_int_equal(troupe_store_get(s, "..", &b, &err), TROUPE_E_NOTFOUND); /* mods/...wasm */
  assert_int_equal(troupe_store_get(s, "secret", &b, &err), TROUPE_E_NOTFOUND);

  assert_int_equal(troupe_store_get(s, "fifo@0", &b, &err), TROUPE_E_IO);
  assert_contains(err.msg, "fifo.wasm' is not a regular file");
  /* a bare name is resolved by listing, which passes over what is not a file */
  assert_int_equal(troupe_store_get(s, "fifo", &b, &err), TROUPE_E_NOTFOUND);
  assert_int_equal(troupe_store_get(s, "folder@0", &b, &err), TROUPE_E_IO);
  assert_contains(err.msg, "folder.wasm' is not a regular file");
  assert_int_equal(troupe_store_get(s, "folder", &b, &err), TROUPE_E_NOTFOUND);
  char ref[80], hex[TROUPE_SHA256_HEX];
  sha_hex_of(k_empty, sizeof k_empty, hex);
  snprintf(ref, sizeof ref, "sha256:%s", hex);
  assert_int_equal(troupe_store_get(s, ref, &b, &err), TROUPE_E_NOTFOUND); /* skips the FIFO */
  troupe_store_free(s);
  remove_tree(t.root);
}

static void test_dir_store_large_file(void **state) {
  (void)state;
  tmpdir t;
  tmpdir_make(&t);
  size_t len = 5u << 20; /* 5 MiB: many reads */
  uint8_t *big = malloc(len);
  for (size_t i = 0; i < len; i++)
    big[i] = (uint8_t)(i * 2654435761u >> 13);
  write_file(t.mods, "big@1.wasm", big, len);
  troupe_store *s;
  troupe_err err;
  assert_int_equal(troupe_store_dir_new(t.mods, &s, &err), TROUPE_OK);
  troupe_module_blob b;
  assert_int_equal(troupe_store_get(s, "big", &b, &err), TROUPE_OK);
  assert_blob(&b, big, len, "big", "1");
  troupe_module_blob_clear(&b);
  troupe_store_free(s);
  free(big);
  remove_tree(t.root);
}

static void test_dir_store_missing(void **state) {
  (void)state;
  tmpdir t;
  tmpdir_make(&t);
  troupe_store *s = (troupe_store *)&s;
  troupe_err err;
  char path[200];
  snprintf(path, sizeof path, "%s/absent", t.root);
  assert_int_equal(troupe_store_dir_new(path, &s, &err), TROUPE_E_NOTFOUND);
  assert_null(s);
  assert_contains(err.msg, path);
  /* a file is not a directory */
  write_file(t.root, "plain", "x", 1);
  snprintf(path, sizeof path, "%s/plain", t.root);
  assert_int_equal(troupe_store_dir_new(path, &s, &err), TROUPE_E_IO);
  assert_contains(err.msg, path);
  /* a folder that disappears after the store was made: NOTFOUND with its path */
  assert_int_equal(troupe_store_dir_new(t.mods, &s, &err), TROUPE_OK);
  assert_int_equal(rmdir(t.mods), 0);
  troupe_module_blob b;
  assert_int_equal(troupe_store_get(s, "echo", &b, &err), TROUPE_E_NOTFOUND);
  assert_contains(err.msg, t.mods);
  assert_int_equal(troupe_store_get(s, "echo@1", &b, &err), TROUPE_E_NOTFOUND);
  assert_contains(err.msg, t.mods);
  /* mem_add only works on an in-memory store */
  assert_int_equal(troupe_store_mem_add(s, "a", "1", k_empty, sizeof k_empty, NULL, &err),
                   TROUPE_E_INVAL);
  troupe_store_free(s);
  remove_tree(t.root);
}

/* ---- an embedder's store ------------------------------------------------------------- */

typedef struct liar {
  const uint8_t *bytes; /* what get returns, whatever was asked */
  size_t len;
  const char *name;     /* claimed name (NULL: none) */
  int status;           /* when not OK: returned without a message */
  int destroyed;
} liar;

static int liar_get(void *self, const troupe_module_ref *ref, troupe_module_blob *out,
                    troupe_err *err) {
  (void)ref;
  (void)err;
  liar *l = self;
  if (l->status)
    return l->status;
  out->bytes = malloc(l->len);
  memcpy(out->bytes, l->bytes, l->len);
  out->len = l->len;
  out->name = l->name ? strdup(l->name) : NULL;
  return TROUPE_OK;
}

static void liar_destroy(void *self) { ((liar *)self)->destroyed++; }

/* Resolves everything to its bytes' hash, version "7". */
static int liar_resolve(void *self, const troupe_module_ref *ref,
                        uint8_t sha256[TROUPE_SHA256_BYTES], char **version, troupe_err *err) {
  (void)ref;
  (void)err;
  liar *l = self;
  troupe_sha256(l->bytes, l->len, sha256);
  *version = strdup("7");
  return TROUPE_OK;
}

static const troupe_store_ops k_liar_ops = {.get = liar_get, .destroy = liar_destroy};

static void test_custom_store_checked(void **state) {
  (void)state;
  liar l = {.bytes = k_custom_a, .len = sizeof k_custom_a};
  troupe_store *s;
  troupe_err err;
  assert_int_equal(troupe_store_new(&k_liar_ops, &l, &s, &err), TROUPE_OK);
  troupe_module_blob b;
  char want[TROUPE_SHA256_HEX], got[TROUPE_SHA256_HEX], ref[80];

  /* asked for k_custom_b's hash, handed k_custom_a: refused, and nothing leaks */
  sha_hex_of(k_custom_b, sizeof k_custom_b, want);
  sha_hex_of(k_custom_a, sizeof k_custom_a, got);
  snprintf(ref, sizeof ref, "sha256:%s", want);
  assert_int_equal(troupe_store_get(s, ref, &b, &err), TROUPE_E_IO);
  assert_contains(err.msg, "store returned bytes that do not match");
  assert_contains(err.msg, want);
  assert_contains(err.msg, got);
  assert_null(b.bytes);

  /* the right bytes pass, and the wrapper fills in the hash the store left out */
  snprintf(ref, sizeof ref, "sha256:%s", got);
  assert_int_equal(troupe_store_get(s, ref, &b, &err), TROUPE_OK);
  uint8_t sha[TROUPE_SHA256_BYTES];
  troupe_sha256(k_custom_a, sizeof k_custom_a, sha);
  assert_memory_equal(b.sha256, sha, TROUPE_SHA256_BYTES);
  assert_null(b.name);
  troupe_module_blob_clear(&b);

  /* a name the store claims must be the one asked for */
  l.name = "other";
  assert_int_equal(troupe_store_get(s, "echo", &b, &err), TROUPE_E_IO);
  assert_contains(err.msg, "'echo': store returned module 'other'");
  l.name = "echo";
  assert_int_equal(troupe_store_get(s, "echo", &b, &err), TROUPE_OK);
  troupe_module_blob_clear(&b);

  /* a failure without a message gets one naming the reference */
  l.status = TROUPE_E_NOTFOUND;
  assert_int_equal(troupe_store_get(s, "echo@3", &b, &err), TROUPE_E_NOTFOUND);
  assert_contains(err.msg, "'echo@3'");
  /* no resolve offered: UNSUPPORTED, and the caller gets instead */
  char *ver = NULL;
  assert_int_equal(troupe_store_resolve(s, "echo", sha, &ver, &err), TROUPE_E_UNSUPPORTED);
  assert_null(ver);
  troupe_store_free(s);
  assert_int_equal(l.destroyed, 1);

  /* a resolve that claims another hash for a sha256 reference, or another version for
   * NAME@VERSION, is refused like such bytes */
  static const troupe_store_ops k_liar_resolving = {.get = liar_get, .destroy = liar_destroy,
                                                    .resolve = liar_resolve};
  l = (liar){.bytes = k_custom_a, .len = sizeof k_custom_a};
  assert_int_equal(troupe_store_new(&k_liar_resolving, &l, &s, &err), TROUPE_OK);
  snprintf(ref, sizeof ref, "sha256:%s", want); /* k_custom_b's; it resolves to a's */
  assert_int_equal(troupe_store_resolve(s, ref, sha, &ver, &err), TROUPE_E_IO);
  assert_contains(err.msg, "store resolved it to another hash");
  assert_null(ver);
  assert_int_equal(troupe_store_resolve(s, "echo@2", sha, &ver, &err), TROUPE_E_IO);
  assert_contains(err.msg, "store returned version '7' instead");
  assert_null(ver);
  assert_int_equal(troupe_store_resolve(s, "echo", sha, &ver, &err), TROUPE_OK);
  assert_string_equal(ver, "7");
  free(ver);
  troupe_store_free(s);

  assert_int_equal(troupe_store_new(NULL, &l, &s, &err), TROUPE_E_INVAL);
}

/* ---- threads ------------------------------------------------------------------------ */

/* A store is shared by all the workers of a host: adds and gets from several threads at
 * once (run under TSan too) lose nothing and always return whole, matching blobs. */
typedef struct worker {
  troupe_store *mem, *dir;
  int id;
  int bad;
} worker;

static void *store_worker(void *arg) {
  worker *w = arg;
  char name[32], version[32], ref[80];
  snprintf(name, sizeof name, "t%d", w->id);
  for (int j = 1; j <= 50; j++) {
    snprintf(version, sizeof version, "1.%d", j);
    const uint8_t *bytes = j % 2 ? k_custom_a : k_custom_b;
    if (troupe_store_mem_add(w->mem, name, version, bytes, sizeof k_custom_a, NULL, NULL))
      w->bad++;
    troupe_module_blob b;
    /* the newest of my own versions is the one just added */
    if (troupe_store_get(w->mem, name, &b, NULL) != TROUPE_OK ||
        strcmp(b.version, version) != 0 || memcmp(b.bytes, bytes, b.len) != 0)
      w->bad++;
    troupe_module_blob_clear(&b);
    /* others' modules and the shared one, as they are at this moment */
    snprintf(ref, sizeof ref, "t%d", (w->id + 1) % 4);
    int rc = troupe_store_get(w->mem, ref, &b, NULL);
    if (rc != TROUPE_OK && rc != TROUPE_E_NOTFOUND)
      w->bad++;
    troupe_module_blob_clear(&b);
    if (troupe_store_get(w->mem, "shared@1", &b, NULL) != TROUPE_OK ||
        memcmp(b.bytes, k_empty, sizeof k_empty) != 0)
      w->bad++;
    troupe_module_blob_clear(&b);
    if (troupe_store_get(w->dir, "echo", &b, NULL) != TROUPE_OK ||
        memcmp(b.bytes, k_custom_a, sizeof k_custom_a) != 0)
      w->bad++;
    troupe_module_blob_clear(&b);
  }
  return NULL;
}

static void test_concurrent_gets_and_adds(void **state) {
  (void)state;
  tmpdir t;
  tmpdir_make(&t);
  write_file(t.mods, "echo@3.wasm", k_custom_a, sizeof k_custom_a);
  worker ws[4];
  troupe_store *mem, *dir;
  assert_int_equal(troupe_store_mem_new(&mem, NULL), TROUPE_OK);
  assert_int_equal(troupe_store_dir_new(t.mods, &dir, NULL), TROUPE_OK);
  assert_int_equal(troupe_store_mem_add(mem, "shared", "1", k_empty, sizeof k_empty, NULL, NULL),
                   TROUPE_OK);
  pthread_t th[4];
  for (int i = 0; i < 4; i++) {
    ws[i] = (worker){.mem = mem, .dir = dir, .id = i};
    assert_int_equal(pthread_create(&th[i], NULL, store_worker, &ws[i]), 0);
  }
  for (int i = 0; i < 4; i++)
    pthread_join(th[i], NULL);
  for (int i = 0; i < 4; i++)
    assert_int_equal(ws[i].bad, 0);
  troupe_module_blob b;
  assert_int_equal(troupe_store_get(mem, "t3@1.50", &b, NULL), TROUPE_OK);
  troupe_module_blob_clear(&b);
  troupe_store_free(mem);
  troupe_store_free(dir);
  remove_tree(t.root);
}

/* ---- out of memory ----------------------------------------------------------------- */

/* Every allocation of add and get failing in turn: NOMEM or success, never a leak
 * (ASan) or a half-added module. */
static void test_out_of_memory(void **state) {
  (void)state;
  tmpdir t;
  tmpdir_make(&t);
  write_file(t.mods, "echo@1.wasm", k_custom_a, sizeof k_custom_a);
  bool done_add = false, done_get = false, done_dir = false;
  for (long n = 0; n < 64 && !(done_add && done_get && done_dir); n++) {
    troupe_store *s = NULL, *d = NULL;
    troupe_err err;
    troupe_module_blob b;
    trB_alloc_fail_after(n);
    int rc = troupe_store_mem_new(&s, &err);
    if (rc == TROUPE_OK) {
      rc = troupe_store_mem_add(s, "echo", "1", k_empty, sizeof k_empty, NULL, &err);
      if (rc == TROUPE_OK) {
        done_add = true;
        rc = troupe_store_get(s, "echo", &b, &err);
        if (rc == TROUPE_OK) {
          done_get = true;
          troupe_module_blob_clear(&b);
        }
      }
    }
    assert_true(rc == TROUPE_OK || rc == TROUPE_E_NOMEM);
    if (rc == TROUPE_E_NOMEM)
      assert_true(err.msg[0] != '\0');
    rc = troupe_store_dir_new(t.mods, &d, &err);
    if (rc == TROUPE_OK) {
      rc = troupe_store_get(d, "echo", &b, &err);
      if (rc == TROUPE_OK) {
        done_dir = true;
        troupe_module_blob_clear(&b);
      }
    }
    trB_alloc_fail_after(-1);
    assert_true(rc == TROUPE_OK || rc == TROUPE_E_NOMEM);
    /* whatever failed, the store still works and holds the module once or not at all */
    if (s) {
      rc = troupe_store_mem_add(s, "echo", "1", k_empty, sizeof k_empty, NULL, &err);
      assert_true(rc == TROUPE_OK || rc == TROUPE_E_EXISTS);
      assert_int_equal(troupe_store_get(s, "echo@1", &b, &err), TROUPE_OK);
      troupe_module_blob_clear(&b);
    }
    troupe_store_free(s);
    troupe_store_free(d);
  }
  assert_true(done_add && done_get && done_dir);
  remove_tree(t.root);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_sha256_known_values),
      cmocka_unit_test(test_ref_valid_forms),
      cmocka_unit_test(test_ref_invalid_forms),
      cmocka_unit_test(test_version_order),
      cmocka_unit_test(test_mem_store),
      cmocka_unit_test(test_dir_store),
      cmocka_unit_test(test_dir_store_confined),
      cmocka_unit_test(test_dir_store_large_file),
      cmocka_unit_test(test_dir_store_missing),
      cmocka_unit_test(test_custom_store_checked),
      cmocka_unit_test(test_concurrent_gets_and_adds),
      cmocka_unit_test(test_out_of_memory),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
