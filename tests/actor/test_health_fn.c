/*
 * tests/actor/test_health_fn.c: the behaviour-level health callback. With one set
 * (troupe_actor_set_health_fn) the runtime answers the supervision's health ask itself;
 * without one handle() still gets the ask; an out-of-range answer reads as Unhealthy.
 * Also the TROUPE_SPAWN_STOP_WAIT root: runtime stop waits past shutdown_timeout_ns.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "actor_util.h"

static _Atomic int handled_asks;

static troupe_health say_degraded(troupe_actor *self, char *reason, size_t cap) {
  (void)self;
  snprintf(reason, cap, "disk slow");
  return TROUPE_HEALTH_DEGRADED;
}

static troupe_health say_nonsense(troupe_actor *self, char *reason, size_t cap) {
  (void)self;
  (void)reason;
  (void)cap;
  return (troupe_health)42;
}

static int hf_init(troupe_actor *self, void *arg, troupe_err *err) {
  (void)err;
  return troupe_actor_set_health_fn(self, (troupe_health_fn)arg);
}

/* Answers health asks from handle() (Healthy, "by handle"); counts them. */
static int hf_handle(troupe_actor *self, const troupe_message *m, troupe_err *err) {
  (void)err;
  if (troupe_is_health_check(m)) {
    atomic_fetch_add(&handled_asks, 1);
    troupe_health_answer(troupe_actor_runtime(self), troupe_self(self), m->corr,
                             TROUPE_HEALTH_HEALTHY, "by handle");
  }
  return TROUPE_CONTINUE;
}

static const troupe_behaviour hf_b = {.name = "hf", .init = hf_init, .handle = hf_handle};

static troupe_health ask_health(troupe_runtime *rt, troupe_actor_id id, char *reason,
                                size_t cap) {
  troupe_reply_msg r;
  assert_int_equal(troupe_ask(rt, id, TROUPE_TAG_HEALTH, NULL, 0, TROUPE_SEC(10), &r, NULL),
                   0);
  assert_true(r.len >= 1);
  const unsigned char *p = r.data;
  size_t n = r.len - 1 < cap - 1 ? r.len - 1 : cap - 1;
  memcpy(reason, p + 1, n);
  reason[n] = '\0';
  troupe_health h = (troupe_health)p[0];
  troupe_reply_free(&r);
  return h;
}

static void test_callback_answers(void **st) {
  (void)st;
  troupe_runtime *rt = tu_runtime(2);
  assert_non_null(rt);
  atomic_store(&handled_asks, 0);
  troupe_actor_id with, without, bad;
  assert_int_equal(troupe_spawn(rt, NULL, &hf_b, (void *)say_degraded, NULL, &with, NULL), 0);
  assert_int_equal(troupe_spawn(rt, NULL, &hf_b, NULL, NULL, &without, NULL), 0);
  assert_int_equal(troupe_spawn(rt, NULL, &hf_b, (void *)say_nonsense, NULL, &bad, NULL), 0);
  char reason[128];
  assert_int_equal(ask_health(rt, with, reason, sizeof reason), TROUPE_HEALTH_DEGRADED);
  assert_string_equal(reason, "disk slow");
  assert_int_equal(atomic_load(&handled_asks), 0); /* the runtime answered, not handle() */
  assert_int_equal(ask_health(rt, without, reason, sizeof reason), TROUPE_HEALTH_HEALTHY);
  assert_string_equal(reason, "by handle");
  assert_int_equal(atomic_load(&handled_asks), 1);
  assert_int_equal(ask_health(rt, bad, reason, sizeof reason), TROUPE_HEALTH_UNHEALTHY);
  assert_non_null(strstr(reason, "42"));
  assert_int_equal(troupe_runtime_stop(rt, NULL), 0);
  troupe_runtime_free(rt);
}

/* A root whose orderly shutdown (10 steps of 30 ms, one message each, as a supervisor
 * stopping its children one by one) takes far longer than shutdown_timeout_ns (20 ms).
 * With TROUPE_SPAWN_STOP_WAIT runtime stop lets it finish every step; without it stop
 * would kill it after the first step (a kill overtakes queued messages). */
static _Atomic int slow_steps;

static int slow_handle(troupe_actor *self, const troupe_message *m, troupe_err *err) {
  (void)err;
  troupe_runtime *rt = troupe_actor_runtime(self);
  if (m->kind == TROUPE_MSG_EXIT || (m->kind == TROUPE_MSG_USER && m->tag == 7)) {
    if (m->kind == TROUPE_MSG_USER) {
      tu_sleep_ms(30);
      if (atomic_fetch_add(&slow_steps, 1) + 1 == 10)
        return TROUPE_STOP;
    }
    troupe_send_args a = {.from = troupe_self(self), .to = troupe_self(self), .tag = 7};
    troupe_send_ex(rt, &a);
  }
  return TROUPE_CONTINUE;
}

static const troupe_behaviour slow_b = {.name = "slow", .handle = slow_handle};

static void test_stop_wait(void **st) {
  (void)st;
  troupe_runtime_config cfg;
  troupe_runtime_config_init(&cfg);
  cfg.workers = 2;
  cfg.shutdown_timeout_ns = TROUPE_MS(20);
  troupe_runtime *rt = NULL;
  assert_int_equal(troupe_runtime_new(&cfg, &rt, NULL), 0);
  atomic_store(&slow_steps, 0);
  troupe_spawn_opts o = {.flags = TROUPE_SPAWN_TRAP_EXIT | TROUPE_SPAWN_STOP_WAIT};
  troupe_actor_id id;
  assert_int_equal(troupe_spawn(rt, NULL, &slow_b, NULL, &o, &id, NULL), 0);
  assert_int_equal(troupe_runtime_stop(rt, NULL), 0);
  assert_int_equal(atomic_load(&slow_steps), 10);
  troupe_runtime_free(rt);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_callback_answers),
      cmocka_unit_test(test_stop_wait),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
