/*
 * tests/codec/test_validate.c: payload checks. CBOR must be exactly one well-formed
 * item (RFC 8949) with UTF-8 text and bounded depth; JSON one valid UTF-8 JSON value
 * with bounded depth; Borsh always passes. Each refusal is a crafted input asserting
 * its specific code, including depth bombs far beyond any C stack.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "codec/codec.h"

#define CBOR(...) ((const uint8_t[]){__VA_ARGS__}), sizeof((const uint8_t[]){__VA_ARGS__})

static void cbor_ok(const uint8_t *p, size_t n) {
  troupe_err e;
  int rc = troupe_codec_validate(TROUPE_CODEC_CBOR, p, n, &e);
  if (rc)
    fail_msg("valid CBOR refused: %s", e.msg);
}

static void cbor_bad(const uint8_t *p, size_t n, int code, const char *needle) {
  troupe_err e;
  assert_int_equal(troupe_codec_validate(TROUPE_CODEC_CBOR, p, n, &e), code);
  if (needle && !strstr(e.msg, needle))
    fail_msg("message '%s' lacks '%s'", e.msg, needle);
}

static void json_ok(const char *s) {
  troupe_err e;
  int rc = troupe_codec_validate(TROUPE_CODEC_JSON, s, strlen(s), &e);
  if (rc)
    fail_msg("valid JSON '%s' refused: %s", s, e.msg);
}

static void json_bad_n(const char *s, size_t n, int code) {
  troupe_err e;
  int rc = troupe_codec_validate(TROUPE_CODEC_JSON, s, n, &e);
  if (rc != code)
    fail_msg("JSON '%.*s': got %s, want %s (%s)", (int)TR_MIN(n, 40), s, troupe_err_name(rc),
             troupe_err_name(code), e.msg);
}
static void json_bad(const char *s, int code) { json_bad_n(s, strlen(s), code); }

/* Examples from RFC 8949 appendix A, plus indefinite-length forms. */
static void test_cbor_valid(void **state) {
  (void)state;
  cbor_ok(CBOR(0x00));
  cbor_ok(CBOR(0x1b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff));
  cbor_ok(CBOR(0x3b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff));
  cbor_ok(CBOR(0xf9, 0x3c, 0x00));                          /* 1.0 half */
  cbor_ok(CBOR(0xfa, 0x47, 0xc3, 0x50, 0x00));              /* 100000.0 single */
  cbor_ok(CBOR(0xf9, 0x7e, 0x00));                          /* NaN is valid CBOR */
  cbor_ok(CBOR(0xf4));
  cbor_ok(CBOR(0xf7));                                      /* undefined */
  cbor_ok(CBOR(0xc1, 0x1a, 0x51, 0x4b, 0x67, 0xb0));        /* tag 1 epoch */
  cbor_ok(CBOR(0x44, 0x01, 0x02, 0x03, 0x04));
  cbor_ok(CBOR(0x62, 0xc3, 0xbc));                          /* "ü" */
  cbor_ok(CBOR(0x80));
  cbor_ok(CBOR(0x83, 0x01, 0x82, 0x02, 0x03, 0x82, 0x04, 0x05));
  cbor_ok(CBOR(0xa2, 0x61, 0x61, 0x01, 0x61, 0x62, 0x82, 0x02, 0x03));
  cbor_ok(CBOR(0x5f, 0x42, 0x01, 0x02, 0x43, 0x03, 0x04, 0x05, 0xff));
  cbor_ok(CBOR(0x7f, 0x65, 's', 't', 'r', 'e', 'a', 0x64, 'm', 'i', 'n', 'g', 0xff));
  cbor_ok(CBOR(0x9f, 0x01, 0x82, 0x02, 0x03, 0x9f, 0x04, 0x05, 0xff, 0xff));
  cbor_ok(CBOR(0xbf, 0x61, 'a', 0x01, 0x61, 'b', 0x9f, 0x02, 0x03, 0xff, 0xff));
  cbor_ok(CBOR(0x5f, 0xff)); /* empty chunked byte string */
  cbor_ok(CBOR(0xa1, 0x01, 0x02)); /* non-string keys are valid CBOR (lossy only for JSON) */
  cbor_ok(CBOR(0xd8, 0x06, 0x01)); /* tag 6 in its two-byte form */
}

/* libcbor 0.8's decoder has no item for simple values other than false/true/null/
 * undefined, nor for tags 6..20 in their one-byte form: it refuses them, and so do we
 * (documented in docs/CODEC.md; they would be lossy for JSON anyway). */
static void test_cbor_libcbor_limits(void **state) {
  (void)state;
  cbor_bad(CBOR(0xe0), TROUPE_E_MALFORMED_PAYLOAD, "unsupported item header 0xe0");
  cbor_bad(CBOR(0xf8, 0xff), TROUPE_E_MALFORMED_PAYLOAD, "unsupported");
  cbor_bad(CBOR(0xc6, 0x01), TROUPE_E_MALFORMED_PAYLOAD, "unsupported");
}

static void test_cbor_malformed(void **state) {
  (void)state;
  cbor_bad(NULL, 0, TROUPE_E_MALFORMED_PAYLOAD, "empty");
  cbor_bad(CBOR(0x01, 0x02), TROUPE_E_MALFORMED_PAYLOAD, "trailing");
  cbor_bad(CBOR(0x80, 0x00, 0x00, 0x00), TROUPE_E_MALFORMED_PAYLOAD, "from byte 1");
  cbor_bad(CBOR(0x19, 0x01), TROUPE_E_MALFORMED_PAYLOAD, "truncated");
  cbor_bad(CBOR(0x63, 'a', 'b'), TROUPE_E_MALFORMED_PAYLOAD, "truncated");
  cbor_bad(CBOR(0x82, 0x81, 0x01), TROUPE_E_MALFORMED_PAYLOAD, "inside the container opened at byte 0");
  cbor_bad(CBOR(0x82, 0x01), TROUPE_E_MALFORMED_PAYLOAD, "declares 2 items");
  cbor_bad(CBOR(0x9f, 0x01), TROUPE_E_MALFORMED_PAYLOAD, "ends");
  cbor_bad(CBOR(0xff), TROUPE_E_MALFORMED_PAYLOAD, "break");
  cbor_bad(CBOR(0x82, 0x01, 0xff), TROUPE_E_MALFORMED_PAYLOAD, "break");
  cbor_bad(CBOR(0x1c), TROUPE_E_MALFORMED_PAYLOAD, "header 0x1c");      /* reserved AI 28 */
  cbor_bad(CBOR(0x1f), TROUPE_E_MALFORMED_PAYLOAD, NULL);               /* indefinite uint */
  cbor_bad(CBOR(0xbf, 0x01, 0xff), TROUPE_E_MALFORMED_PAYLOAD, "key with no value");
  cbor_bad(CBOR(0x5f, 0x61, 'a', 0xff), TROUPE_E_MALFORMED_PAYLOAD, "wrong type");
  cbor_bad(CBOR(0x7f, 0x41, 0x01, 0xff), TROUPE_E_MALFORMED_PAYLOAD, "wrong type");
  cbor_bad(CBOR(0x5f, 0x01, 0xff), TROUPE_E_MALFORMED_PAYLOAD, "not a chunk");
  cbor_bad(CBOR(0x7f, 0x7f, 0xff, 0xff), TROUPE_E_MALFORMED_PAYLOAD, "not a chunk");
  /* text strings must be UTF-8; byte strings need not */
  cbor_bad(CBOR(0x62, 0xc3, 0x28), TROUPE_E_MALFORMED_PAYLOAD, "UTF-8");
  cbor_bad(CBOR(0x63, 0xed, 0xa0, 0x80), TROUPE_E_MALFORMED_PAYLOAD, "UTF-8"); /* surrogate */
  cbor_bad(CBOR(0x62, 0xc0, 0x80), TROUPE_E_MALFORMED_PAYLOAD, "UTF-8");       /* overlong NUL */
  cbor_bad(CBOR(0x7f, 0x61, 0xc3, 0x61, 0xbc, 0xff), TROUPE_E_MALFORMED_PAYLOAD, "UTF-8");
  cbor_ok(CBOR(0x42, 0xc3, 0x28));
  /* counts that cannot fit in the bytes left: refused before anything is allocated */
  cbor_bad(CBOR(0x9b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff), TROUPE_E_MALFORMED_PAYLOAD,
           "declares");
  cbor_bad(CBOR(0x9a, 0x7f, 0xff, 0xff, 0xff, 0x00), TROUPE_E_MALFORMED_PAYLOAD, "declares");
  cbor_bad(CBOR(0xbb, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff), TROUPE_E_MALFORMED_PAYLOAD,
           NULL);
  cbor_bad(CBOR(0xa2, 0x01, 0x02, 0x03), TROUPE_E_MALFORMED_PAYLOAD, "declares");
  cbor_bad(CBOR(0x5b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00), TROUPE_E_MALFORMED_PAYLOAD,
           NULL);
}

/* n copies of `open`, then `leaf`, then n copies of `close` (close may be 0: none). */
static uint8_t *nest(uint8_t open, size_t n, uint8_t leaf, uint8_t close, size_t *len) {
  size_t total = n + 1 + (close ? n : 0);
  uint8_t *p = malloc(total);
  assert_non_null(p);
  memset(p, open, n);
  p[n] = leaf;
  if (close)
    memset(p + n + 1, close, n);
  *len = total;
  return p;
}

static void test_cbor_depth(void **state) {
  (void)state;
  size_t n;
  uint8_t *p;
  /* exactly the limit is fine, one more is not */
  p = nest(0x81, TROUPE_CODEC_MAX_DEPTH, 0x00, 0, &n);
  cbor_ok(p, n);
  free(p);
  p = nest(0x81, TROUPE_CODEC_MAX_DEPTH + 1, 0x00, 0, &n);
  cbor_bad(p, n, TROUPE_E_TOO_DEEP, "512");
  free(p);
  /* bombs: 100000 nested definite arrays, indefinite arrays, maps, tags */
  p = nest(0x81, 100000, 0x00, 0, &n);
  cbor_bad(p, n, TROUPE_E_TOO_DEEP, NULL);
  free(p);
  p = nest(0x9f, 100000, 0x00, 0xff, &n);
  cbor_bad(p, n, TROUPE_E_TOO_DEEP, NULL);
  free(p);
  p = nest(0xc1, 100000, 0x00, 0, &n);
  cbor_bad(p, n, TROUPE_E_TOO_DEEP, NULL);
  free(p);
  /* {0: {0: {0: ...}}} */
  n = 2 * 100000 + 1;
  p = malloc(n);
  assert_non_null(p);
  for (size_t i = 0; i < 100000; i++)
    p[2 * i] = 0xa1, p[2 * i + 1] = 0x00;
  p[n - 1] = 0x00;
  cbor_bad(p, n, TROUPE_E_TOO_DEEP, NULL);
  free(p);
  /* many siblings are not depth: a wide flat array is fine */
  n = 3 + 60000;
  p = malloc(n);
  assert_non_null(p);
  p[0] = 0x99, p[1] = 0xea, p[2] = 0x60; /* array(60000) */
  memset(p + 3, 0x80, 60000);               /* of empty arrays */
  cbor_ok(p, n);
  free(p);
}

static void test_json_valid(void **state) {
  (void)state;
  json_ok("{}");
  json_ok("[1, 2.5, -3e2, true, false, null, \"x\"]");
  json_ok(" 42 ");                 /* any value at the top level */
  json_ok("\"caf\xc3\xa9 \\u00e9 \\ud83d\\ude00\"");
  json_ok("\"a\\u0000b\"");        /* escaped NUL is JSON */
  json_ok("18446744073709551615"); /* valid JSON even if not an int64 */
  json_ok("{\"a\":1,\"a\":2}");    /* duplicate names: valid JSON (refused only when transcoding) */
  json_ok("-0");
}

static void test_json_invalid(void **state) {
  (void)state;
  json_bad("", TROUPE_E_MALFORMED_PAYLOAD);
  json_bad("   ", TROUPE_E_MALFORMED_PAYLOAD);
  json_bad("[1,]", TROUPE_E_MALFORMED_PAYLOAD);
  json_bad("{'a':1}", TROUPE_E_MALFORMED_PAYLOAD);
  json_bad("1 2", TROUPE_E_MALFORMED_PAYLOAD);
  json_bad("[1] x", TROUPE_E_MALFORMED_PAYLOAD);
  json_bad("NaN", TROUPE_E_MALFORMED_PAYLOAD);
  json_bad("\"\xc3\x28\"", TROUPE_E_MALFORMED_PAYLOAD);       /* invalid UTF-8 */
  json_bad("\"\xed\xa0\x80\"", TROUPE_E_MALFORMED_PAYLOAD);   /* encoded surrogate */
  json_bad("\"\xc0\xaf\"", TROUPE_E_MALFORMED_PAYLOAD);       /* overlong */
  json_bad("\"\\ud800\"", TROUPE_E_MALFORMED_PAYLOAD);        /* lone surrogate escape */
  json_bad("1e400", TROUPE_E_MALFORMED_PAYLOAD);              /* beyond double: jansson refuses */
  json_bad_n("\"a\0b\"", 5, TROUPE_E_MALFORMED_PAYLOAD);      /* raw NUL byte in a string */
  json_bad_n("[1]\0", 4, TROUPE_E_MALFORMED_PAYLOAD);         /* raw NUL after the value */
  json_bad("\"tab\there\"", TROUPE_E_MALFORMED_PAYLOAD);      /* raw control character */
  troupe_err e;
  assert_int_equal(troupe_codec_validate(TROUPE_CODEC_JSON, "[1,]", 4, &e), TROUPE_E_MALFORMED_PAYLOAD);
  if (!strstr(e.msg, "byte"))
    fail_msg("no position in '%s'", e.msg);
}

static char *json_nest(size_t n, size_t *len) {
  char *s = malloc(2 * n + 1);
  assert_non_null(s);
  memset(s, '[', n);
  memset(s + n, ']', n);
  s[2 * n] = '\0';
  *len = 2 * n;
  return s;
}

static void test_json_depth(void **state) {
  (void)state;
  size_t n;
  char *s = json_nest(TROUPE_CODEC_MAX_DEPTH, &n);
  json_ok(s);
  free(s);
  s = json_nest(TROUPE_CODEC_MAX_DEPTH + 1, &n); /* below jansson's limit, above ours */
  json_bad(s, TROUPE_E_TOO_DEEP);
  free(s);
  s = json_nest(100000, &n); /* beyond jansson's own limit */
  json_bad(s, TROUPE_E_TOO_DEEP);
  free(s);
  /* unterminated bomb: still a depth error, not a crash */
  s = json_nest(100000, &n);
  json_bad_n(s, 100000, TROUPE_E_TOO_DEEP);
  free(s);
  /* objects count too */
  size_t k = TROUPE_CODEC_MAX_DEPTH + 1;
  char *o = malloc(k * 5 + 1 + k + 1);
  assert_non_null(o);
  size_t at = 0;
  for (size_t i = 0; i < k; i++)
    memcpy(o + at, "{\"a\":", 5), at += 5;
  o[at++] = '1';
  memset(o + at, '}', k), at += k;
  o[at] = '\0';
  json_bad(o, TROUPE_E_TOO_DEEP);
  free(o);
}

static void test_borsh_and_unknown(void **state) {
  (void)state;
  assert_int_equal(troupe_codec_validate(TROUPE_CODEC_BORSH, "\xff\x00", 2, NULL), TROUPE_OK);
  assert_int_equal(troupe_codec_validate(TROUPE_CODEC_BORSH, NULL, 0, NULL), TROUPE_OK);
  assert_int_equal(troupe_codec_validate((troupe_codec)0x55, "1", 1, NULL), TROUPE_E_UNKNOWN_CODEC);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_cbor_valid), cmocka_unit_test(test_cbor_libcbor_limits),
      cmocka_unit_test(test_cbor_malformed),
      cmocka_unit_test(test_cbor_depth), cmocka_unit_test(test_json_valid),
      cmocka_unit_test(test_json_invalid), cmocka_unit_test(test_json_depth),
      cmocka_unit_test(test_borsh_and_unknown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
