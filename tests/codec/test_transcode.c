/*
 * tests/codec/test_transcode.c: JSON <-> CBOR, row by row of the mapping table in
 * docs/CODEC.md: exact bytes each way, every lossy case refused with TROUPE_E_LOSSY
 * and a location, round trips, shortest exact reals, and the prefixed entry point.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "codec/codec.h"

#define BYTES(...) ((const uint8_t[]){__VA_ARGS__}), sizeof((const uint8_t[]){__VA_ARGS__})

static void j2c(const char *json, const uint8_t *want, size_t want_len) {
  uint8_t *out;
  size_t n;
  troupe_err e;
  int rc = troupe_json_to_cbor(json, strlen(json), &out, &n, &e);
  if (rc)
    fail_msg("json->cbor '%s': %s", json, e.msg);
  assert_int_equal(n, want_len);
  assert_memory_equal(out, want, n);
  free(out);
}

static void c2j(const uint8_t *cbor, size_t len, const char *want) {
  char *out;
  size_t n;
  troupe_err e;
  int rc = troupe_cbor_to_json(cbor, len, 0, &out, &n, &e);
  if (rc)
    fail_msg("cbor->json (want %s): %s", want, e.msg);
  assert_string_equal(out, want);
  assert_int_equal(n, strlen(want));
  free(out);
}

static void c2j_err(const uint8_t *cbor, size_t len, int code, const char *needle) {
  char *out = (char *)"untouched";
  size_t n;
  troupe_err e;
  assert_int_equal(troupe_cbor_to_json(cbor, len, 0, &out, &n, &e), code);
  assert_string_equal(out, "untouched");
  if (needle && !strstr(e.msg, needle))
    fail_msg("message '%s' lacks '%s'", e.msg, needle);
}

static void j2c_err(const char *json, int code, const char *needle) {
  uint8_t *out = NULL;
  size_t n;
  troupe_err e;
  assert_int_equal(troupe_json_to_cbor(json, strlen(json), &out, &n, &e), code);
  assert_null(out);
  if (needle && !strstr(e.msg, needle))
    fail_msg("message '%s' lacks '%s'", e.msg, needle);
}

static void test_json_to_cbor_rows(void **state) {
  (void)state;
  j2c("0", BYTES(0x00));
  j2c("23", BYTES(0x17));
  j2c("24", BYTES(0x18, 0x18));
  j2c("1000", BYTES(0x19, 0x03, 0xe8));
  j2c("-1", BYTES(0x20));
  j2c("-1000", BYTES(0x39, 0x03, 0xe7));
  j2c("9223372036854775807", BYTES(0x1b, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff));
  j2c("-9223372036854775808", BYTES(0x3b, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff));
  j2c("1.5", BYTES(0xfb, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0)); /* reals are always float64 */
  j2c("1.0", BYTES(0xfb, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0)); /* and stay reals */
  j2c("-0.0", BYTES(0xfb, 0x80, 0, 0, 0, 0, 0, 0, 0));
  j2c("1e2", BYTES(0xfb, 0x40, 0x59, 0, 0, 0, 0, 0, 0));
  j2c("true", BYTES(0xf5));
  j2c("false", BYTES(0xf4));
  j2c("null", BYTES(0xf6));
  j2c("\"\"", BYTES(0x60));
  j2c("\"\xc3\xbc\"", BYTES(0x62, 0xc3, 0xbc));
  j2c("\"a\\u0000b\"", BYTES(0x63, 'a', 0x00, 'b'));
  j2c("[]", BYTES(0x80));
  j2c("[1,[2,3]]", BYTES(0x82, 0x01, 0x82, 0x02, 0x03));
  j2c("{}", BYTES(0xa0));
  j2c("{\"b\":1,\"a\":[]}", BYTES(0xa2, 0x61, 'b', 0x01, 0x61, 'a', 0x80)); /* order kept */
}

static void test_json_to_cbor_refusals(void **state) {
  (void)state;
  j2c_err("18446744073709551615", TROUPE_E_LOSSY, "int64");
  j2c_err("[1, -9223372036854775809]", TROUPE_E_LOSSY, "column");
  j2c_err("{\"a\":1,\"a\":2}", TROUPE_E_LOSSY, "duplicate");
  j2c_err("[1,", TROUPE_E_MALFORMED_PAYLOAD, NULL);
  j2c_err("{\"k\\u0000\":1}", TROUPE_E_MALFORMED_PAYLOAD, "NUL"); /* jansson: no NUL in keys */
  j2c_err("\"\xff\"", TROUPE_E_MALFORMED_PAYLOAD, NULL);
}

static void test_cbor_to_json_rows(void **state) {
  (void)state;
  c2j(BYTES(0x00), "0");
  c2j(BYTES(0x1b, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff), "9223372036854775807");
  c2j(BYTES(0x3b, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff), "-9223372036854775808");
  c2j(BYTES(0x38, 0x63), "-100");
  c2j(BYTES(0xf9, 0x3e, 0x00), "1.5");                 /* half */
  c2j(BYTES(0xfa, 0x47, 0xc3, 0x50, 0x00), "100000.0"); /* single */
  c2j(BYTES(0xfb, 0x3f, 0xb9, 0x99, 0x99, 0x99, 0x99, 0x99, 0x9a), "0.1"); /* shortest */
  c2j(BYTES(0xf9, 0x80, 0x00), "-0.0");
  c2j(BYTES(0xf5), "true");
  c2j(BYTES(0xf4), "false");
  c2j(BYTES(0xf6), "null");
  c2j(BYTES(0x63, 'a', 0x00, 'b'), "\"a\\u0000b\"");
  c2j(BYTES(0x7f, 0x62, 'a', 'b', 0x61, 'c', 0xff), "\"abc\""); /* chunks joined */
  c2j(BYTES(0x7f, 0xff), "\"\"");
  c2j(BYTES(0x9f, 0x01, 0x9f, 0xff, 0xff), "[1,[]]");
  c2j(BYTES(0xbf, 0x61, 'z', 0x01, 0x61, 'a', 0x02, 0xff), "{\"z\":1,\"a\":2}");
  c2j(BYTES(0xa1, 0x7f, 0x61, 'k', 0x61, 'y', 0xff, 0xf6), "{\"ky\":null}");
}

static void test_cbor_to_json_lossy(void **state) {
  (void)state;
  c2j_err(BYTES(0x1b, 0x80, 0, 0, 0, 0, 0, 0, 0), TROUPE_E_LOSSY, "2^63");  /* 2^63 */
  c2j_err(BYTES(0x1b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff), TROUPE_E_LOSSY, "integer");
  c2j_err(BYTES(0x3b, 0x80, 0, 0, 0, 0, 0, 0, 0), TROUPE_E_LOSSY, "-2^63"); /* -2^63-1 */
  c2j_err(BYTES(0x41, 0x01), TROUPE_E_LOSSY, "byte string at $");
  c2j_err(BYTES(0x5f, 0xff), TROUPE_E_LOSSY, "byte string");
  c2j_err(BYTES(0xc1, 0x01), TROUPE_E_LOSSY, "tag 1");
  c2j_err(BYTES(0xd8, 0x20, 0x61, 'x'), TROUPE_E_LOSSY, "tag 32");
  c2j_err(BYTES(0xf7), TROUPE_E_LOSSY, "undefined");
  c2j_err(BYTES(0xe0), TROUPE_E_MALFORMED_PAYLOAD, NULL); /* libcbor 0.8 has no simple values */
  c2j_err(BYTES(0xf9, 0x7e, 0x00), TROUPE_E_LOSSY, "NaN");
  c2j_err(BYTES(0xfb, 0x7f, 0xf8, 0, 0, 0, 0, 0, 0), TROUPE_E_LOSSY, "NaN");
  c2j_err(BYTES(0xf9, 0x7c, 0x00), TROUPE_E_LOSSY, "infinite");
  c2j_err(BYTES(0xfa, 0xff, 0x80, 0x00, 0x00), TROUPE_E_LOSSY, "infinite");
  c2j_err(BYTES(0xa1, 0x01, 0x02), TROUPE_E_LOSSY, "not a text string");
  c2j_err(BYTES(0xa1, 0x41, 'k', 0x02), TROUPE_E_LOSSY, "not a text string");
  c2j_err(BYTES(0xa1, 0x62, 'k', 0x00, 0x02), TROUPE_E_LOSSY, "U+0000");
  c2j_err(BYTES(0xa2, 0x61, 'a', 0x01, 0x61, 'a', 0x02), TROUPE_E_LOSSY, "duplicate map key at $.a");
  /* the location names the path: {"a": [1, h'01']} */
  c2j_err(BYTES(0xa1, 0x61, 'a', 0x82, 0x01, 0x41, 0x01), TROUPE_E_LOSSY, "at $.a[1]");
  c2j_err(BYTES(0x82, 0xa1, 0x61, 'x', 0x01, 0xa1, 0x61, 'y', 0xf7), TROUPE_E_LOSSY, "at $[1].y");
  /* not CBOR at all is not "lossy" */
  c2j_err(BYTES(0x82, 0x01), TROUPE_E_MALFORMED_PAYLOAD, NULL);
}

/* JSON -> CBOR -> JSON gives back the same value (compared as jansson trees). */
static void test_round_trip_json(void **state) {
  (void)state;
  static const char *docs[] = {
      "{\"name\":\"troupe\",\"tags\":[\"a\",\"b\"],\"n\":-12,\"pi\":3.14159,\"ok\":true,\"x\":null}",
      "[0.1,0.2,0.30000000000000004,1e300,5e-324,-2.5e-10,123456789.125]",
      "{\"nested\":{\"deeper\":{\"deepest\":[[[]]]}},\"\":\"\",\"\\u00e9\":\"\\ud83d\\ude00\"}",
      "\"just a string\"",
      "-9223372036854775808",
  };
  for (size_t i = 0; i < TR_ARRAY_LEN(docs); i++) {
    uint8_t *cbor;
    size_t clen;
    char *back;
    size_t blen;
    assert_int_equal(troupe_json_to_cbor(docs[i], strlen(docs[i]), &cbor, &clen, NULL), 0);
    assert_int_equal(troupe_cbor_to_json(cbor, clen, 0, &back, &blen, NULL), 0);
    json_t *a = json_loads(docs[i], JSON_DECODE_ANY, NULL);
    json_t *b = json_loads(back, JSON_DECODE_ANY, NULL);
    assert_non_null(a);
    assert_non_null(b);
    if (!json_equal(a, b))
      fail_msg("round trip changed '%s' into '%s'", docs[i], back);
    /* and CBOR -> JSON -> CBOR is byte-identical for what our encoder produces */
    uint8_t *again;
    size_t alen;
    assert_int_equal(troupe_json_to_cbor(back, blen, &again, &alen, NULL), 0);
    assert_int_equal(alen, clen);
    assert_memory_equal(again, cbor, clen);
    json_decref(a);
    json_decref(b);
    free(cbor);
    free(back);
    free(again);
  }
}

static void test_pretty(void **state) {
  (void)state;
  char *out;
  size_t n;
  assert_int_equal(troupe_cbor_to_json(BYTES(0xa1, 0x61, 'a', 0x81, 0x01), TROUPE_JSON_PRETTY, &out,
                                       &n, NULL), 0);
  assert_string_equal(out, "{\n  \"a\": [\n    1\n  ]\n}");
  free(out);
}

static void test_transcode_prefixed(void **state) {
  (void)state;
  troupe_err e;
  uint8_t *cbor, *json, *same;
  size_t clen, jlen, slen;
  static const char msg[] = "\x80\x04{\"a\":[1,2.5]}";
  size_t mlen = sizeof msg - 1;
  assert_int_equal(troupe_codec_transcode(msg, mlen, TROUPE_CODEC_CBOR, &cbor, &clen, &e), 0);
  static const uint8_t want[] = {0x51, 0xa1, 0x61, 'a', 0x82, 0x01, 0xfb, 0x40, 0x04, 0, 0, 0, 0, 0, 0};
  assert_int_equal(clen, sizeof want);
  assert_memory_equal(cbor, want, clen);
  assert_int_equal(troupe_codec_transcode(cbor, clen, TROUPE_CODEC_JSON, &json, &jlen, &e), 0);
  assert_int_equal(jlen, mlen);
  assert_memory_equal(json, msg, jlen);
  /* same codec: a checked copy */
  assert_int_equal(troupe_codec_transcode(cbor, clen, TROUPE_CODEC_CBOR, &same, &slen, &e), 0);
  assert_int_equal(slen, clen);
  assert_memory_equal(same, cbor, clen);
  free(same);
  /* Borsh has no schema to transcode with; unknown targets are refused */
  uint8_t *out = NULL;
  size_t olen;
  assert_int_equal(troupe_codec_transcode("\x81\x0e\x01", 3, TROUPE_CODEC_JSON, &out, &olen, &e),
                   TROUPE_E_UNSUPPORTED);
  assert_int_equal(troupe_codec_transcode(cbor, clen, TROUPE_CODEC_BORSH, &out, &olen, &e),
                   TROUPE_E_UNSUPPORTED);
  assert_int_equal(troupe_codec_transcode(cbor, clen, (troupe_codec)0x55, &out, &olen, &e),
                   TROUPE_E_UNKNOWN_CODEC);
  assert_null(out);
  /* prefix errors pass through; payload errors too */
  assert_int_equal(troupe_codec_transcode("", 0, TROUPE_CODEC_JSON, &out, &olen, &e), TROUPE_E_EMPTY);
  assert_int_equal(troupe_codec_transcode("\x80", 1, TROUPE_CODEC_JSON, &out, &olen, &e),
                   TROUPE_E_PREFIX_TRUNCATED);
  assert_int_equal(troupe_codec_transcode("\x51\x41\x00", 3, TROUPE_CODEC_JSON, &out, &olen, &e),
                   TROUPE_E_LOSSY);
  assert_int_equal(troupe_codec_transcode("\x51\x01\x01", 3, TROUPE_CODEC_JSON, &out, &olen, &e),
                   TROUPE_E_MALFORMED_PAYLOAD);
  assert_null(out);
  free(cbor);
  free(json);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_json_to_cbor_rows),   cmocka_unit_test(test_json_to_cbor_refusals),
      cmocka_unit_test(test_cbor_to_json_rows),   cmocka_unit_test(test_cbor_to_json_lossy),
      cmocka_unit_test(test_round_trip_json),     cmocka_unit_test(test_pretty),
      cmocka_unit_test(test_transcode_prefixed),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
