/*
 * tests/engine/test_decode.c: the module decoder on crafted hostile inputs. Each case
 * checks the specific error class and that the message names the section and offset;
 * the huge-count cases check that a declared count never drives an allocation before
 * the bytes backing it are seen (they would exhaust memory or time otherwise).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "engine/engine.h"

#define HDR 0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00

static int decode(const uint8_t *b, size_t n, troupe_err *e) {
  trE_module *m = NULL;
  troupe_err_clear(e);
  int rc = trE_module_decode(b, n, &m, e);
  if (rc == 0) {
    assert_non_null(m);
    trE_module_free_decoded(m);
  } else {
    assert_null(m);
  }
  return rc;
}

static void test_header(void **state) {
  (void)state;
  troupe_err e;
  const uint8_t empty[] = {HDR};
  assert_int_equal(decode(empty, sizeof empty, &e), 0);
  const uint8_t bad_magic[] = {0x00, 0x61, 0x73, 0x6E, 1, 0, 0, 0};
  assert_int_equal(decode(bad_magic, sizeof bad_magic, &e), TROUPE_E_MALFORMED);
  assert_non_null(strstr(e.msg, "magic header not detected"));
  const uint8_t bad_version[] = {0x00, 0x61, 0x73, 0x6D, 2, 0, 0, 0};
  assert_int_equal(decode(bad_version, sizeof bad_version, &e), TROUPE_E_MALFORMED);
  assert_non_null(strstr(e.msg, "unknown binary version"));
  assert_int_equal(decode(bad_version, 3, &e), TROUPE_E_MALFORMED);
}

/* A 20-byte file declaring four billion functions fails at once. */
static void test_huge_counts(void **state) {
  (void)state;
  troupe_err e;
  const uint8_t funcs[] = {HDR, 0x03, 0x05, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0, 0, 0, 0, 0, 0};
  assert_int_equal(decode(funcs, sizeof funcs, &e), TROUPE_E_MALFORMED);
  assert_non_null(strstr(e.msg, "function section, offset 0xa"));
  const uint8_t types[] = {HDR, 0x01, 0x06, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x60};
  assert_int_equal(decode(types, sizeof types, &e), TROUPE_E_MALFORMED);
  assert_non_null(strstr(e.msg, "type section"));
  const uint8_t data[] = {HDR, 0x0B, 0x07, 0x01, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F};
  assert_int_equal(decode(data, sizeof data, &e), TROUPE_E_MALFORMED);
  assert_non_null(strstr(e.msg, "data section"));
}

static void test_leb_errors(void **state) {
  (void)state;
  troupe_err e;
  /* section size as a 6-byte LEB: too long */
  const uint8_t toolong[] = {HDR, 0x01, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00};
  assert_int_equal(decode(toolong, sizeof toolong, &e), TROUPE_E_MALFORMED);
  assert_non_null(strstr(e.msg, "integer representation too long"));
  /* 5-byte u32 with unused high bits set */
  const uint8_t toolarge[] = {HDR, 0x01, 0x80, 0x80, 0x80, 0x80, 0x10};
  assert_int_equal(decode(toolarge, sizeof toolarge, &e), TROUPE_E_MALFORMED);
  assert_non_null(strstr(e.msg, "integer too large"));
  /* i32.const in a global initialiser with unused bits set in its 5th byte */
  const uint8_t sleb[] = {HDR, 0x06, 0x0A, 0x01, 0x7F, 0x00, 0x41, 0x80, 0x80, 0x80, 0x80, 0x70, 0x0B};
  assert_int_equal(decode(sleb, sizeof sleb, &e), TROUPE_E_MALFORMED);
  /* the same with proper sign extension (-2^31) is fine */
  const uint8_t sleb_ok[] = {HDR, 0x06, 0x0A, 0x01, 0x7F, 0x00, 0x41, 0x80, 0x80, 0x80, 0x80, 0x78, 0x0B};
  assert_int_equal(decode(sleb_ok, sizeof sleb_ok, &e), 0);
  /* truncated in the middle of a LEB */
  const uint8_t trunc[] = {HDR, 0x01, 0x80};
  assert_int_equal(decode(trunc, sizeof trunc, &e), TROUPE_E_MALFORMED);
  assert_non_null(strstr(e.msg, "unexpected end"));
}

static void test_sections(void **state) {
  (void)state;
  troupe_err e;
  const uint8_t bad_id[] = {HDR, 0x0D, 0x00};
  assert_int_equal(decode(bad_id, sizeof bad_id, &e), TROUPE_E_MALFORMED);
  assert_non_null(strstr(e.msg, "malformed section id"));
  /* type section twice */
  const uint8_t twice[] = {HDR, 0x01, 0x01, 0x00, 0x01, 0x01, 0x00};
  assert_int_equal(decode(twice, sizeof twice, &e), TROUPE_E_MALFORMED);
  /* section content shorter than its declared size */
  const uint8_t mismatch[] = {HDR, 0x01, 0x02, 0x00, 0x00};
  assert_int_equal(decode(mismatch, sizeof mismatch, &e), TROUPE_E_MALFORMED);
  assert_non_null(strstr(e.msg, "section size mismatch"));
  /* function section without code section */
  const uint8_t nocode[] = {HDR, 0x01, 0x04, 0x01, 0x60, 0x00, 0x00, 0x03, 0x02, 0x01, 0x00};
  assert_int_equal(decode(nocode, sizeof nocode, &e), TROUPE_E_MALFORMED);
  assert_non_null(strstr(e.msg, "inconsistent lengths"));
  /* custom section with an invalid UTF-8 name */
  const uint8_t utf8[] = {HDR, 0x00, 0x03, 0x02, 0xC0, 0x80};
  assert_int_equal(decode(utf8, sizeof utf8, &e), TROUPE_E_MALFORMED);
  assert_non_null(strstr(e.msg, "malformed UTF-8 encoding"));
}

static void test_module_validation(void **state) {
  (void)state;
  troupe_err e;
  /* two memories */
  const uint8_t mems[] = {HDR, 0x05, 0x05, 0x02, 0x00, 0x01, 0x00, 0x01};
  assert_int_equal(decode(mems, sizeof mems, &e), TROUPE_E_INVALID);
  assert_non_null(strstr(e.msg, "multiple memories"));
  /* memory larger than 4 GiB */
  const uint8_t big[] = {HDR, 0x05, 0x05, 0x01, 0x00, 0x81, 0x80, 0x04};
  assert_int_equal(decode(big, sizeof big, &e), TROUPE_E_INVALID);
  /* min > max */
  const uint8_t minmax[] = {HDR, 0x05, 0x04, 0x01, 0x01, 0x02, 0x01};
  assert_int_equal(decode(minmax, sizeof minmax, &e), TROUPE_E_INVALID);
  /* export of a function that does not exist */
  const uint8_t exp[] = {HDR, 0x07, 0x05, 0x01, 0x01, 'f', 0x00, 0x00};
  assert_int_equal(decode(exp, sizeof exp, &e), TROUPE_E_INVALID);
  assert_non_null(strstr(e.msg, "unknown function 0"));
  /* duplicate export names */
  const uint8_t dup[] = {HDR, 0x05, 0x03, 0x01, 0x00, 0x00, 0x07, 0x09, 0x02,
                         0x01, 'm', 0x02, 0x00, 0x01, 'm', 0x02, 0x00};
  assert_int_equal(decode(dup, sizeof dup, &e), TROUPE_E_INVALID);
  assert_non_null(strstr(e.msg, "duplicate export name"));
  /* global initialiser of the wrong type */
  const uint8_t gtype[] = {HDR, 0x06, 0x06, 0x01, 0x7E, 0x00, 0x41, 0x00, 0x0B};
  assert_int_equal(decode(gtype, sizeof gtype, &e), TROUPE_E_INVALID);
  assert_non_null(strstr(e.msg, "type mismatch"));
  /* a non-constant instruction in a global initialiser */
  const uint8_t gconst[] = {HDR, 0x06, 0x05, 0x01, 0x7F, 0x00, 0x6A, 0x0B};
  assert_int_equal(decode(gconst, sizeof gconst, &e), TROUPE_E_INVALID);
  assert_non_null(strstr(e.msg, "constant expression required"));
}

static void test_valid_module_shape(void **state) {
  (void)state;
  troupe_err e;
  /* (type (func (param i32) (result i32))) (func (type 0) local.get 0) (export "id" (func 0)) */
  const uint8_t mod[] = {HDR, 0x01, 0x06, 0x01, 0x60, 0x01, 0x7F, 0x01, 0x7F,
                         0x03, 0x02, 0x01, 0x00, 0x07, 0x06, 0x01, 0x02, 'i', 'd', 0x00, 0x00,
                         0x0A, 0x06, 0x01, 0x04, 0x00, 0x20, 0x00, 0x0B};
  trE_module *m;
  assert_int_equal(trE_module_decode(mod, sizeof mod, &m, &e), 0);
  assert_int_equal(m->ntypes, 1);
  assert_int_equal(m->nfuncs, 1);
  assert_int_equal(m->nexports, 1);
  assert_string_equal(m->exports[0].name, "id");
  assert_int_equal(m->bodies[0].code_end - m->bodies[0].code, 3);
  assert_int_equal(m->bodies[0].code[0], 0x20);
  assert_true(m->declared_funcs[0] & 1); /* exported, so ref.func may name it */
  assert_true(trE_functype_equal(&m->types[0], trE_func_type(m, 0)));
  trE_module_free_decoded(m);
}

/* Out of memory at every allocation of a decode: always a clean NOMEM, never a leak. */
static void test_oom_sweep(void **state) {
  (void)state;
  const uint8_t mod[] = {HDR, 0x01, 0x06, 0x01, 0x60, 0x01, 0x7F, 0x01, 0x7F,
                         0x03, 0x02, 0x01, 0x00, 0x07, 0x06, 0x01, 0x02, 'i', 'd', 0x00, 0x00,
                         0x0A, 0x06, 0x01, 0x04, 0x00, 0x20, 0x00, 0x0B};
  troupe_err e;
  int ok = 0;
  for (long n = 0; n < 64; n++) {
    trB_alloc_fail_after(n);
    int rc = decode(mod, sizeof mod, &e);
    trB_alloc_fail_after(-1);
    if (rc == 0)
      ok++;
    else
      assert_int_equal(rc, TROUPE_E_NOMEM);
  }
  assert_true(ok > 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_header),        cmocka_unit_test(test_huge_counts),
      cmocka_unit_test(test_leb_errors),    cmocka_unit_test(test_sections),
      cmocka_unit_test(test_module_validation), cmocka_unit_test(test_valid_module_shape),
      cmocka_unit_test(test_oom_sweep),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
