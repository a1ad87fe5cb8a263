/*
 * tests/component/test_timers.c: timers of components (docs/ABI.md, troupe.send_after
 * and troupe.cancel_timer). A timer fires once, as a TIMER message to the component that
 * set it, and its id is positive; a negative delay is RANGE. The publisher example
 * re-arms its timer at each tick and publishes each on "news.tick" (a probe subscribed
 * there hears them); `stop` cancels it, after which no tick comes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "comp_util.h"

#define LIST(...) ((troupe_pattern_list){(const char *const[]){__VA_ARGS__}, \
                   sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *)})

/* One of the probe's counters: [messages, asks, timers, downs, publications, ...]. */
enum { C_TIMERS = 2, C_PUBLICATIONS = 4 };
static long long counter(cu_host *c, troupe_component_id id, int which) {
  char *out = NULL;
  long long v[7] = {0};
  if (cu_invoke(c, id, "counters", NULL, &out) == 0)
    sscanf(out, "[%lld,%lld,%lld,%lld,%lld,%lld,%lld]", &v[0], &v[1], &v[2], &v[3], &v[4],
           &v[5], &v[6]);
  free(out);
  return v[which];
}

static void test_timer_fires_once(void **st) {
  (void)st;
  cu_host c;
  assert_int_equal(cu_host_new(&c, 2), 0);
  troupe_component_spec s = cu_spec("timed", "probe");
  troupe_component_id id = cu_spawn(&c, &s);
  assert_true(id != 0);

  assert_int_equal(cu_invoke_int(&c, id, "timer", "-1"), TROUPE_E_RANGE);
  long long t1 = cu_invoke_int(&c, id, "timer", "20");
  long long t2 = cu_invoke_int(&c, id, "timer", "1");
  assert_true(t1 > 0);
  assert_true(t2 > 0);
  assert_true(t1 != t2);
  assert_true(CU_WAIT(counter(&c, id, C_TIMERS) == 2));
  /* one-shot: a while later, still two */
  cu_sleep_ms(100);
  assert_int_equal(counter(&c, id, C_TIMERS), 2);
  /* a timer still pending when the component stops goes with it */
  assert_true(cu_invoke_int(&c, id, "timer", "60000") > 0);
  assert_int_equal(troupe_host_stop(c.h, id, NULL), 0);
  cu_host_free(&c);
}

static void test_publisher_ticks_until_stopped(void **st) {
  (void)st;
  cu_host c;
  assert_int_equal(cu_host_new(&c, 2), 0);
  troupe_component_spec s = cu_spec("listener", "probe");
  s.caps.subscribe = LIST("news.>");
  troupe_component_id listener = cu_spawn(&c, &s);
  assert_true(listener != 0);
  assert_true(cu_invoke_int(&c, listener, "subscribe_to", "\"news.tick\"") > 0);
  s = cu_spec("ticker", "publisher");
  s.caps.publish = LIST("news.*");
  troupe_component_id ticker = cu_spawn(&c, &s);
  assert_true(ticker != 0);

  assert_int_equal(cu_invoke(&c, ticker, "start", "0", NULL), TROUPE_E_INVAL);
  assert_int_equal(cu_invoke(&c, ticker, "start", "5", NULL), 0);
  assert_true(CU_WAIT(counter(&c, listener, C_PUBLICATIONS) >= 3)); /* re-armed each tick */
  char *last = NULL;
  assert_int_equal(cu_invoke(&c, listener, "last_subject_text", NULL, &last), 0);
  assert_non_null(strstr(last, "news.tick"));
  free(last);
  /* start again: the old timer is cancelled, one new one ticks */
  assert_int_equal(cu_invoke(&c, ticker, "start", "5", NULL), 0);
  assert_int_equal(cu_invoke(&c, ticker, "stop", NULL, NULL), 0);
  cu_sleep_ms(50); /* a tick already queued at the stop may still land */
  long long after = counter(&c, listener, C_PUBLICATIONS);
  cu_sleep_ms(200); /* 40 intervals: a live timer would tick here */
  assert_int_equal(counter(&c, listener, C_PUBLICATIONS), after);
  assert_int_equal(cu_invoke(&c, ticker, "stop", NULL, NULL), 0); /* stopping twice: fine */
  cu_host_free(&c);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_timer_fires_once),
      cmocka_unit_test(test_publisher_ticks_until_stopped),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
