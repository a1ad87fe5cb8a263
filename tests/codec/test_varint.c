/*
 * tests/codec/test_varint.c: the unsigned varint: the spec's examples, the limits
 * (2^63-1 in 9 bytes), every distinct error (truncated, overlong, too long / too big)
 * with its byte offset, and canonicity over every 1- and 2-byte input.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "codec/codec.h"

static void check_encoding(uint64_t v, const uint8_t *bytes, size_t n) {
  uint8_t buf[TROUPE_VARINT_MAX_BYTES + 1];
  memset(buf, 0xaa, sizeof buf);
  assert_int_equal(troupe_varint_size(v), n);
  assert_int_equal(troupe_varint_encode(v, buf, sizeof buf, NULL), (int)n);
  assert_memory_equal(buf, bytes, n);
  assert_int_equal(buf[n], 0xaa); /* nothing written past the end */
  uint64_t back = 0;
  assert_int_equal(troupe_varint_decode(bytes, n, &back, NULL), (int)n);
  assert_true(back == v);
}

static void test_spec_examples(void **state) {
  (void)state;
  check_encoding(0, (const uint8_t[]){0x00}, 1);
  check_encoding(1, (const uint8_t[]){0x01}, 1);
  check_encoding(127, (const uint8_t[]){0x7f}, 1);
  check_encoding(128, (const uint8_t[]){0x80, 0x01}, 2);
  check_encoding(255, (const uint8_t[]){0xff, 0x01}, 2);
  check_encoding(300, (const uint8_t[]){0xac, 0x02}, 2);
  check_encoding(16384, (const uint8_t[]){0x80, 0x80, 0x01}, 3);
  check_encoding(0x51, (const uint8_t[]){0x51}, 1);
  check_encoding(0x0200, (const uint8_t[]){0x80, 0x04}, 2);
  check_encoding(0x0701, (const uint8_t[]){0x81, 0x0e}, 2);
}

static void test_limits(void **state) {
  (void)state;
  /* 2^63-1: eight full groups and a final 0x7f, exactly 9 bytes */
  check_encoding(TROUPE_VARINT_MAX_VALUE,
                 (const uint8_t[]){0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f}, 9);
  check_encoding(UINT64_C(1) << 56,
                 (const uint8_t[]){0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01}, 9);
  /* every power of two and its neighbours round-trips at the size it should */
  for (int b = 0; b < 63; b++) {
    uint64_t vs[3] = {(UINT64_C(1) << b) - 1, UINT64_C(1) << b, (UINT64_C(1) << b) + 1};
    for (int k = 0; k < 3; k++) {
      uint8_t buf[TROUPE_VARINT_MAX_BYTES];
      int n = troupe_varint_encode(vs[k], buf, sizeof buf, NULL);
      assert_true(n >= 1 && n <= 9);
      size_t bits = 0;
      for (uint64_t x = vs[k]; x; x >>= 1)
        bits++;
      assert_int_equal(n, bits ? (bits + 6) / 7 : 1);
      uint64_t back;
      assert_int_equal(troupe_varint_decode(buf, (size_t)n, &back, NULL), n);
      assert_true(back == vs[k]);
    }
  }
}

static void test_encode_errors(void **state) {
  (void)state;
  uint8_t buf[16];
  troupe_err e;
  assert_int_equal(troupe_varint_size(UINT64_C(1) << 63), 0);
  assert_int_equal(troupe_varint_encode(UINT64_C(1) << 63, buf, sizeof buf, &e),
                   TROUPE_E_VARINT_TOOLONG);
  assert_int_equal(e.code, TROUPE_E_VARINT_TOOLONG);
  assert_int_equal(troupe_varint_encode(UINT64_MAX, buf, sizeof buf, NULL), TROUPE_E_VARINT_TOOLONG);
  assert_int_equal(troupe_varint_encode(300, buf, 1, &e), TROUPE_E_RANGE);
  assert_int_equal(troupe_varint_encode(0, buf, 0, NULL), TROUPE_E_RANGE);
}

static void expect_error(const uint8_t *in, size_t n, int code, const char *needle) {
  troupe_err e;
  uint64_t v = 12345;
  assert_int_equal(troupe_varint_decode(in, n, &v, &e), code);
  assert_int_equal(e.code, code);
  assert_true(v == 12345); /* untouched on error */
  if (needle && !strstr(e.msg, needle))
    fail_msg("message '%s' lacks '%s'", e.msg, needle);
}

static void test_decode_errors(void **state) {
  (void)state;
  /* truncated: nothing, or the input ends with the continuation bit set */
  expect_error(NULL, 0, TROUPE_E_VARINT_TRUNCATED, "byte 0");
  expect_error((const uint8_t[]){0x80}, 1, TROUPE_E_VARINT_TRUNCATED, "byte 1");
  expect_error((const uint8_t[]){0xff, 0xff, 0xff}, 3, TROUPE_E_VARINT_TRUNCATED, "byte 3");
  /* overlong: a zero final group after at least one byte */
  expect_error((const uint8_t[]){0x80, 0x00}, 2, TROUPE_E_VARINT_OVERLONG, "byte 1");
  expect_error((const uint8_t[]){0x81, 0x80, 0x00}, 3, TROUPE_E_VARINT_OVERLONG, "byte 2");
  expect_error((const uint8_t[]){0xd1, 0x00}, 2, TROUPE_E_VARINT_OVERLONG, NULL); /* 0x51 */
  expect_error((const uint8_t[]){0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00}, 9,
               TROUPE_E_VARINT_OVERLONG, "byte 8");
  /* too long: 10 bytes (2^63 needs them), or a 9th byte that says more follow */
  expect_error((const uint8_t[]){0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01}, 10,
               TROUPE_E_VARINT_TOOLONG, "byte 8");
  expect_error((const uint8_t[]){0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}, 10,
               TROUPE_E_VARINT_TOOLONG, NULL);
  expect_error((const uint8_t[]){0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, 9,
               TROUPE_E_VARINT_TOOLONG, NULL);
  /* a 9-byte prefix of a longer varint is too long even with input following */
  expect_error((const uint8_t[]){0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00},
               11, TROUPE_E_VARINT_TOOLONG, NULL);
}

static void test_decode_stops_at_end(void **state) {
  (void)state;
  uint64_t v;
  /* decode reads one varint and reports how much it consumed */
  assert_int_equal(troupe_varint_decode((const uint8_t[]){0xac, 0x02, 0xff, 0xff}, 4, &v, NULL), 2);
  assert_true(v == 300);
  assert_int_equal(troupe_varint_decode((const uint8_t[]){0x00, 0x80}, 2, &v, NULL), 1);
  assert_true(v == 0);
}

/* Every 1- and 2-byte input either fails or is the one encoding of its value. */
static void test_canonical_exhaustive(void **state) {
  (void)state;
  for (unsigned a = 0; a < 256; a++)
    for (unsigned b = 0; b < 257; b++) {
      uint8_t in[2] = {(uint8_t)a, (uint8_t)b};
      size_t n = b == 256 ? 1 : 2;
      uint64_t v;
      int rc = troupe_varint_decode(in, n, &v, NULL);
      if (rc < 0) {
        assert_true(rc == TROUPE_E_VARINT_TRUNCATED || rc == TROUPE_E_VARINT_OVERLONG);
        continue;
      }
      uint8_t out[TROUPE_VARINT_MAX_BYTES];
      assert_int_equal(troupe_varint_encode(v, out, sizeof out, NULL), rc);
      assert_memory_equal(out, in, (size_t)rc);
    }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_spec_examples),      cmocka_unit_test(test_limits),
      cmocka_unit_test(test_encode_errors),      cmocka_unit_test(test_decode_errors),
      cmocka_unit_test(test_decode_stops_at_end), cmocka_unit_test(test_canonical_exhaustive),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
