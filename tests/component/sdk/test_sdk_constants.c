/*
 * tests/component/sdk/test_sdk_constants.c: the C guest SDK (sdk/c/troupe_guest.h),
 * compiled for the host, where only its constants and payload helpers exist, agrees
 * with the host and with docs/ABI.md: every error code has the host's value and name;
 * the SDK's error list is exactly the ABI's table (read from the document); message
 * kinds, DOWN kinds, log levels and multicodec codes are the host's and the
 * document's; and what the SDK's encoders write is what the host's codec accepts, while
 * its decoders read back exactly what was encoded.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "troupe/actor.h"
#include "troupe/codec.h"
#include "troupe/error.h"
#include <troupe_guest.h>

/* The SDK's list with the host's value of the same name: a name the host does not
 * have fails to compile. */
static const struct {
  const char *name;
  int sdk, host;
} errors[] = {
#define X(name, value) {#name, value, TROUPE_E_##name},
    TROUPE_GUEST_ERROR_LIST(X)
#undef X
};
#define N_ERRORS (sizeof errors / sizeof errors[0])

static int sdk_has(int code) {
  for (size_t i = 0; i < N_ERRORS; i++)
    if (errors[i].sdk == code)
      return 1;
  return 0;
}

static void test_error_values_and_names(void **state) {
  (void)state;
  assert_true(N_ERRORS > 20);
  for (size_t i = 0; i < N_ERRORS; i++) {
    assert_int_equal(errors[i].sdk, errors[i].host);
    const char *host = troupe_err_name(errors[i].host);
    assert_int_equal(strncmp(host, "TROUPE_E_", 9), 0);
    assert_string_equal(troupe_error_name(errors[i].sdk), host + 9);
    assert_string_equal(troupe_error_name(errors[i].sdk), errors[i].name);
  }
  assert_int_equal(TROUPE_ERR_DENIED, TROUPE_E_DENIED);
  assert_string_equal(troupe_error_name(TROUPE_ERR_MAILBOX_FULL), "MAILBOX_FULL");
  assert_string_equal(troupe_error_name(0), "OK");
  assert_string_equal(troupe_error_name(-1000), "UNKNOWN");
  assert_string_equal(troupe_error_name(1), "UNKNOWN");
}

/* Reads the first table of the "## <section>" part of docs/ABI.md: the first two cells
 * of each row below the header, trimmed and without backticks, into cells[n][2];
 * returns the row count. */
#define MAX_ROWS 64
static size_t abi_table(const char *section, char cells[MAX_ROWS][2][64]) {
  FILE *f = fopen(TROUPE_ABI_MD, "r");
  assert_non_null(f);
  char line[1024];
  size_t n = 0, table_lines = 0;
  int in = 0;
  while (fgets(line, sizeof line, f)) {
    if (strncmp(line, "## ", 3) == 0) {
      if (in)
        break;
      in = strncmp(line + 3, section, strlen(section)) == 0;
      continue;
    }
    if (!in)
      continue;
    if (line[0] != '|') {
      if (table_lines)
        break; /* the end of the table */
      continue;
    }
    if (table_lines++ < 2)
      continue; /* the header row and the |---| row */
    assert_true(n < MAX_ROWS);
    char *p = line + 1;
    for (int c = 0; c < 2; c++) {
      char *end = strchr(p, '|');
      assert_non_null(end);
      size_t k = 0;
      for (char *q = p; q < end && k < 63; q++)
        if (*q != '`' && (k > 0 || *q != ' '))
          cells[n][c][k++] = *q;
      while (k > 0 && cells[n][c][k - 1] == ' ')
        k--;
      cells[n][c][k] = '\0';
      p = end + 1;
    }
    n++;
  }
  fclose(f);
  return n;
}

/* The error table: "-1 | NOMEM" rows and "-20..-28 | EMPTY … TOO_DEEP" ranges (every
 * host code in the range). The SDK lists exactly those codes (and OK). */
static void test_error_list_is_the_documents(void **state) {
  (void)state;
  char rows[MAX_ROWS][2][64];
  size_t n = abi_table("Error codes", rows);
  assert_true(n >= 15);
  int documented[200] = {0}; /* documented[-code] */
  size_t count = 0;
  for (size_t i = 0; i < n; i++) {
    int hi, lo;
    if (sscanf(rows[i][0], "%d..%d", &hi, &lo) == 2) {
      assert_true(hi > lo && lo > -200);
      /* the range's ends are named as the host names them */
      char first[64];
      snprintf(first, sizeof first, "%s", rows[i][1]);
      first[strcspn(first, " ")] = '\0';
      assert_string_equal(troupe_err_name(hi) + 9, first);
      const char *last = strrchr(rows[i][1], ' ');
      assert_non_null(last);
      assert_string_equal(troupe_err_name(lo) + 9, last + 1);
      for (int c = hi; c >= lo; c--)
        if (strcmp(troupe_err_name(c), "TROUPE_E_UNKNOWN") != 0)
          documented[-c] = 1, count++;
    } else {
      assert_int_equal(sscanf(rows[i][0], "%d", &hi), 1);
      assert_true(hi < 0 && hi > -200);
      assert_string_equal(troupe_error_name(hi), rows[i][1]);
      documented[-hi] = 1;
      count++;
    }
  }
  for (int c = 1; c < 200; c++)
    if (documented[c] != sdk_has(-c))
      fail_msg("code %d (%s): %s", -c, troupe_err_name(-c),
               documented[c] ? "in docs/ABI.md, not in the SDK"
                             : "in the SDK, not in docs/ABI.md");
  assert_int_equal(count + 1, N_ERRORS); /* + OK */
}

static void test_kinds_are_the_documents(void **state) {
  (void)state;
  static const struct {
    const char *name;
    int value;
  } kinds[] = {
      {"MESSAGE", TROUPE_KIND_MESSAGE},   {"ASK", TROUPE_KIND_ASK},
      {"REPLY", TROUPE_KIND_REPLY},       {"ASK_FAILED", TROUPE_KIND_ASK_FAILED},
      {"DOWN", TROUPE_KIND_DOWN},         {"TIMER", TROUPE_KIND_TIMER},
      {"PUBLICATION", TROUPE_KIND_PUBLICATION},
  };
  char rows[MAX_ROWS][2][64];
  size_t n = abi_table("Message kinds", rows);
  assert_int_equal(n, sizeof kinds / sizeof kinds[0]);
  for (size_t i = 0; i < n; i++) {
    assert_string_equal(rows[i][0], kinds[i].name);
    assert_int_equal(atoi(rows[i][1]), kinds[i].value);
  }
}

static void test_other_constants_are_the_hosts(void **state) {
  (void)state;
  assert_int_equal(TROUPE_DOWN_NORMAL, TROUPE_EXIT_NORMAL);
  assert_int_equal(TROUPE_DOWN_SHUTDOWN, TROUPE_EXIT_SHUTDOWN);
  assert_int_equal(TROUPE_DOWN_KILLED, TROUPE_EXIT_KILLED);
  assert_int_equal(TROUPE_DOWN_CRASH, TROUPE_EXIT_CRASH);
  assert_int_equal(TROUPE_DOWN_NOPROC, TROUPE_EXIT_NOPROC);
  assert_int_equal(TROUPE_LEVEL_DEBUG, TROUPE_LOG_DEBUG);
  assert_int_equal(TROUPE_LEVEL_INFO, TROUPE_LOG_INFO);
  assert_int_equal(TROUPE_LEVEL_WARN, TROUPE_LOG_WARN);
  assert_int_equal(TROUPE_LEVEL_ERROR, TROUPE_LOG_ERROR);
  assert_int_equal(TROUPE_MC_CBOR, TROUPE_CODEC_CBOR);
  assert_int_equal(TROUPE_MC_JSON, TROUPE_CODEC_JSON);
  assert_int_equal(TROUPE_MC_BORSH, TROUPE_CODEC_BORSH);
  static const struct {
    uint64_t code;
    const char *prefix;
  } prefixes[] = {{TROUPE_CODEC_CBOR, TROUPE_PREFIX_CBOR},
                  {TROUPE_CODEC_JSON, TROUPE_PREFIX_JSON},
                  {TROUPE_CODEC_BORSH, TROUPE_PREFIX_BORSH}};
  for (size_t i = 0; i < 3; i++) {
    uint8_t b[TROUPE_VARINT_MAX_BYTES];
    int n = troupe_varint_encode(prefixes[i].code, b, sizeof b, NULL);
    assert_int_equal(n, (int)strlen(prefixes[i].prefix));
    assert_memory_equal(b, prefixes[i].prefix, (size_t)n);
  }
  assert_int_equal(TROUPE_ABI_VERSION, 1);
}

/* A payload the host's codec accepts, of that codec. */
static void assert_host_accepts(const uint8_t *p, int32_t n, troupe_codec codec) {
  assert_true(n > 0);
  troupe_payload pl;
  troupe_err e;
  int rc = troupe_codec_decode(p, (size_t)n, &pl, &e);
  if (rc != 0)
    fail_msg("host codec refused the SDK's payload: %s", troupe_err_message(&e));
  assert_int_equal(pl.codec, codec);
}

static void test_json_encoders(void **state) {
  (void)state;
  uint8_t b[64];
  int32_t n = troupe_json(b, sizeof b, "{\"count\":3}");
  assert_int_equal(n, 13);
  assert_memory_equal(b, "\x80\x04{\"count\":3}", 13);
  assert_host_accepts(b, n, TROUPE_CODEC_JSON);
  n = troupe_jsonf(b, sizeof b, "{\"tick\":%d,\"s\":\"%s\"}", 42, "x");
  assert_int_equal(n, 2 + (int32_t)strlen("{\"tick\":42,\"s\":\"x\"}"));
  assert_host_accepts(b, n, TROUPE_CODEC_JSON);
  const char *text;
  size_t len;
  assert_int_equal(troupe_payload_json(b, (size_t)n, &text, &len), 0);
  assert_int_equal(len, (size_t)n - 2);
  assert_memory_equal(text, "{\"tick\":42", 10);
  /* too small: RANGE, never a cut payload */
  assert_int_equal(troupe_json(b, 5, "\"abcd\""), TROUPE_ERR_RANGE);
  assert_int_equal(troupe_json(b, 1, "1"), TROUPE_ERR_RANGE);
  assert_int_equal(troupe_jsonf(b, 8, "\"%s\"", "abcdef"), TROUPE_ERR_RANGE);
  assert_int_equal(troupe_jsonf(b, 9, "\"%s\"", "abcd"), 8);
  assert_int_equal(troupe_payload_json("\x51\x01", 2, &text, &len), TROUPE_ERR_UNKNOWN_CODEC);
}

static void test_cbor_encoders(void **state) {
  (void)state;
  static const int64_t values[] = {0,     1,      23,         24,         255,       256,
                                   65535, 65536,  4294967295, 4294967296, INT64_MAX, -1,
                                   -24,   -25,    -256,       -257,       -65537,    INT64_MIN};
  for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
    uint8_t b[16];
    int32_t n = troupe_cbor_int(b, sizeof b, values[i]);
    assert_host_accepts(b, n, TROUPE_CODEC_CBOR);
    /* the host reads the same number */
    char *json = NULL;
    size_t jl;
    assert_int_equal(troupe_cbor_to_json(b + 1, (size_t)n - 1, 0, &json, &jl, NULL), 0);
    char want[32];
    snprintf(want, sizeof want, "%lld", (long long)values[i]);
    assert_string_equal(json, want);
    free(json);
    int64_t back = 0;
    assert_int_equal(troupe_payload_int(b, (size_t)n, &back), 0);
    assert_true(back == values[i]);
    /* one byte short: RANGE */
    assert_int_equal(troupe_cbor_int(b, (size_t)n - 1, values[i]), TROUPE_ERR_RANGE);
  }
  uint8_t b[300];
  int32_t n = troupe_cbor_uint(b, sizeof b, UINT64_MAX);
  assert_int_equal(n, 10);
  assert_host_accepts(b, n, TROUPE_CODEC_CBOR);
  int64_t v;
  assert_int_equal(troupe_payload_int(b, (size_t)n, &v), TROUPE_ERR_INVAL); /* > INT64_MAX */

  char text[260];
  memset(text, 'a', sizeof text);
  for (size_t len = 0; len < sizeof text; len += 23) {
    n = troupe_cbor_text(b, sizeof b, text, len);
    assert_host_accepts(b, n, TROUPE_CODEC_CBOR);
    char out[300];
    assert_int_equal(troupe_payload_string(b, (size_t)n, out, sizeof out), (int32_t)len);
    assert_memory_equal(out, text, len);
    assert_int_equal(out[len], '\0');
    assert_int_equal(troupe_payload_string(b, (size_t)n, out, len), TROUPE_ERR_RANGE);
  }
  assert_int_equal(troupe_cbor_text(b, 3, "abc", 3), TROUPE_ERR_RANGE);
}

static void test_decoders(void **state) {
  (void)state;
  static const struct {
    const char *json;
    int rc;
    int64_t v;
  } ints[] = {
      {"42", 0, 42},
      {" -7 \n", 0, -7},
      {"0", 0, 0},
      {"9223372036854775807", 0, INT64_MAX},
      {"-9223372036854775808", 0, INT64_MIN},
      {"9223372036854775808", TROUPE_ERR_INVAL, 0},
      {"-9223372036854775809", TROUPE_ERR_INVAL, 0},
      {"4.2", TROUPE_ERR_INVAL, 0},
      {"1e3", TROUPE_ERR_INVAL, 0},
      {"\"5\"", TROUPE_ERR_INVAL, 0},
      {"", TROUPE_ERR_INVAL, 0},
      {"-", TROUPE_ERR_INVAL, 0},
      {"12 3", TROUPE_ERR_INVAL, 0},
  };
  for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++) {
    uint8_t b[64] = {0};
    int32_t n = troupe_json(b, sizeof b, ints[i].json);
    int64_t v = 12345;
    assert_int_equal(troupe_payload_int(b, (size_t)n, &v), ints[i].rc);
    if (ints[i].rc == 0)
      assert_true(v == ints[i].v);
  }
  int64_t v;
  assert_int_equal(troupe_payload_int("\x81\x0e\x01", 3, &v), TROUPE_ERR_UNKNOWN_CODEC);
  assert_int_equal(troupe_payload_int("\x51\x18", 2, &v), TROUPE_ERR_INVAL);    /* truncated */
  assert_int_equal(troupe_payload_int("\x51\x01\x02", 3, &v), TROUPE_ERR_INVAL); /* trailing */
  assert_int_equal(troupe_payload_int("\x51\x61\x61", 3, &v), TROUPE_ERR_INVAL); /* text */

  char out[16];
  assert_int_equal(troupe_payload_string("\x80\x04 \"echo\" ", 10, out, sizeof out), 4);
  assert_string_equal(out, "echo");
  assert_int_equal(troupe_payload_string("\x80\x04\"\"", 4, out, sizeof out), 0);
  assert_string_equal(out, "");
  assert_int_equal(troupe_payload_string("\x80\x04\"a\\\"b\"", 8, out, sizeof out),
                   TROUPE_ERR_INVAL);
  assert_int_equal(troupe_payload_string("\x80\x04" "42", 4, out, sizeof out), TROUPE_ERR_INVAL);
  assert_int_equal(troupe_payload_string("\x80\x04\"", 3, out, sizeof out), TROUPE_ERR_INVAL);
  assert_int_equal(troupe_payload_string("\x51\x05", 2, out, sizeof out), TROUPE_ERR_INVAL);
  assert_int_equal(troupe_payload_string("", 0, out, sizeof out), TROUPE_ERR_UNKNOWN_CODEC);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_error_values_and_names),
      cmocka_unit_test(test_error_list_is_the_documents),
      cmocka_unit_test(test_kinds_are_the_documents),
      cmocka_unit_test(test_other_constants_are_the_hosts),
      cmocka_unit_test(test_json_encoders),
      cmocka_unit_test(test_cbor_encoders),
      cmocka_unit_test(test_decoders),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
