/*
 * tests/codec/test_multicodec.c: the codec prefix: names, encoding into a caller
 * buffer and a malloc'd one, zero-copy decoding, and one crafted input per error
 * (empty, truncated multi-byte prefix, bad varints, unknown codec, payload mismatch).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "codec/codec.h"

static void test_names(void **state) {
  (void)state;
  assert_string_equal(troupe_codec_name(TROUPE_CODEC_BORSH), "borsh");
  assert_string_equal(troupe_codec_name(0x51), "cbor");
  assert_string_equal(troupe_codec_name(0x0200), "json");
  assert_null(troupe_codec_name(0x55));
  troupe_codec c;
  assert_int_equal(troupe_codec_from_name("json", &c, NULL), TROUPE_OK);
  assert_int_equal(c, TROUPE_CODEC_JSON);
  assert_int_equal(troupe_codec_from_name("borsh", &c, NULL), TROUPE_OK);
  assert_int_equal(c, TROUPE_CODEC_BORSH);
  assert_int_equal(troupe_codec_from_name("yaml", &c, NULL), TROUPE_E_UNKNOWN_CODEC);
  assert_int_equal(troupe_codec_prefix_size(TROUPE_CODEC_CBOR), 1);
  assert_int_equal(troupe_codec_prefix_size(TROUPE_CODEC_JSON), 2);
  assert_int_equal(troupe_codec_prefix_size(TROUPE_CODEC_BORSH), 2);
}

static void test_encode_buffer(void **state) {
  (void)state;
  uint8_t buf[16];
  size_t n = 0;
  troupe_err e;
  assert_int_equal(troupe_codec_encode(TROUPE_CODEC_JSON, "[1]", 3, buf, sizeof buf, &n, &e), 0);
  assert_int_equal(n, 5);
  assert_memory_equal(buf, "\x80\x04[1]", 5);
  assert_int_equal(troupe_codec_encode(TROUPE_CODEC_CBOR, "\x01", 1, buf, sizeof buf, &n, &e), 0);
  assert_int_equal(n, 2);
  assert_memory_equal(buf, "\x51\x01", 2);
  assert_int_equal(troupe_codec_encode(TROUPE_CODEC_BORSH, "\x07\x00", 2, buf, sizeof buf, &n, &e), 0);
  assert_memory_equal(buf, "\x81\x0e\x07\x00", 4);
  /* too small: RANGE, and the size needed */
  n = 0;
  assert_int_equal(troupe_codec_encode(TROUPE_CODEC_JSON, "[1]", 3, buf, 4, &n, &e), TROUPE_E_RANGE);
  assert_int_equal(n, 5);
  /* the payload is checked before anything is written */
  assert_int_equal(troupe_codec_encode(TROUPE_CODEC_JSON, "[1", 2, buf, sizeof buf, &n, &e),
                   TROUPE_E_MALFORMED_PAYLOAD);
  assert_int_equal(troupe_codec_encode(TROUPE_CODEC_CBOR, "\x01\x02", 2, buf, sizeof buf, &n, &e),
                   TROUPE_E_MALFORMED_PAYLOAD);
  assert_int_equal(troupe_codec_encode(0x55, "x", 1, buf, sizeof buf, &n, &e), TROUPE_E_UNKNOWN_CODEC);
}

static void round_trip(troupe_codec c, const char *payload, size_t len) {
  uint8_t *msg;
  size_t n;
  troupe_err e;
  assert_int_equal(troupe_codec_encode_alloc(c, payload, len, &msg, &n, &e), TROUPE_OK);
  assert_int_equal(n, troupe_codec_prefix_size(c) + len);
  troupe_payload p;
  assert_int_equal(troupe_codec_decode(msg, n, &p, &e), TROUPE_OK);
  assert_int_equal(p.codec, c);
  assert_int_equal(p.prefix_len, troupe_codec_prefix_size(c));
  assert_ptr_equal(p.data, msg + p.prefix_len); /* a view, not a copy */
  assert_int_equal(p.len, len);
  if (len)
    assert_memory_equal(p.data, payload, len);
  free(msg);
}

static void test_round_trips(void **state) {
  (void)state;
  round_trip(TROUPE_CODEC_JSON, "{\"a\":[1,2,{\"b\":null}]}", 22);
  round_trip(TROUPE_CODEC_JSON, "\"\xc3\xa9t\xc3\xa9\"", 7);
  round_trip(TROUPE_CODEC_CBOR, "\xa1\x61\x61\x82\x01\x02", 6);
  round_trip(TROUPE_CODEC_CBOR, "\xf6", 1);
  round_trip(TROUPE_CODEC_BORSH, "\x03\x00\x00\x00" "abc", 7);
  round_trip(TROUPE_CODEC_BORSH, "", 0); /* Borsh of a unit value is empty */
}

static void expect_split(const void *msg, size_t len, int code, const char *needle) {
  troupe_err e;
  troupe_payload p = {0};
  assert_int_equal(troupe_codec_split(msg, len, &p, &e), code);
  assert_int_equal(troupe_codec_decode(msg, len, &p, NULL), code);
  assert_int_equal(e.code, code);
  assert_null(p.data);
  if (needle && !strstr(e.msg, needle))
    fail_msg("message '%s' lacks '%s'", e.msg, needle);
}

static void test_prefix_errors(void **state) {
  (void)state;
  expect_split("", 0, TROUPE_E_EMPTY, "byte 0");
  expect_split(NULL, 0, TROUPE_E_EMPTY, NULL);
  /* the first byte of JSON's and Borsh's two-byte prefixes, alone */
  expect_split("\x80", 1, TROUPE_E_PREFIX_TRUNCATED, "byte 1");
  expect_split("\x81", 1, TROUPE_E_PREFIX_TRUNCATED, NULL);
  expect_split("\xff\xff\xff", 3, TROUPE_E_PREFIX_TRUNCATED, "byte 3");
  /* overlong CBOR prefix (0x51 as two bytes), overlong JSON prefix */
  expect_split("\xd1\x00{}", 4, TROUPE_E_VARINT_OVERLONG, "byte 1");
  expect_split("\x80\x84\x00[]", 5, TROUPE_E_VARINT_OVERLONG, "byte 2");
  /* ten-byte prefix */
  expect_split("\x80\x80\x80\x80\x80\x80\x80\x80\x80\x01", 10, TROUPE_E_VARINT_TOOLONG, "byte 8");
  /* well-formed varints naming codecs we do not carry */
  expect_split("\x55\x00", 2, TROUPE_E_UNKNOWN_CODEC, "0x55");
  expect_split("\x00", 1, TROUPE_E_UNKNOWN_CODEC, "0x0");
  expect_split("\x80\x05{}", 4, TROUPE_E_UNKNOWN_CODEC, "0x280");
  expect_split("\xff\xff\xff\xff\xff\xff\xff\xff\x7f", 9, TROUPE_E_UNKNOWN_CODEC, NULL);
}

static void test_decode_checks_payload(void **state) {
  (void)state;
  troupe_err e;
  troupe_payload p;
  /* split accepts what decode refuses: the payload does not match its codec */
  static const uint8_t cbor_trailing[] = {0x51, 0x01, 0x02};
  assert_int_equal(troupe_codec_split(cbor_trailing, 3, &p, &e), TROUPE_OK);
  assert_int_equal(p.len, 2);
  assert_int_equal(troupe_codec_decode(cbor_trailing, 3, &p, &e), TROUPE_E_MALFORMED_PAYLOAD);
  if (!strstr(e.msg, "starting at byte 1") || !strstr(e.msg, "trailing"))
    fail_msg("message: %s", e.msg);
  static const uint8_t json_bad[] = {0x80, 0x04, '{', '"', 'a', '"', '}'};
  assert_int_equal(troupe_codec_decode(json_bad, sizeof json_bad, &p, &e), TROUPE_E_MALFORMED_PAYLOAD);
  if (!strstr(e.msg, "json payload starting at byte 2"))
    fail_msg("message: %s", e.msg);
  /* a prefix with nothing after it is not a CBOR or JSON value, but is Borsh */
  assert_int_equal(troupe_codec_decode("\x51", 1, &p, NULL), TROUPE_E_MALFORMED_PAYLOAD);
  assert_int_equal(troupe_codec_decode("\x80\x04", 2, &p, NULL), TROUPE_E_MALFORMED_PAYLOAD);
  assert_int_equal(troupe_codec_decode("\x81\x0e", 2, &p, NULL), TROUPE_OK);
  assert_int_equal(p.len, 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_names),         cmocka_unit_test(test_encode_buffer),
      cmocka_unit_test(test_round_trips),   cmocka_unit_test(test_prefix_errors),
      cmocka_unit_test(test_decode_checks_payload),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
