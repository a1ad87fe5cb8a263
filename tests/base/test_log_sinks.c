/*
 * tests/base/test_log_sinks.c: the edges of the log sink and the error values
 * (include/troupe/log.h, error.h) that tests/base/test_base.c leaves out: a record too
 * long for the sink's stack buffer still reaches its file whole, as one line; carriage
 * returns and tabs are escaped; a sink whose writes fail (a full device) drops the line
 * and carries on; the stderr sink filters by level like any other. Error values: an
 * unknown code has a text, a message-less error reads as its code's text, a NULL error
 * reads as empty, and the version string is the project's.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/base.h"

#include <jansson.h>
#include <stdio.h>
#include <unistd.h>

static void test_long_record_written_whole(void **state) {
  (void)state;
  char path[] = "/tmp/troupe-log-long-XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  close(fd);
  troupe_err err;
  troupe_logger *lg = troupe_logger_file(path, TROUPE_LOG_INFO, &err);
  assert_non_null(lg);
  static char big[3001];
  memset(big, 'z', sizeof big - 1);
  troupe_log_field f[] = {TROUPE_LOG_STR("text", big), TROUPE_LOG_STR("ws", "a\rb\tc")};
  troupe_log(lg, TROUPE_LOG_INFO, "long", f, 2);
  troupe_log(lg, TROUPE_LOG_INFO, "short", NULL, 0);
  troupe_logger_free(lg);

  FILE *in = fopen(path, "r");
  assert_non_null(in);
  static char line[8192];
  assert_non_null(fgets(line, sizeof line, in));
  json_t *j = json_loads(line, 0, NULL);
  assert_non_null(j);
  assert_string_equal(json_string_value(json_object_get(j, "event")), "long");
  assert_int_equal(strlen(json_string_value(json_object_get(j, "text"))), 3000);
  assert_string_equal(json_string_value(json_object_get(j, "ws")), "a\rb\tc");
  assert_non_null(strstr(line, "a\\rb\\tc")); /* escaped, not raw control bytes */
  json_decref(j);
  assert_non_null(fgets(line, sizeof line, in)); /* the next record on its own line */
  assert_non_null(strstr(line, "\"short\""));
  assert_null(fgets(line, sizeof line, in));
  fclose(in);
  unlink(path);
}

static void test_failing_sink_carries_on(void **state) {
  (void)state;
  troupe_err err;
  troupe_logger *lg = troupe_logger_file("/dev/full", TROUPE_LOG_DEBUG, &err);
  if (!lg)
    skip(); /* no /dev/full here */
  troupe_log_field f = TROUPE_LOG_INT("n", 1);
  for (int i = 0; i < 3; i++) /* each write fails with ENOSPC: dropped, no error, no hang */
    troupe_log(lg, TROUPE_LOG_ERROR, "nowhere", &f, 1);
  troupe_logger_free(lg);
}

static void test_stderr_sink_levels(void **state) {
  (void)state;
  troupe_logger *lg = troupe_logger_stderr(TROUPE_LOG_ERROR);
  assert_non_null(lg);
  assert_false(troupe_logger_enabled(lg, TROUPE_LOG_WARN));
  assert_true(troupe_logger_enabled(lg, TROUPE_LOG_ERROR));
  troupe_log(lg, TROUPE_LOG_DEBUG, "filtered", NULL, 0); /* below the level: nothing */
  troupe_logger_free(lg);
}

static void test_error_texts(void **state) {
  (void)state;
  assert_string_equal(troupe_strerror(-9999), "unknown error");
  troupe_err err;
  assert_int_equal(troupe_err_set(&err, TROUPE_E_NOMEM, NULL), TROUPE_E_NOMEM);
  assert_string_equal(err.msg, troupe_strerror(TROUPE_E_NOMEM));
  assert_string_equal(troupe_err_message(&err), troupe_strerror(TROUPE_E_NOMEM));
  assert_string_equal(troupe_err_message(NULL), "");
  char want[32];
  snprintf(want, sizeof want, "%d.%d.%d", TROUPE_VERSION_MAJOR, TROUPE_VERSION_MINOR,
           TROUPE_VERSION_PATCH);
  assert_int_equal(strncmp(troupe_version(), want, strlen(want)), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_long_record_written_whole),
      cmocka_unit_test(test_failing_sink_carries_on),
      cmocka_unit_test(test_stderr_sink_levels),
      cmocka_unit_test(test_error_texts),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
