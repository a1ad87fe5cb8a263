/*
 * tests/codec/test_oom.c: out-of-memory sweep. For n = 0, 1, 2, ... the n-th
 * allocation fails (trB_alloc_fail_after), and every entry point must either succeed
 * with the right output or fail cleanly with TROUPE_E_NOMEM; ASan's leak check proves
 * nothing leaks on the failure paths. A second pass also routes jansson's allocations
 * through trB_malloc (a test-only hook; the library never touches it) so that failures
 * inside jansson hit our cleanup paths too. jansson 2.14 reports some of its own
 * allocation failures while lexing as syntax errors, so in that pass
 * TROUPE_E_MALFORMED_PAYLOAD is tolerated (see docs/CODEC.md). Debian's libcbor is
 * built without CBOR_CUSTOM_ALLOC, so its allocations cannot be swept this way.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "codec/codec.h"

static bool route_jansson; /* this test's only global: which pass is running */

static void *hook_malloc(size_t n) { return route_jansson ? trB_malloc(n) : malloc(n); }

static int setup(void **state) {
  (void)state;
  json_set_alloc_funcs(hook_malloc, free);
  return 0;
}

typedef int (*op_fn)(const void *in, size_t len, uint8_t **out, size_t *out_len, troupe_err *err);

/* Run op under every failure point until it succeeds with nothing left to fail. */
static void sweep_pass(const char *name, op_fn op, const void *in, size_t len) {
  uint8_t *want;
  size_t want_len;
  troupe_err e;
  assert_int_equal(op(in, len, &want, &want_len, &e), TROUPE_OK);
  int failures = 0;
  for (long n = 0; n < 100000; n++) {
    uint8_t *out = NULL;
    size_t out_len = 0;
    trB_alloc_fail_after(n);
    int rc = op(in, len, &out, &out_len, &e);
    trB_alloc_fail_after(-1);
    if (rc == TROUPE_E_NOMEM || (route_jansson && rc == TROUPE_E_MALFORMED_PAYLOAD)) {
      assert_null(out);
      failures++;
      continue;
    }
    if (rc != TROUPE_OK)
      fail_msg("%s with allocation %ld failing: %s (%s)", name, n, troupe_err_name(rc), e.msg);
    assert_int_equal(out_len, want_len);
    assert_memory_equal(out, want, want_len);
    free(out);
    if (n > 0 && failures == 0)
      fail_msg("%s never saw an allocation fail", name);
    break;
  }
  assert_true(failures > 0);
  free(want);
}

static void sweep(const char *name, op_fn op, const void *in, size_t len) {
  route_jansson = false;
  sweep_pass(name, op, in, len);
  route_jansson = true;
  sweep_pass(name, op, in, len);
  route_jansson = false;
}

static int op_json_to_cbor(const void *in, size_t len, uint8_t **out, size_t *n, troupe_err *e) {
  return troupe_json_to_cbor(in, len, out, n, e);
}
static int op_cbor_to_json(const void *in, size_t len, uint8_t **out, size_t *n, troupe_err *e) {
  return troupe_cbor_to_json(in, len, 0, (char **)out, n, e);
}
static int op_cbor_to_json_pretty(const void *in, size_t len, uint8_t **out, size_t *n,
                                  troupe_err *e) {
  return troupe_cbor_to_json(in, len, TROUPE_JSON_PRETTY, (char **)out, n, e);
}
static int op_to_cbor(const void *in, size_t len, uint8_t **out, size_t *n, troupe_err *e) {
  return troupe_codec_transcode(in, len, TROUPE_CODEC_CBOR, out, n, e);
}
static int op_to_json(const void *in, size_t len, uint8_t **out, size_t *n, troupe_err *e) {
  return troupe_codec_transcode(in, len, TROUPE_CODEC_JSON, out, n, e);
}
static int op_encode_json(const void *in, size_t len, uint8_t **out, size_t *n, troupe_err *e) {
  return troupe_codec_encode_alloc(TROUPE_CODEC_JSON, in, len, out, n, e);
}
static int op_encode_cbor(const void *in, size_t len, uint8_t **out, size_t *n, troupe_err *e) {
  return troupe_codec_encode_alloc(TROUPE_CODEC_CBOR, in, len, out, n, e);
}
static int op_encode_borsh(const void *in, size_t len, uint8_t **out, size_t *n, troupe_err *e) {
  return troupe_codec_encode_alloc(TROUPE_CODEC_BORSH, in, len, out, n, e);
}
/* A Borsh record written field by field: failure anywhere must surface at take. */
static int op_borsh_writer(const void *in, size_t len, uint8_t **out, size_t *n, troupe_err *e) {
  troupe_borsh_writer w = {0};
  for (int i = 0; i < 50; i++) {
    troupe_borsh_write_u64(&w, (uint64_t)i);
    troupe_borsh_write_string(&w, in, len);
    troupe_borsh_write_option(&w, i % 2);
  }
  return troupe_borsh_writer_take(&w, out, n, e);
}

static const char doc[] =
    "{\"name\":\"sample\",\"values\":[1,-2,3.5,true,false,null],"
    "\"nested\":{\"list\":[[1,2],[3,[4,[5]]]],\"text\":\"h\\u00e9llo \\u0000 world\"},"
    "\"big\":9223372036854775807,\"small\":-9223372036854775808,\"pi\":3.141592653589793}";

static void test_oom_json_to_cbor(void **state) {
  (void)state;
  sweep("json->cbor", op_json_to_cbor, doc, strlen(doc));
}

static void test_oom_cbor_to_json(void **state) {
  (void)state;
  uint8_t *cbor;
  size_t n;
  assert_int_equal(troupe_json_to_cbor(doc, strlen(doc), &cbor, &n, NULL), 0);
  sweep("cbor->json", op_cbor_to_json, cbor, n);
  sweep("cbor->json pretty", op_cbor_to_json_pretty, cbor, n);
  /* indefinite-length items take other paths (chunk joining) */
  static const uint8_t indef[] = {0xbf, 0x7f, 0x61, 'k', 0x62, 'e', 'y', 0xff,
                                  0x9f, 0x7f, 0x61, 'a', 0x61, 'b', 0xff, 0x01, 0xff, 0xff};
  sweep("cbor->json indefinite", op_cbor_to_json, indef, sizeof indef);
  free(cbor);
}

static void test_oom_transcode(void **state) {
  (void)state;
  uint8_t *msg;
  size_t n;
  assert_int_equal(troupe_codec_encode_alloc(TROUPE_CODEC_JSON, doc, strlen(doc), &msg, &n, NULL), 0);
  sweep("transcode json->cbor", op_to_cbor, msg, n);
  sweep("transcode json->json", op_to_json, msg, n);
  uint8_t *cmsg;
  size_t cn;
  assert_int_equal(troupe_codec_transcode(msg, n, TROUPE_CODEC_CBOR, &cmsg, &cn, NULL), 0);
  sweep("transcode cbor->json", op_to_json, cmsg, cn);
  free(cmsg);
  free(msg);
}

static void test_oom_encode(void **state) {
  (void)state;
  sweep("encode json", op_encode_json, doc, strlen(doc));
  sweep("encode cbor", op_encode_cbor, "\x82\x01\x63" "abc", 6);
  sweep("encode borsh", op_encode_borsh, "\x01\x02\x03", 3);
  sweep("borsh writer", op_borsh_writer, "some string", 11);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_oom_json_to_cbor), cmocka_unit_test(test_oom_cbor_to_json),
      cmocka_unit_test(test_oom_transcode),    cmocka_unit_test(test_oom_encode),
  };
  return cmocka_run_group_tests(tests, setup, NULL);
}
