/*
 * tests/broker/test_broker_oom.c: the broker under memory exhaustion (the Nth
 * allocation and every later one fail, on every thread): creating it, subscribing
 * (plain and in a queue group) and publishing each return 0 or a clean error, a publish
 * that returns 0 accounts for every match, and once memory is back the broker holds
 * exactly the subscriptions it said it made -- a failed subscribe leaves nothing
 * behind, a made one is not lost -- and delivers to each it holds.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "actor/actor_util.h"
#include "base/base.h"
#include "troupe/broker.h"

static bool clean(int rc) { return rc <= 0; }

static int broker_msgs(tu_log *l) {
  int k = 0, n = atomic_load(&l->n);
  for (int i = 0; i < n; i++)
    k += tu_log_get(l, i).tag == TROUPE_BROKER_TAG;
  return k;
}

static void test_broker_calls_under_oom(void **st) {
  (void)st;
  int created = 0;
  for (long n = 0; n < 60; n++) {
    troupe_runtime *rt = tu_runtime(2);
    assert_non_null(rt);
    tu_log *log = calloc(1, sizeof *log);
    assert_non_null(log);
    tu_log_init(log);
    troupe_actor_id who = 0;
    troupe_err err;
    assert_int_equal(troupe_spawn(rt, NULL, &tu_recorder, log, NULL, &who, &err), 0);

    trB_alloc_fail_after(n);
    troupe_broker *b = NULL;
    int rc = troupe_broker_new(rt, &b, &err);
    assert_true(clean(rc));
    size_t subs = 0;
    int first = 0; /* deliveries of the publish under pressure */
    if (rc == 0) {
      created++;
      troupe_sub_id id = 0;
      rc = troupe_broker_subscribe(b, who, "a.*", NULL, &id, &err);
      assert_true(clean(rc));
      subs += rc == 0;
      rc = troupe_broker_subscribe(b, who, "a.b", "q", &id, &err);
      assert_true(clean(rc));
      subs += rc == 0;
      troupe_publish_result res;
      rc = troupe_broker_publish(b, 0, "a.b", "x", 1, &res, &err);
      assert_true(clean(rc));
      if (rc == 0)
        first = (int)res.delivered;
      if (rc == 0)
        assert_int_equal(res.matched, res.delivered + res.dropped_full + res.dropped_noproc +
                                          res.dropped_other);
    } else {
      assert_int_equal(rc, TROUPE_E_NOMEM);
      assert_null(b);
    }
    trB_alloc_fail_after(-1);

    if (b) {
      /* memory back: it holds exactly the subscriptions it said it made, and delivers
       * to them. (A subscriber that cannot record the janitor's monitor answers DOWN
       * noproc while alive: the janitor keeps its subscriptions, broker.c jan_handle.) */
      assert_int_equal(troupe_broker_count_subs(b, who), subs);
      assert_true(TU_WAIT(broker_msgs(log) == first));
      troupe_publish_result res;
      assert_int_equal(troupe_broker_publish(b, 0, "a.b", "y", 1, &res, &err), 0);
      assert_true(res.matched <= subs);
      assert_int_equal(res.delivered, res.matched);
      assert_true(TU_WAIT(broker_msgs(log) == first + (int)res.delivered));
    }
    assert_int_equal(troupe_runtime_stop(rt, NULL), 0);
    troupe_broker_free(b);
    troupe_runtime_free(rt);
    free(log);
  }
  assert_true(created > 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_broker_calls_under_oom)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
