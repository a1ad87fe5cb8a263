/*
 * tests/actor/test_suspend.c: an actor that returns TROUPE_SUSPEND handles nothing more
 * (messages queue) until resumed from any thread or by the reply to its async ask; it
 * then continues, in order, on whichever worker. YIELD lets others run first. A kill
 * still ends a suspended actor; a trapped exit signal waits for the resume.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "actor_util.h"

/* "s": suspend; "a": async ask the actor whose id is in the state's `peer`, suspend. */
typedef struct susp_state {
  tu_log log;
  troupe_actor_id peer;
  uint64_t corr;
} susp_state;

static int susp_handle(troupe_actor *self, const troupe_message *m, troupe_err *err) {
  susp_state *s = troupe_actor_state(self);
  tu_log_add(&s->log, m);
  if (m->kind == TROUPE_MSG_USER && m->len == 1 && *(const char *)m->data == 's')
    return TROUPE_SUSPEND;
  if (m->kind == TROUPE_MSG_USER && m->len == 1 && *(const char *)m->data == 'a') {
    int rc = troupe_ask_async(self, s->peer, 0, "q", 1, TROUPE_SEC(10), &s->corr, err);
    return rc ? rc : TROUPE_SUSPEND;
  }
  return TROUPE_CONTINUE;
}
static const troupe_behaviour suspender = {"suspender", NULL, susp_handle, NULL};

static void test_suspend_then_resume(void **st) {
  (void)st;
  troupe_runtime *rt = tu_runtime(2);
  static susp_state s;
  memset(&s, 0, sizeof s);
  tu_log_init(&s.log);
  troupe_actor_id id;
  assert_int_equal(troupe_spawn(rt, NULL, &suspender, &s, NULL, &id, NULL), 0);
  assert_int_equal(troupe_send(rt, 0, id, "s", 1), 0);
  for (int i = 0; i < 10; i++) {
    unsigned char b = (unsigned char)('0' + i);
    assert_int_equal(troupe_send(rt, 0, id, &b, 1), 0);
  }
  assert_true(TU_WAIT(atomic_load(&s.log.n) == 1));
  tu_sleep_ms(50); /* queued messages stay queued while suspended */
  assert_int_equal(atomic_load(&s.log.n), 1);
  assert_int_equal(troupe_actor_resume(rt, id, 5), 0);
  assert_true(TU_WAIT(atomic_load(&s.log.n) == 12));
  tu_entry r = tu_log_get(&s.log, 1);
  assert_int_equal(r.kind, TROUPE_MSG_RESUME);
  assert_int_equal(r.tag, 5);
  for (int i = 0; i < 10; i++)
    assert_int_equal(tu_log_get(&s.log, 2 + i).byte, '0' + i);
  assert_int_equal(troupe_actor_resume(rt, ((uint64_t)9 << 32) | 4242, 0), TROUPE_E_NOTFOUND);
  troupe_runtime_free(rt);
}

/* A replier that answers asks only when told ("r"), so the asker stays suspended. */
typedef struct replier {
  _Atomic uint64_t corr;
  troupe_runtime *rt;
} replier;
static int replier_handle(troupe_actor *self, const troupe_message *m, troupe_err *err) {
  replier *r = troupe_actor_state(self);
  if (m->kind == TROUPE_MSG_ASK)
    atomic_store(&r->corr, m->corr);
  return TROUPE_CONTINUE;
}
static const troupe_behaviour lazy_replier = {"lazy", NULL, replier_handle, NULL};

static void test_async_ask_wakes_suspended(void **st) {
  (void)st;
  troupe_runtime *rt = tu_runtime(2);
  static replier rp;
  atomic_store(&rp.corr, 0);
  static susp_state s;
  memset(&s, 0, sizeof s);
  tu_log_init(&s.log);
  troupe_actor_id b, a;
  assert_int_equal(troupe_spawn(rt, NULL, &lazy_replier, &rp, NULL, &b, NULL), 0);
  s.peer = b;
  assert_int_equal(troupe_spawn(rt, NULL, &suspender, &s, NULL, &a, NULL), 0);
  assert_int_equal(troupe_send(rt, 0, a, "a", 1), 0);
  assert_int_equal(troupe_send(rt, 0, a, "1", 1), 0);
  assert_int_equal(troupe_send(rt, 0, a, "2", 1), 0);
  assert_true(TU_WAIT(atomic_load(&rp.corr) != 0));
  tu_sleep_ms(20);
  assert_int_equal(atomic_load(&s.log.n), 1); /* still waiting for the reply */
  /* reply from this (non-runtime) thread: wakes the asker */
  assert_int_equal(troupe_reply(rt, b, atomic_load(&rp.corr), "R", 1), 0);
  assert_true(TU_WAIT(atomic_load(&s.log.n) == 4));
  tu_entry e = tu_log_get(&s.log, 1);
  assert_int_equal(e.kind, TROUPE_MSG_REPLY);
  assert_int_equal(e.byte, 'R');
  assert_int_equal(e.from, b);
  assert_true(e.corr == atomic_load(&rp.corr));
  assert_int_equal(tu_log_get(&s.log, 2).byte, '1');
  assert_int_equal(tu_log_get(&s.log, 3).byte, '2');
  /* a second reply to the same corr is late */
  assert_int_equal(troupe_reply(rt, b, atomic_load(&rp.corr), "R", 1), TROUPE_E_TIMEOUT);
  troupe_runtime_free(rt);
}

/* YIELD: the actor is called again with RESUME after others had a turn. */
static tu_log ylog;
static int yield_handle(troupe_actor *self, const troupe_message *m, troupe_err *err) {
  troupe_message c = *m;
  c.tag = (uint32_t)(uintptr_t)troupe_actor_state(self);
  tu_log_add(&ylog, &c);
  if (c.tag == 1 && m->kind == TROUPE_MSG_USER)
    return TROUPE_YIELD;
  return TROUPE_CONTINUE;
}
static const troupe_behaviour yielder = {"yielder", NULL, yield_handle, NULL};

/* Holds the only worker until `gate_open`, so the test can queue work deterministically. */
static _Atomic int gate_open, gate_entered;
static int gate_handle(troupe_actor *self, const troupe_message *m, troupe_err *err) {
  atomic_store(&gate_entered, 1);
  while (!atomic_load(&gate_open))
    tu_sleep_ms(1);
  return TROUPE_CONTINUE;
}
static const troupe_behaviour gate = {"gate", NULL, gate_handle, NULL};

static void test_yield(void **st) {
  (void)st;
  troupe_runtime *rt = tu_runtime(1);
  tu_log_init(&ylog);
  troupe_actor_id a, b, g;
  assert_int_equal(troupe_spawn(rt, NULL, &yielder, (void *)1, NULL, &a, NULL), 0);
  assert_int_equal(troupe_spawn(rt, NULL, &yielder, (void *)2, NULL, &b, NULL), 0);
  assert_int_equal(troupe_spawn(rt, NULL, &gate, NULL, NULL, &g, NULL), 0);
  assert_int_equal(troupe_send(rt, 0, g, "g", 1), 0);
  assert_true(TU_WAIT(atomic_load(&gate_entered)));
  assert_int_equal(troupe_send(rt, 0, a, "x", 1), 0);
  assert_int_equal(troupe_send(rt, 0, a, "y", 1), 0);
  assert_int_equal(troupe_send(rt, 0, b, "z", 1), 0);
  atomic_store(&gate_open, 1);
  assert_true(TU_WAIT(atomic_load(&ylog.n) == 5));
  /* a: x (yield) ... RESUME, then y (yield) ... RESUME; b's z is handled in between */
  int resumes = 0, pos_z = -1, pos_first_resume = -1;
  for (int i = 0; i < 5; i++) {
    tu_entry e = tu_log_get(&ylog, i);
    if (e.kind == TROUPE_MSG_RESUME && pos_first_resume < 0)
      pos_first_resume = i;
    resumes += e.kind == TROUPE_MSG_RESUME;
    if (e.byte == 'z')
      pos_z = i;
  }
  assert_int_equal(tu_log_get(&ylog, 0).byte, 'x');
  assert_true(pos_z >= 0 && pos_z < pos_first_resume);
  assert_int_equal(resumes, 2);
  troupe_runtime_free(rt);
}

static void test_kill_suspended_and_deferred_exit(void **st) {
  (void)st;
  troupe_runtime *rt = tu_runtime(2);
  static susp_state s1, s2;
  memset(&s1, 0, sizeof s1);
  memset(&s2, 0, sizeof s2);
  tu_log_init(&s1.log);
  tu_log_init(&s2.log);
  troupe_actor_id a, b;
  assert_int_equal(troupe_spawn(rt, NULL, &suspender, &s1, NULL, &a, NULL), 0);
  troupe_spawn_opts trap = {.flags = TROUPE_SPAWN_TRAP_EXIT};
  assert_int_equal(troupe_spawn(rt, NULL, &suspender, &s2, &trap, &b, NULL), 0);
  assert_int_equal(troupe_send(rt, 0, a, "s", 1), 0);
  assert_int_equal(troupe_send(rt, 0, b, "s", 1), 0);
  assert_true(TU_WAIT(atomic_load(&s1.log.n) == 1 && atomic_load(&s2.log.n) == 1));
  assert_int_equal(troupe_exit(rt, 0, a, TROUPE_EXIT_KILL, 0, NULL), 0);
  assert_true(TU_WAIT(tu_dead(rt, a)));
  /* trapped signal: deferred while suspended, delivered after the resume */
  assert_int_equal(troupe_exit(rt, 0, b, TROUPE_EXIT_SHUTDOWN, 0, "bye"), 0);
  tu_sleep_ms(20);
  assert_int_equal(atomic_load(&s2.log.n), 1);
  assert_int_equal(troupe_actor_resume(rt, b, 0), 0);
  assert_true(TU_WAIT(atomic_load(&s2.log.n) == 3));
  assert_int_equal(tu_log_get(&s2.log, 1).kind, TROUPE_MSG_RESUME);
  tu_entry e = tu_log_get(&s2.log, 2);
  assert_int_equal(e.kind, TROUPE_MSG_EXIT);
  assert_int_equal(e.reason, TROUPE_EXIT_SHUTDOWN);
  assert_string_equal(e.text, "bye");
  assert_true(troupe_actor_alive(rt, b));
  troupe_exit(rt, 0, b, TROUPE_EXIT_KILL, 0, NULL); /* it traps shutdown: spare stop's timeout */
  troupe_runtime_free(rt);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_suspend_then_resume),
      cmocka_unit_test(test_async_ask_wakes_suspended),
      cmocka_unit_test(test_yield),
      cmocka_unit_test(test_kill_suspended_and_deferred_exit),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
