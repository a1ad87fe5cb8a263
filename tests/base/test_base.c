/*
 * tests/base/test_base.c: the support layer: status names from the X-macro list, error
 * values, the JSON-lines log sink (format, escaping, levels, callback sinks, concurrent
 * writers keep lines whole), clocks, hashing, and the checked allocator.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/base.h"

#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

static void test_error_names(void **state) {
  (void)state;
  assert_string_equal(troupe_err_name(TROUPE_E_MAILBOX_FULL), "TROUPE_E_MAILBOX_FULL");
  assert_string_equal(troupe_strerror(TROUPE_E_VARINT_OVERLONG), "overlong (non-minimal) varint");
  assert_string_equal(troupe_err_name(12345), "TROUPE_E_UNKNOWN");
  assert_string_equal(troupe_strerror(TROUPE_OK), "success");
}

static void test_error_value(void **state) {
  (void)state;
  troupe_err e;
  troupe_err_clear(&e);
  assert_int_equal(e.code, TROUPE_OK);
  int rc = troupe_err_set(&e, TROUPE_E_INVAL, "bad %s at %d", "thing", 7);
  assert_int_equal(rc, TROUPE_E_INVAL);
  assert_int_equal(e.code, TROUPE_E_INVAL);
  assert_string_equal(troupe_err_message(&e), "bad thing at 7");
  /* NULL err is allowed everywhere */
  assert_int_equal(troupe_err_set(NULL, TROUPE_E_IO, "x"), TROUPE_E_IO);
  troupe_err_clear(&e);
  e.code = TROUPE_E_TIMEOUT;
  assert_string_equal(troupe_err_message(&e), "timed out");
  /* long messages are truncated, never overflow */
  char big[1000];
  memset(big, 'a', sizeof big - 1);
  big[sizeof big - 1] = 0;
  troupe_err_set(&e, TROUPE_E_INVAL, "%s", big);
  assert_int_equal(strlen(e.msg), TROUPE_ERR_MSG_MAX - 1);
}

static void test_log_format(void **state) {
  (void)state;
  troupe_log_field f[] = {
      TROUPE_LOG_STR("name", "a\"b\\c\n\x01"), TROUPE_LOG_INT("n", -42),
      TROUPE_LOG_UINT("u", UINT64_MAX / 2),    TROUPE_LOG_BOOL("ok", true),
      TROUPE_LOG_FLOAT("x", 1.5),              TROUPE_LOG_FLOAT("nan", NAN),
  };
  troupe_log_record r = {1700000000123456789ull, TROUPE_LOG_WARN, "actor.crashed", f, 6};
  char buf[512];
  size_t n = troupe_log_format_json(&r, buf, sizeof buf);
  assert_true(n < sizeof buf);
  assert_int_equal(buf[n - 1], '\n');
  json_error_t je;
  json_t *j = json_loads(buf, 0, &je);
  assert_non_null(j);
  assert_string_equal(json_string_value(json_object_get(j, "time")), "2023-11-14T22:13:20.123456Z");
  assert_string_equal(json_string_value(json_object_get(j, "level")), "warn");
  assert_string_equal(json_string_value(json_object_get(j, "event")), "actor.crashed");
  assert_string_equal(json_string_value(json_object_get(j, "name")), "a\"b\\c\n\x01");
  assert_int_equal(json_integer_value(json_object_get(j, "n")), -42);
  assert_int_equal(json_integer_value(json_object_get(j, "u")), INT64_MAX);
  assert_true(json_is_true(json_object_get(j, "ok")));
  assert_true(json_real_value(json_object_get(j, "x")) == 1.5);
  assert_true(json_is_null(json_object_get(j, "nan")));
  json_decref(j);
  /* too small a buffer: reports the needed size and stays NUL-terminated */
  char small[16];
  size_t need = troupe_log_format_json(&r, small, sizeof small);
  assert_int_equal(need, n);
  assert_int_equal(strlen(small), sizeof small - 1);
}

/* Numbers at their limits, written without printf; times formatted from the thread's
 * cached second and across a change of second, and truncated to a small buffer. */
static void test_log_numbers_and_times(void **state) {
  (void)state;
  troupe_log_field f[] = {TROUPE_LOG_INT("min", INT64_MIN), TROUPE_LOG_INT("zero", 0),
                          TROUPE_LOG_UINT("max", UINT64_MAX), TROUPE_LOG_INT("nine", 9)};
  troupe_log_record r = {1700000000000000001ull, TROUPE_LOG_INFO, "e", f, 4};
  char buf[512];
  troupe_log_format_json(&r, buf, sizeof buf);
  assert_non_null(strstr(buf, "\"min\":-9223372036854775808,\"zero\":0,"
                              "\"max\":18446744073709551615,\"nine\":9}"));
  static const struct {
    uint64_t ns;
    const char *text;
  } times[] = {
      {1700000000000000001ull, "2023-11-14T22:13:20.000000Z"},
      {1700000000999999999ull, "2023-11-14T22:13:20.999999Z"}, /* the same second */
      {1700000001000000000ull, "2023-11-14T22:13:21.000000Z"}, /* the next */
      {1700000000500000000ull, "2023-11-14T22:13:20.500000Z"}, /* back again */
      {0, "1970-01-01T00:00:00.000000Z"},
      {951782400123000000ull, "2000-02-29T00:00:00.123000Z"},
  };
  for (size_t i = 0; i < sizeof times / sizeof times[0]; i++) {
    char t[40];
    troupe_clock_format_rfc3339(times[i].ns, t, sizeof t);
    assert_string_equal(t, times[i].text);
  }
  char small[11];
  troupe_clock_format_rfc3339(1700000000000000001ull, small, sizeof small);
  assert_string_equal(small, "2023-11-14");
}

typedef struct {
  int count;
  troupe_log_level last_level;
  char last_event[64];
} capture;

static void capture_fn(void *user, const troupe_log_record *rec) {
  capture *c = user;
  c->count++;
  c->last_level = rec->level;
  snprintf(c->last_event, sizeof c->last_event, "%s", rec->event);
}

static void test_log_callback_and_levels(void **state) {
  (void)state;
  capture c = {0};
  troupe_logger *lg = troupe_logger_callback(capture_fn, &c, TROUPE_LOG_INFO);
  assert_non_null(lg);
  troupe_log(lg, TROUPE_LOG_DEBUG, "hidden", NULL, 0);
  assert_int_equal(c.count, 0);
  troupe_log(lg, TROUPE_LOG_ERROR, "shown", NULL, 0);
  assert_int_equal(c.count, 1);
  assert_string_equal(c.last_event, "shown");
  troupe_logger_set_level(lg, TROUPE_LOG_OFF);
  troupe_log(lg, TROUPE_LOG_ERROR, "off", NULL, 0);
  assert_int_equal(c.count, 1);
  troupe_logger_free(lg);
  troupe_log(NULL, TROUPE_LOG_ERROR, "to nowhere", NULL, 0); /* a NULL logger drops */
}

#define WRITERS 4
#define LINES 500
static void *writer(void *arg) {
  troupe_logger *lg = arg;
  char pad[300];
  memset(pad, 'x', sizeof pad - 1);
  pad[sizeof pad - 1] = 0;
  for (int i = 0; i < LINES; i++) {
    troupe_log_field f[] = {TROUPE_LOG_INT("i", i), TROUPE_LOG_STR("pad", pad)};
    troupe_log(lg, TROUPE_LOG_INFO, "line", f, 2);
  }
  return NULL;
}

static void test_log_file_concurrent(void **state) {
  (void)state;
  char path[] = "/tmp/troupe-log-XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  close(fd);
  troupe_err err;
  troupe_logger *lg = troupe_logger_file(path, TROUPE_LOG_DEBUG, &err);
  assert_non_null(lg);
  pthread_t t[WRITERS];
  for (int i = 0; i < WRITERS; i++)
    pthread_create(&t[i], NULL, writer, lg);
  for (int i = 0; i < WRITERS; i++)
    pthread_join(t[i], NULL);
  troupe_logger_free(lg);
  FILE *f = fopen(path, "r");
  char line[2048];
  int lines = 0;
  while (fgets(line, sizeof line, f)) {
    json_t *j = json_loads(line, 0, NULL);
    assert_non_null(j); /* every line is whole JSON: no interleaving */
    json_decref(j);
    lines++;
  }
  fclose(f);
  unlink(path);
  assert_int_equal(lines, WRITERS * LINES);
  assert_null(troupe_logger_file("/nonexistent-dir/x.log", TROUPE_LOG_INFO, &err));
  assert_int_equal(err.code, TROUPE_E_IO);
}

static void test_clock_and_hash(void **state) {
  (void)state;
  uint64_t a = troupe_clock_mono_ns();
  uint64_t b = troupe_clock_mono_ns();
  assert_true(b >= a);
  assert_true(troupe_clock_wall_ns() > 1600000000ull * 1000000000ull);
  assert_int_equal(troupe_hash_str("abc"), troupe_hash64("abc", 3, 0));
  assert_int_not_equal(troupe_hash64("abc", 3, 0), troupe_hash64("abc", 3, 1));
  assert_int_not_equal(troupe_hash_str("abc"), troupe_hash_str("abd"));
}

static void test_alloc(void **state) {
  (void)state;
  assert_null(trB_realloc_array(NULL, SIZE_MAX / 2, 4)); /* overflow is an error */
  assert_null(trB_calloc(SIZE_MAX / 2, 4));
  trB_alloc_fail_after(1);
  void *p = trB_malloc(8);
  assert_non_null(p);
  assert_null(trB_malloc(8));
  trB_alloc_fail_after(-1);
  void *q = trB_malloc(8);
  assert_non_null(q);
  free(p);
  free(q);
  char *s = trB_strdup("hello");
  assert_string_equal(s, "hello");
  free(s);
}

/* trB_calloc_aligned: on the boundary asked for, zeroed whatever the size (also one
 * that is not a multiple of the alignment), an overflowing size refused, and failing
 * when a test injects out-of-memory, as the other allocators do. */
static void test_alloc_aligned(void **state) {
  (void)state;
  static const size_t sizes[] = {1, 63, 64, 65, 808, 4097};
  for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
    unsigned char *p = trB_calloc_aligned(64, sizes[i]);
    assert_non_null(p);
    assert_int_equal((uintptr_t)p % 64, 0);
    for (size_t j = 0; j < sizes[i]; j++)
      assert_int_equal(p[j], 0);
    free(p);
  }
  assert_null(trB_calloc_aligned(64, SIZE_MAX - 10));
  trB_alloc_fail_after(0);
  assert_null(trB_calloc_aligned(64, 64));
  trB_alloc_fail_after(-1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_error_names),
      cmocka_unit_test(test_error_value),
      cmocka_unit_test(test_log_format),
      cmocka_unit_test(test_log_numbers_and_times),
      cmocka_unit_test(test_log_callback_and_levels),
      cmocka_unit_test(test_log_file_concurrent),
      cmocka_unit_test(test_clock_and_hash),
      cmocka_unit_test(test_alloc),
      cmocka_unit_test(test_alloc_aligned),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
