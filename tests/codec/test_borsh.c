/*
 * tests/codec/test_borsh.c: the Borsh reader and writer: byte layouts from the spec,
 * round trips of every type, and every refusal (short input, bool/Option tags other
 * than 0/1, NaN, invalid UTF-8, trailing bytes, sticky writer errors).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "codec/codec.h"

#include <math.h>

static void test_layout(void **state) {
  (void)state;
  troupe_borsh_writer w;
  troupe_borsh_writer_init(&w);
  troupe_borsh_write_u32(&w, 0x01020304);
  troupe_borsh_write_i16(&w, -2);
  troupe_borsh_write_bool(&w, true);
  troupe_borsh_write_string(&w, "h\xc3\xa9", 3);
  troupe_borsh_write_option(&w, false);
  troupe_borsh_write_option(&w, true);
  troupe_borsh_write_u8(&w, 7);
  troupe_borsh_write_u128(&w, (troupe_u128){.lo = 1, .hi = 2});
  troupe_borsh_write_f32(&w, 1.0f);
  uint8_t *out;
  size_t n;
  assert_int_equal(troupe_borsh_writer_take(&w, &out, &n, NULL), TROUPE_OK);
  static const uint8_t want[] = {
      0x04, 0x03, 0x02, 0x01, /* u32 little endian */
      0xfe, 0xff,             /* i16 -2 */
      0x01,                   /* bool */
      0x03, 0, 0, 0, 'h', 0xc3, 0xa9, /* string: u32 byte length + UTF-8 */
      0x00,                   /* None */
      0x01, 0x07,             /* Some(7u8) */
      1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, /* u128: low half first */
      0x00, 0x00, 0x80, 0x3f, /* f32 1.0 */
  };
  assert_int_equal(n, sizeof want);
  assert_memory_equal(out, want, n);
  assert_null(w.data); /* the writer gave its bytes away */
  free(out);
}

static void test_round_trip_all(void **state) {
  (void)state;
  troupe_borsh_writer w = {0};
  troupe_borsh_write_u8(&w, 255);
  troupe_borsh_write_u16(&w, 65535);
  troupe_borsh_write_u32(&w, UINT32_MAX);
  troupe_borsh_write_u64(&w, UINT64_MAX);
  troupe_borsh_write_u128(&w, (troupe_u128){.lo = UINT64_MAX, .hi = 0x0123456789abcdefULL});
  troupe_borsh_write_i8(&w, INT8_MIN);
  troupe_borsh_write_i16(&w, INT16_MIN);
  troupe_borsh_write_i32(&w, INT32_MIN);
  troupe_borsh_write_i64(&w, INT64_MIN);
  troupe_borsh_write_i128(&w, (troupe_u128){.lo = UINT64_MAX, .hi = UINT64_MAX}); /* -1 */
  troupe_borsh_write_f32(&w, -INFINITY);
  troupe_borsh_write_f64(&w, 0.1);
  troupe_borsh_write_bool(&w, false);
  troupe_borsh_write_bytes(&w, "\x00\x01\xff", 3);
  troupe_borsh_write_bytes(&w, NULL, 0);
  troupe_borsh_write_string(&w, "", 0);
  assert_int_equal(troupe_borsh_write_option(&w, true), TROUPE_OK);
  troupe_borsh_write_string(&w, "\xf0\x9f\x98\x80", 4);
  uint8_t *buf;
  size_t n;
  assert_int_equal(troupe_borsh_writer_take(&w, &buf, &n, NULL), TROUPE_OK);
  assert_int_equal(n, 1 + 2 + 4 + 8 + 16 + 1 + 2 + 4 + 8 + 16 + 4 + 8 + 1 + 7 + 4 + 4 + 1 + 8);

  troupe_borsh_reader r;
  troupe_borsh_reader_init(&r, buf, n);
  uint8_t u8;
  uint16_t u16;
  uint32_t u32;
  uint64_t u64;
  troupe_u128 u128;
  int8_t i8;
  int16_t i16;
  int32_t i32;
  int64_t i64;
  float f32;
  double f64;
  bool b;
  const uint8_t *bytes;
  const char *s;
  size_t len;
  assert_int_equal(troupe_borsh_read_u8(&r, &u8, NULL), 0);
  assert_int_equal(u8, 255);
  assert_int_equal(troupe_borsh_read_u16(&r, &u16, NULL), 0);
  assert_int_equal(u16, 65535);
  assert_int_equal(troupe_borsh_read_u32(&r, &u32, NULL), 0);
  assert_true(u32 == UINT32_MAX);
  assert_int_equal(troupe_borsh_read_u64(&r, &u64, NULL), 0);
  assert_true(u64 == UINT64_MAX);
  assert_int_equal(troupe_borsh_read_u128(&r, &u128, NULL), 0);
  assert_true(u128.lo == UINT64_MAX && u128.hi == 0x0123456789abcdefULL);
  assert_int_equal(troupe_borsh_read_i8(&r, &i8, NULL), 0);
  assert_int_equal(i8, INT8_MIN);
  assert_int_equal(troupe_borsh_read_i16(&r, &i16, NULL), 0);
  assert_int_equal(i16, INT16_MIN);
  assert_int_equal(troupe_borsh_read_i32(&r, &i32, NULL), 0);
  assert_int_equal(i32, INT32_MIN);
  assert_int_equal(troupe_borsh_read_i64(&r, &i64, NULL), 0);
  assert_true(i64 == INT64_MIN);
  assert_int_equal(troupe_borsh_read_i128(&r, &u128, NULL), 0);
  assert_true(u128.lo == UINT64_MAX && u128.hi == UINT64_MAX);
  assert_int_equal(troupe_borsh_read_f32(&r, &f32, NULL), 0);
  assert_true(isinf(f32) && f32 < 0);
  assert_int_equal(troupe_borsh_read_f64(&r, &f64, NULL), 0);
  assert_true(f64 == 0.1);
  assert_int_equal(troupe_borsh_read_bool(&r, &b, NULL), 0);
  assert_false(b);
  assert_int_equal(troupe_borsh_read_bytes(&r, &bytes, &len, NULL), 0);
  assert_int_equal(len, 3);
  assert_memory_equal(bytes, "\x00\x01\xff", 3);
  assert_ptr_equal(bytes, buf + r.pos - 3); /* a view into the input */
  assert_int_equal(troupe_borsh_read_bytes(&r, &bytes, &len, NULL), 0);
  assert_int_equal(len, 0);
  assert_int_equal(troupe_borsh_read_string(&r, &s, &len, NULL), 0);
  assert_int_equal(len, 0);
  assert_int_equal(troupe_borsh_read_option(&r, &b, NULL), 0);
  assert_true(b);
  assert_int_equal(troupe_borsh_read_string(&r, &s, &len, NULL), 0);
  assert_int_equal(len, 4);
  assert_memory_equal(s, "\xf0\x9f\x98\x80", 4);
  assert_int_equal(troupe_borsh_read_end(&r, NULL), 0);
  free(buf);
}

/* A failing read returns MALFORMED_PAYLOAD, names the offset, and does not move. */
static void expect_read_fail(troupe_borsh_reader *r, int (*fn)(troupe_borsh_reader *, troupe_err *),
                             const char *needle) {
  size_t at = r->pos;
  troupe_err e;
  assert_int_equal(fn(r, &e), TROUPE_E_MALFORMED_PAYLOAD);
  assert_int_equal(r->pos, at);
  if (needle && !strstr(e.msg, needle))
    fail_msg("message '%s' lacks '%s'", e.msg, needle);
}
static int rd_u64(troupe_borsh_reader *r, troupe_err *e) { uint64_t v; return troupe_borsh_read_u64(r, &v, e); }
static int rd_u128(troupe_borsh_reader *r, troupe_err *e) { troupe_u128 v; return troupe_borsh_read_u128(r, &v, e); }
static int rd_bool(troupe_borsh_reader *r, troupe_err *e) { bool v; return troupe_borsh_read_bool(r, &v, e); }
static int rd_opt(troupe_borsh_reader *r, troupe_err *e) { bool v; return troupe_borsh_read_option(r, &v, e); }
static int rd_f32(troupe_borsh_reader *r, troupe_err *e) { float v; return troupe_borsh_read_f32(r, &v, e); }
static int rd_f64(troupe_borsh_reader *r, troupe_err *e) { double v; return troupe_borsh_read_f64(r, &v, e); }
static int rd_str(troupe_borsh_reader *r, troupe_err *e) {
  const char *s;
  size_t n;
  return troupe_borsh_read_string(r, &s, &n, e);
}
static int rd_bytes(troupe_borsh_reader *r, troupe_err *e) {
  const uint8_t *p;
  size_t n;
  return troupe_borsh_read_bytes(r, &p, &n, e);
}

static void test_reader_errors(void **state) {
  (void)state;
  troupe_borsh_reader r;
  troupe_borsh_reader_init(&r, "\x01\x02\x03\x04\x05\x06\x07", 7);
  expect_read_fail(&r, rd_u64, "needs 8 bytes, 7 left");
  expect_read_fail(&r, rd_u128, "u128 at byte 0");
  troupe_borsh_reader_init(&r, "\x01\x02", 2);
  r.pos = 1;
  expect_read_fail(&r, rd_bool, "bool at byte 1 is 0x02");
  expect_read_fail(&r, rd_opt, "Option tag");
  troupe_borsh_reader_init(&r, NULL, 0);
  expect_read_fail(&r, rd_bool, "needs 1 bytes, 0 left");
  /* NaN (quiet and signalling, both widths) is refused; infinities are not */
  troupe_borsh_reader_init(&r, "\x00\x00\xc0\x7f", 4);
  expect_read_fail(&r, rd_f32, "NaN");
  troupe_borsh_reader_init(&r, "\x01\x00\x80\x7f", 4);
  expect_read_fail(&r, rd_f32, "NaN");
  troupe_borsh_reader_init(&r, "\x00\x00\x00\x00\x00\x00\xf8\x7f", 8);
  expect_read_fail(&r, rd_f64, "NaN");
  troupe_borsh_reader_init(&r, "\x00\x00\x00\x00\x00\x00\xf0\x7f", 8);
  double d;
  assert_int_equal(troupe_borsh_read_f64(&r, &d, NULL), 0);
  assert_true(isinf(d));
  /* lengths beyond the input, including the largest u32 */
  troupe_borsh_reader_init(&r, "\x05\x00\x00\x00" "abcd", 8);
  expect_read_fail(&r, rd_str, "needs 5 bytes, 4 left");
  expect_read_fail(&r, rd_bytes, NULL);
  troupe_borsh_reader_init(&r, "\xff\xff\xff\xff" "ab", 6);
  expect_read_fail(&r, rd_bytes, "4294967295");
  troupe_borsh_reader_init(&r, "\x03\x00", 2);
  expect_read_fail(&r, rd_str, "needs 4 bytes");
  /* string bytes must be UTF-8 (Vec<u8> need not be) */
  troupe_borsh_reader_init(&r, "\x02\x00\x00\x00\xc3\x28", 6);
  expect_read_fail(&r, rd_str, "invalid UTF-8 at byte 4");
  assert_int_equal(rd_bytes(&r, NULL), 0);
  troupe_borsh_reader_init(&r, "\x03\x00\x00\x00\xed\xa0\x80", 7);
  expect_read_fail(&r, rd_str, "UTF-8");
  /* trailing bytes */
  troupe_borsh_reader_init(&r, "\x01\x02", 2);
  uint8_t u;
  assert_int_equal(troupe_borsh_read_u8(&r, &u, NULL), 0);
  troupe_err e;
  assert_int_equal(troupe_borsh_read_end(&r, &e), TROUPE_E_MALFORMED_PAYLOAD);
  assert_non_null(strstr(e.msg, "1 trailing bytes from byte 1"));
}

static void test_writer_errors(void **state) {
  (void)state;
  troupe_borsh_writer w = {0};
  assert_int_equal(troupe_borsh_write_u8(&w, 1), TROUPE_OK);
  assert_int_equal(troupe_borsh_write_f64(&w, NAN), TROUPE_E_INVAL);
  /* sticky: later writes do nothing and report the first failure */
  assert_int_equal(troupe_borsh_write_u32(&w, 5), TROUPE_E_INVAL);
  assert_int_equal(w.len, 1);
  uint8_t *out = NULL;
  size_t n;
  troupe_err e;
  assert_int_equal(troupe_borsh_writer_take(&w, &out, &n, &e), TROUPE_E_INVAL);
  assert_null(out);
  assert_null(w.data); /* freed */

  assert_int_equal(troupe_borsh_write_f32(&w, NAN), TROUPE_E_INVAL);
  troupe_borsh_writer_free(&w);
  assert_int_equal(troupe_borsh_write_string(&w, "\xc3\x28", 2), TROUPE_E_INVAL);
  troupe_borsh_writer_free(&w);
  assert_int_equal(troupe_borsh_write_string(&w, "\xc0\x80", 2), TROUPE_E_INVAL); /* overlong */
  troupe_borsh_writer_free(&w);

  /* out of memory is an error, also sticky */
  trB_alloc_fail_after(0);
  assert_int_equal(troupe_borsh_write_u64(&w, 1), TROUPE_E_NOMEM);
  trB_alloc_fail_after(-1);
  assert_int_equal(troupe_borsh_write_u8(&w, 1), TROUPE_E_NOMEM);
  troupe_borsh_writer_free(&w);

  /* an empty value still takes as a (non-NULL) buffer */
  assert_int_equal(troupe_borsh_writer_take(&w, &out, &n, NULL), TROUPE_OK);
  assert_non_null(out);
  assert_int_equal(n, 0);
  free(out);
}

static void test_writer_grows(void **state) {
  (void)state;
  troupe_borsh_writer w = {0};
  for (uint32_t i = 0; i < 100000; i++)
    troupe_borsh_write_u32(&w, i);
  assert_int_equal(w.status, 0);
  assert_int_equal(w.len, 400000);
  troupe_borsh_reader r;
  troupe_borsh_reader_init(&r, w.data, w.len);
  for (uint32_t i = 0; i < 100000; i++) {
    uint32_t v;
    assert_int_equal(troupe_borsh_read_u32(&r, &v, NULL), 0);
    assert_int_equal(v, i);
  }
  assert_int_equal(troupe_borsh_read_end(&r, NULL), 0);
  troupe_borsh_writer_free(&w);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_layout),        cmocka_unit_test(test_round_trip_all),
      cmocka_unit_test(test_reader_errors), cmocka_unit_test(test_writer_errors),
      cmocka_unit_test(test_writer_grows),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
