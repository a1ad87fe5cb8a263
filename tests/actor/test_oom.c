/*
 * tests/actor/test_oom.c: out-of-memory injection swept over the public entry points
 * (SQLite style): the Nth allocation and every later one fail, on every thread. Each
 * call must return 0 or a clean error; nothing may crash, hang or leak (ASan), and the
 * runtime must still stop and free once allocation works again. Waiting for room in a
 * full bounded mailbox is part of the sweep.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "actor_util.h"
#include "base/base.h"

static int echo(troupe_actor *self, const troupe_message *m, troupe_err *err) {
  if (m->kind == TROUPE_MSG_ASK)
    troupe_reply(troupe_actor_runtime(self), troupe_self(self), m->corr, m->data, m->len);
  return TROUPE_CONTINUE;
}
static const troupe_behaviour echo_b = {"echo", NULL, echo, NULL};

/* Suspends on its first message, so a bounded mailbox behind it stays full. */
static int hold(troupe_actor *self, const troupe_message *m, troupe_err *err) {
  (void)self;
  (void)m;
  (void)err;
  return TROUPE_SUSPEND;
}
static const troupe_behaviour hold_b = {"hold", NULL, hold, NULL};

static bool clean(int rc) { return rc <= 0; }

static void test_oom_sweep(void **st) {
  (void)st;
  int created = 0;
  for (long n = 0; n < 80; n++) {
    trB_alloc_fail_after(n);
    troupe_runtime_config cfg;
    troupe_runtime_config_init(&cfg);
    cfg.workers = 2;
    troupe_runtime *rt = NULL;
    troupe_err err;
    int rc = troupe_runtime_new(&cfg, &rt, &err);
    if (rc) {
      trB_alloc_fail_after(-1);
      assert_int_equal(rc, TROUPE_E_NOMEM);
      assert_null(rt);
      continue;
    }
    created++;
    troupe_spawn_opts o = {.name = "e", .metadata = "meta"};
    troupe_actor_id id = 0;
    rc = troupe_spawn(rt, NULL, &echo_b, NULL, &o, &id, &err);
    assert_true(clean(rc));
    char big[500];
    memset(big, 1, sizeof big);
    assert_true(clean(troupe_send(rt, 0, id, "s", 1)));
    assert_true(clean(troupe_send(rt, 0, id, big, sizeof big)));
    troupe_reply_msg r;
    rc = troupe_ask(rt, id, 0, "q", 1, TROUPE_MS(20), &r, &err);
    if (rc == 0)
      troupe_reply_free(&r);
    assert_true(clean(rc));
    assert_true(clean(troupe_registry_set_metadata(rt, id, "m2")));
    troupe_actor_info info;
    if (troupe_registry_info(rt, id, &info) == 0)
      troupe_actor_info_clear(&info);
    troupe_send_args a = {.to = id, .data = "t", .len = 1};
    troupe_timer *t = NULL;
    if (troupe_send_after(rt, &a, TROUPE_MS(1), &t) == 0)
      troupe_timer_cancel(t);
    /* waiting for room (the line's meta and record table allocate) */
    troupe_spawn_opts bo = {.mailbox_bound = 1};
    troupe_actor_id full = 0;
    if (troupe_spawn(rt, NULL, &hold_b, NULL, &bo, &full, &err) == 0) {
      assert_true(clean(troupe_send(rt, 0, full, "s", 1)));
      assert_true(clean(troupe_send(rt, 0, full, "x", 1)));
      troupe_send_args wa = {.to = full, .data = "w", .len = 1};
      assert_true(clean(troupe_send_wait(rt, &wa, TROUPE_MS(2))));
    }
    trB_alloc_fail_after(-1);
    assert_int_equal(troupe_runtime_stop(rt, NULL), 0);
    troupe_runtime_free(rt);
  }
  assert_true(created > 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_oom_sweep)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
