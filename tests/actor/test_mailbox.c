/*
 * tests/actor/test_mailbox.c: bounded mailboxes fail at once with MAILBOX_FULL, the
 * priority lane overtakes a long user queue, and an actor handles at most `batch`
 * messages per turn so two busy actors on one worker take turns (fairness).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "actor_util.h"

/* Gate: the first message blocks its worker until `open` is set, so messages pile up
 * in mailboxes while the test enqueues them. */
static _Atomic int gate_open, gate_entered;
static int gate_handle(troupe_actor *self, const troupe_message *m, troupe_err *err) {
  atomic_store(&gate_entered, 1);
  while (!atomic_load(&gate_open))
    tu_sleep_ms(1);
  return TROUPE_CONTINUE;
}
static const troupe_behaviour gate = {"gate", NULL, gate_handle, NULL};

static troupe_runtime *one_worker(unsigned batch) {
  troupe_runtime_config cfg;
  troupe_runtime_config_init(&cfg);
  cfg.workers = 1;
  cfg.batch = batch;
  troupe_runtime *rt = NULL;
  assert_int_equal(troupe_runtime_new(&cfg, &rt, NULL), 0);
  return rt;
}

static void block_worker(troupe_runtime *rt) {
  atomic_store(&gate_open, 0);
  atomic_store(&gate_entered, 0);
  troupe_actor_id g;
  assert_int_equal(troupe_spawn(rt, NULL, &gate, NULL, NULL, &g, NULL), 0);
  assert_int_equal(troupe_send(rt, 0, g, "g", 1), 0);
  assert_true(TU_WAIT(atomic_load(&gate_entered)));
}

static void test_bounded_mailbox_full(void **st) {
  (void)st;
  troupe_runtime *rt = one_worker(0);
  static tu_log log;
  tu_log_init(&log);
  troupe_spawn_opts o = {.mailbox_bound = 4};
  troupe_actor_id id;
  assert_int_equal(troupe_spawn(rt, NULL, &tu_recorder, &log, &o, &id, NULL), 0);
  block_worker(rt);
  for (int i = 0; i < 4; i++)
    assert_int_equal(troupe_send(rt, 0, id, "m", 1), 0);
  assert_int_equal(troupe_send(rt, 0, id, "m", 1), TROUPE_E_MAILBOX_FULL);
  assert_int_equal(troupe_send(rt, 0, id, "m", 1), TROUPE_E_MAILBOX_FULL);
  /* system messages bypass the bound */
  troupe_send_args sa = {.to = id, .flags = TROUPE_SEND_SYSTEM, .data = "s", .len = 1};
  assert_int_equal(troupe_send_ex(rt, &sa), 0);
  atomic_store(&gate_open, 1);
  assert_true(TU_WAIT(atomic_load(&log.n) == 5));
  assert_int_equal(troupe_send(rt, 0, id, "m", 1), 0); /* room again */
  assert_true(TU_WAIT(atomic_load(&log.n) == 6));
  troupe_runtime_stats s;
  troupe_runtime_stats_get(rt, &s);
  assert_int_equal(s.msgs_rejected, 2);
  troupe_runtime_free(rt);
}

static void test_priority_lane_overtakes(void **st) {
  (void)st;
  troupe_runtime *rt = one_worker(0);
  static tu_log log;
  tu_log_init(&log);
  troupe_actor_id id;
  assert_int_equal(troupe_spawn(rt, NULL, &tu_recorder, &log, NULL, &id, NULL), 0);
  block_worker(rt);
  for (int i = 0; i < 500; i++)
    assert_int_equal(troupe_send(rt, 0, id, "u", 1), 0);
  troupe_send_args sa = {.to = id, .flags = TROUPE_SEND_SYSTEM, .tag = 77, .data = "s", .len = 1};
  assert_int_equal(troupe_send_ex(rt, &sa), 0);
  atomic_store(&gate_open, 1);
  assert_true(TU_WAIT(atomic_load(&log.n) == 501));
  /* the system message is handled first although it was sent last */
  tu_entry e = tu_log_get(&log, 0);
  assert_int_equal(e.kind, TROUPE_MSG_SYSTEM);
  assert_int_equal(e.tag, 77);
  assert_int_equal(tu_log_get(&log, 1).byte, 'u');
  troupe_runtime_free(rt);
}

/* Two actors with 1000 queued messages each on one worker take turns of `batch`. */
static tu_log shared;
static int tagged_handle(troupe_actor *self, const troupe_message *m, troupe_err *err) {
  troupe_message c = *m;
  c.tag = (uint32_t)(uintptr_t)troupe_actor_state(self);
  tu_log_add(&shared, &c);
  return TROUPE_CONTINUE;
}
static const troupe_behaviour tagged = {"tagged", NULL, tagged_handle, NULL};

static void test_batching_fairness(void **st) {
  (void)st;
  troupe_runtime *rt = one_worker(16);
  tu_log_init(&shared);
  troupe_actor_id a, b;
  assert_int_equal(troupe_spawn(rt, NULL, &tagged, (void *)1, NULL, &a, NULL), 0);
  assert_int_equal(troupe_spawn(rt, NULL, &tagged, (void *)2, NULL, &b, NULL), 0);
  tu_sleep_ms(10); /* let both run init before the worker is blocked */
  block_worker(rt);
  for (int i = 0; i < 1000; i++) {
    assert_int_equal(troupe_send(rt, 0, a, "a", 1), 0);
    assert_int_equal(troupe_send(rt, 0, b, "b", 1), 0);
  }
  atomic_store(&gate_open, 1);
  assert_true(TU_WAIT(atomic_load(&shared.n) == 2000));
  int run = 1, longest = 1, switches = 0;
  for (int i = 1; i < 2000; i++) {
    if (tu_log_get(&shared, i).tag == tu_log_get(&shared, i - 1).tag) {
      run++;
    } else {
      switches++;
      run = 1;
    }
    if (run > longest)
      longest = run;
  }
  assert_true(longest <= 16);  /* never more than a batch in a row */
  assert_true(switches >= 100); /* so they alternate all along */
  troupe_runtime_free(rt);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_bounded_mailbox_full),
      cmocka_unit_test(test_priority_lane_overtakes),
      cmocka_unit_test(test_batching_fairness),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
