/*
 * tests/broker/test_broker_accounting.c: what the broker's delivery counters mean
 * (issue #9). A publish right after troupe_exit(KILL) of a subscriber does not count as
 * delivered to it: the killed actor accepts nothing more. A delivery the runtime throws
 * away unhandled because its subscriber died (killed later, crashed on an earlier
 * message) is counted in `discarded`, so subscribers' handlers receive exactly
 * delivered - discarded messages.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "actor/actor_util.h"
#include "troupe/broker.h"

/* ---- subscribers: count the broker messages they are given -------------------------- */
static _Atomic uint64_t handled; /* over all subscribers of a test */

static int count_handle(troupe_actor *self, const troupe_message *m, troupe_err *err) {
  troupe_broker_envelope e;
  if (troupe_broker_decode(m, &e))
    return TROUPE_CONTINUE;
  atomic_fetch_add(&handled, 1);
  if (troupe_actor_state(self) && e.len == 4 && memcmp(e.data, "boom", 4) == 0)
    return troupe_err_set(err, TROUPE_E_INTERNAL, "told to crash");
  return TROUPE_CONTINUE;
}
static const troupe_behaviour counting = {"counting", NULL, count_handle, NULL};

static int sleep_init(troupe_actor *self, void *arg, troupe_err *err) {
  (void)self, (void)arg, (void)err;
  return TROUPE_SUSPEND; /* deliveries wait in its deferred list */
}
static const troupe_behaviour sleeping = {"sleeping", sleep_init, count_handle, NULL};

typedef struct benv {
  troupe_runtime *rt;
  troupe_broker *b;
} benv;

static benv env_new(void) {
  benv e = {tu_runtime(2), NULL};
  assert_non_null(e.rt);
  assert_int_equal(troupe_broker_new(e.rt, &e.b, NULL), 0);
  atomic_store(&handled, 0);
  return e;
}

/* Stop (every queued delivery is then handled or discarded), read the counters, free. */
static troupe_broker_stats env_finish(benv *e) {
  assert_int_equal(troupe_runtime_stop(e->rt, NULL), 0);
  troupe_broker_stats s;
  troupe_broker_stats_get(e->b, &s);
  troupe_broker_free(e->b);
  troupe_runtime_free(e->rt);
  return s;
}

static troupe_actor_id spawn_sub(benv *e, const troupe_behaviour *b, void *arg,
                                 const char *pattern) {
  troupe_actor_id id;
  assert_int_equal(troupe_spawn(e->rt, NULL, b, arg, NULL, &id, NULL), 0);
  troupe_sub_id s;
  assert_int_equal(troupe_broker_subscribe(e->b, id, pattern, NULL, &s, NULL), 0);
  return id;
}

/* ---- tests ----------------------------------------------------------------------- */
/* Subscribe N actors, kill one, publish at once; many times. The kill has returned, so
 * the victim is not counted as delivered (it would never handle the message): every
 * round delivers exactly N - 1, and at the end the handlers got exactly what was
 * delivered. */
static void test_publish_right_after_kill(void **st) {
  (void)st;
  enum { N = 4, ROUNDS = 300 };
  benv e = env_new();
  uint64_t delivered = 0, noproc = 0;
  for (int round = 0; round < ROUNDS; round++) {
    char subj[32];
    snprintf(subj, sizeof subj, "race.%d", round);
    troupe_actor_id ids[N];
    for (int i = 0; i < N; i++)
      ids[i] = spawn_sub(&e, &counting, NULL, subj);
    assert_int_equal(troupe_exit(e.rt, 0, ids[round % N], TROUPE_EXIT_KILL, 0, NULL), 0);
    troupe_publish_result r;
    assert_int_equal(troupe_broker_publish(e.b, 0, subj, "m", 1, &r, NULL), 0);
    /* the victim is matched and counted as gone, or the janitor already removed its
     * subscription (it is told of the kill as soon as it monitors the victim) */
    assert_int_equal(r.delivered, N - 1);
    assert_true(r.matched == N || r.matched == N - 1);
    assert_int_equal(r.dropped_noproc, r.matched - r.delivered);
    delivered += r.delivered;
    noproc += r.dropped_noproc;
  }
  assert_true(TU_WAIT(atomic_load(&handled) == delivered));
  troupe_broker_stats s = env_finish(&e);
  assert_int_equal(s.published, ROUNDS);
  assert_int_equal(s.delivered, delivered);
  assert_int_equal(s.dropped_noproc, noproc);
  assert_int_equal(s.discarded, 0);
  assert_int_equal(atomic_load(&handled), s.delivered - s.discarded);
}

/* Delivered, then the subscriber dies before handling: discarded, exactly. */
static void test_discarded_when_subscriber_dies(void **st) {
  (void)st;
  benv e = env_new();
  /* a sleeping subscriber holds 5 deliveries, then is killed */
  troupe_actor_id sleeper = spawn_sub(&e, &sleeping, NULL, "d.x");
  spawn_sub(&e, &counting, NULL, "d.x");
  for (int i = 0; i < 5; i++) {
    troupe_publish_result r;
    assert_int_equal(troupe_broker_publish(e.b, 0, "d.x", "m", 1, &r, NULL), 0);
    assert_int_equal(r.delivered, 2);
  }
  assert_true(TU_WAIT(atomic_load(&handled) == 5)); /* the awake one */
  troupe_broker_stats s;
  troupe_broker_stats_get(e.b, &s);
  assert_int_equal(s.discarded, 0); /* still queued, not lost yet */
  assert_int_equal(troupe_exit(e.rt, 0, sleeper, TROUPE_EXIT_KILL, 0, NULL), 0);
  assert_true(TU_WAIT((troupe_broker_stats_get(e.b, &s), s.discarded == 5)));
  assert_int_equal(s.delivered, 10);

  /* a subscriber that crashes on its first message: what was queued behind it is
   * discarded, whatever the timing; later publishes find it gone */
  static int crash_on_boom;
  spawn_sub(&e, &counting, &crash_on_boom, "d.y");
  uint64_t y = 0;
  for (int i = 0; i < 50; i++) {
    troupe_publish_result r;
    assert_int_equal(troupe_broker_publish(e.b, 0, "d.y", "boom", 4, &r, NULL), 0);
    y += r.delivered;
  }
  assert_true(y >= 1);
  assert_true(TU_WAIT((troupe_broker_stats_get(e.b, &s), s.discarded == 5 + y - 1)));
  s = env_finish(&e);
  assert_int_equal(atomic_load(&handled), 5 + 1);
  assert_int_equal(atomic_load(&handled), s.delivered - s.discarded);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_publish_right_after_kill),
      cmocka_unit_test(test_discarded_when_subscriber_dies),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
