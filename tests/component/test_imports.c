/*
 * tests/component/test_imports.c: the imports the other tests do not reach through a
 * scenario of their own: monitor (a DOWN when the target's incarnation ends, with the
 * exit kind and the target's id), timers (send_after delivers a TIMER,
 * cancel_timer stops one), unsubscribe (only one's own subscriptions), WASI random_get,
 * and a guest pointer outside memory (a trap, not a host crash).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "comp_util.h"

static cu_host c;

static int setup(void **state) {
  (void)state;
  return cu_host_new(&c, 2);
}

static int teardown(void **state) {
  (void)state;
  cu_host_free(&c);
  return 0;
}

/* counters: [messages, asks, timers, downs, publications, replies, ask_failures] */
static bool counters_are(troupe_component_id id, const char *want) {
  char *out = NULL;
  bool ok = cu_invoke(&c, id, "counters", NULL, &out) == 0 && strcmp(out, want) == 0;
  free(out);
  return ok;
}

static void monitor_down(void **state) {
  (void)state;
  const char *to[] = {"watched"};
  troupe_component_spec w = cu_spec("watcher", "probe"), t = cu_spec("watched", "probe");
  w.caps.send_to = (troupe_pattern_list){to, 1};
  t.restart = TROUPE_TEMPORARY;
  troupe_component_id wid = cu_spawn(&c, &w), tid = cu_spawn(&c, &t);
  assert_true(wid && tid);
  assert_true(cu_invoke_int(&c, wid, "monitor_name", "\"watched\"") > 0);
  assert_int_equal(cu_send_json(&c, tid, "\"crash\""), 0);
  assert_true(CU_WAIT(counters_are(wid, "[0,0,0,1,0,0,0]")));
  assert_int_equal(cu_invoke_int(&c, wid, "last_from_id", NULL), (long long)tid);
  assert_int_equal(cu_invoke_int(&c, wid, "last_tag_value", NULL), TROUPE_EXIT_CRASH);
}

static void timers(void **state) {
  (void)state;
  troupe_component_spec s = cu_spec("timed", "probe");
  troupe_component_id id = cu_spawn(&c, &s);
  long long t1 = cu_invoke_int(&c, id, "timer", "10");
  assert_true(t1 > 0);
  assert_true(CU_WAIT(counters_are(id, "[0,0,1,0,0,0,0]")));
  assert_int_equal(cu_invoke_int(&c, id, "last_tag_value", NULL), 9); /* the tag it gave */
  long long t2 = cu_invoke_int(&c, id, "timer", "60000");
  char arg[32];
  snprintf(arg, sizeof arg, "%lld", t2);
  assert_int_equal(cu_invoke_int(&c, id, "cancel", arg), 1);  /* cancelled in time */
  assert_int_equal(cu_invoke_int(&c, id, "cancel", arg), 0);  /* gone now */
  snprintf(arg, sizeof arg, "%lld", t1);
  assert_int_equal(cu_invoke_int(&c, id, "cancel", arg), 0);  /* fired already */
}

static void unsubscribe(void **state) {
  (void)state;
  const char *news[] = {"news.>"};
  troupe_component_spec s = cu_spec("unsub", "probe"), o = cu_spec("other-sub", "probe");
  s.caps.subscribe = (troupe_pattern_list){news, 1};
  o.caps.subscribe = (troupe_pattern_list){news, 1};
  troupe_component_id id = cu_spawn(&c, &s), other = cu_spawn(&c, &o);
  long long mine = cu_invoke_int(&c, id, "subscribe_to", "\"news.a\"");
  long long theirs = cu_invoke_int(&c, other, "subscribe_to", "\"news.a\"");
  assert_true(mine > 0 && theirs > 0);
  char arg[32];
  snprintf(arg, sizeof arg, "%lld", theirs);
  assert_int_equal(cu_invoke_int(&c, id, "unsubscribe_id", arg), TROUPE_E_NOTFOUND);
  snprintf(arg, sizeof arg, "%lld", mine);
  assert_int_equal(cu_invoke_int(&c, id, "unsubscribe_id", arg), 0);
  size_t n;
  uint8_t *m = cu_json("1", &n);
  assert_int_equal(troupe_host_publish(c.h, "news.a", m, n, NULL), 0);
  free(m);
  assert_true(CU_WAIT(counters_are(other, "[0,0,0,0,1,0,0]")));
  assert_true(counters_are(id, "[0,0,0,0,0,0,0]"));
}

static void random_and_bad_pointer(void **state) {
  (void)state;
  troupe_component_spec s = cu_spec("rand", "probe");
  troupe_component_id id = cu_spawn(&c, &s);
  assert_true(cu_invoke_int(&c, id, "random_bytes", NULL) > 8); /* not all the same */
  char *out;
  assert_int_equal(cu_invoke(&c, id, "bad_pointer", NULL, &out), TROUPE_E_TRAP);
  assert_non_null(strstr(out, "troupe.send: range"));
  assert_non_null(strstr(out, "outside memory"));
  free(out);
  assert_true(CU_WAIT(cu_restarts(&c, id) == 1 && cu_state(&c, id) == TROUPE_COMPONENT_READY));
}

/* troupe.output of nothing, as the first output of an instance: an empty result. */
static void empty_output(void **state) {
  (void)state;
  troupe_component_spec s = cu_spec("empty", "probe");
  troupe_component_id id = cu_spawn(&c, &s);
  assert_true(id);
  char *out = NULL;
  assert_int_equal(cu_invoke(&c, id, "empty_output", NULL, &out), 0);
  assert_string_equal(out, "");
  free(out);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(monitor_down),
      cmocka_unit_test(timers),
      cmocka_unit_test(unsubscribe),
      cmocka_unit_test(random_and_bad_pointer),
      cmocka_unit_test(empty_output),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
