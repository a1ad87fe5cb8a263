/*
 * tests/actor/test_timer.c: send_after delivers in deadline order, a cancelled timer
 * never fires (cancel after firing reports false), timers started inside an actor run
 * on its worker, and internal callback timers run on a worker thread. Under load (issue
 * #9): a due timer cuts a long turn short and the actor it wakes runs before the run
 * queue; a timer whose worker is stuck in a long handler is fired by another worker.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "actor/core.h"
#include "actor_util.h"

/* Order is a per-worker property (each worker fires its own heap in deadline order);
 * with one worker every timer is on the same heap. */
static void test_send_after_order(void **st) {
  (void)st;
  troupe_runtime *rt = tu_runtime(1);
  static tu_log log;
  tu_log_init(&log);
  troupe_actor_id id;
  assert_int_equal(troupe_spawn(rt, NULL, &tu_recorder, &log, NULL, &id, NULL), 0);
  const unsigned delays[] = {40, 10, 25, 1, 60};
  for (unsigned i = 0; i < 5; i++) {
    unsigned char b = (unsigned char)delays[i];
    troupe_send_args a = {.to = id, .data = &b, .len = 1};
    assert_int_equal(troupe_send_after(rt, &a, TROUPE_MS(delays[i]), NULL), 0);
  }
  assert_true(TU_WAIT(atomic_load(&log.n) == 5));
  const int expect[] = {1, 10, 25, 40, 60};
  for (int i = 0; i < 5; i++)
    assert_int_equal(tu_log_get(&log, i).byte, expect[i]);
  troupe_runtime_free(rt);
}

/* A timer's message carries the sender's corr (user and system lanes alike), so a
 * timer can end a troupe_actor_suspend_for wait. */
static void test_send_after_corr(void **st) {
  (void)st;
  troupe_runtime *rt = tu_runtime(1);
  static tu_log log;
  tu_log_init(&log);
  troupe_actor_id id;
  assert_int_equal(troupe_spawn(rt, NULL, &tu_recorder, &log, NULL, &id, NULL), 0);
  troupe_send_args a = {.to = id, .tag = 5, .corr = 0x1234};
  assert_int_equal(troupe_send_after(rt, &a, TROUPE_MS(1), NULL), 0);
  a.flags = TROUPE_SEND_SYSTEM;
  a.corr = 0x5678;
  assert_int_equal(troupe_send_after(rt, &a, TROUPE_MS(5), NULL), 0);
  assert_true(TU_WAIT(atomic_load(&log.n) == 2));
  /* both may come in one turn, the system lane's first: look for each */
  uint64_t c0 = tu_log_get(&log, 0).corr, c1 = tu_log_get(&log, 1).corr;
  assert_true((c0 == 0x1234 && c1 == 0x5678) || (c0 == 0x5678 && c1 == 0x1234));
  troupe_runtime_free(rt);
}

static void test_cancel(void **st) {
  (void)st;
  troupe_runtime *rt = tu_runtime(2);
  static tu_log log;
  tu_log_init(&log);
  troupe_actor_id id;
  assert_int_equal(troupe_spawn(rt, NULL, &tu_recorder, &log, NULL, &id, NULL), 0);
  troupe_send_args a = {.to = id, .data = "c", .len = 1};
  troupe_timer *t1, *t2;
  assert_int_equal(troupe_send_after(rt, &a, TROUPE_MS(20), &t1), 0);
  a.data = "f";
  assert_int_equal(troupe_send_after(rt, &a, TROUPE_MS(5), &t2), 0);
  assert_true(troupe_timer_cancel(t1));
  assert_true(TU_WAIT(atomic_load(&log.n) == 1));
  tu_sleep_ms(60);
  assert_int_equal(atomic_load(&log.n), 1);
  assert_int_equal(tu_log_get(&log, 0).byte, 'f');
  assert_false(troupe_timer_cancel(t2)); /* already fired */
  /* many cancelled timers: all released (ASan) and none fires */
  for (int i = 0; i < 1000; i++) {
    troupe_timer *t;
    assert_int_equal(troupe_send_after(rt, &a, TROUPE_MS(30), &t), 0);
    assert_true(troupe_timer_cancel(t));
  }
  /* a pending timer with a forgotten handle is released at free */
  troupe_timer *t3;
  assert_int_equal(troupe_send_after(rt, &a, TROUPE_SEC(3600), &t3), 0);
  troupe_timer_forget(t3);
  tu_sleep_ms(60);
  assert_int_equal(atomic_load(&log.n), 1);
  troupe_runtime_free(rt);
}

/* An actor arms a timer to itself on each tick until it has 5. */
static int ticker_handle(troupe_actor *self, const troupe_message *m, troupe_err *err) {
  tu_log *l = troupe_actor_state(self);
  tu_log_add(l, m);
  if (atomic_load(&l->n) < 5) {
    troupe_send_args a = {.from = troupe_self(self), .to = troupe_self(self), .tag = 9};
    return troupe_send_after(troupe_actor_runtime(self), &a, TROUPE_MS(2), NULL);
  }
  return TROUPE_CONTINUE;
}
static const troupe_behaviour ticker = {"ticker", NULL, ticker_handle, NULL};

static void test_timer_from_actor(void **st) {
  (void)st;
  troupe_runtime *rt = tu_runtime(1);
  static tu_log log;
  tu_log_init(&log);
  troupe_actor_id id;
  assert_int_equal(troupe_spawn(rt, NULL, &ticker, &log, NULL, &id, NULL), 0);
  assert_int_equal(troupe_send(rt, 0, id, "t", 1), 0);
  assert_true(TU_WAIT(atomic_load(&log.n) == 5));
  assert_int_equal(tu_log_get(&log, 4).tag, 9);
  troupe_runtime_free(rt);
}

static _Atomic int cb_on_worker, cb_ran, dtor_ran;
static troupe_runtime *cb_rt;
static void cb(troupe_runtime *rt, void *arg) {
  atomic_store(&cb_on_worker, trA_current_runtime() == cb_rt && rt == cb_rt);
  atomic_fetch_add(&cb_ran, 1);
}
static void dtor(troupe_runtime *rt, void *arg) { atomic_fetch_add(&dtor_ran, 1); }

static void test_internal_callback_timer(void **st) {
  (void)st;
  cb_rt = tu_runtime(2);
  troupe_timer *h;
  assert_int_equal(trA_timer_start(cb_rt, TROUPE_MS(1), cb, dtor, NULL, false, NULL), 0);
  assert_int_equal(trA_timer_start(cb_rt, TROUPE_SEC(100), cb, dtor, NULL, true, &h), 0);
  assert_true(TU_WAIT(atomic_load(&cb_ran) == 1));
  assert_true(atomic_load(&cb_on_worker));
  assert_true(trA_timer_cancel(h));
  troupe_runtime_free(cb_rt); /* the cancelled timer's dtor runs by now */
  assert_int_equal(atomic_load(&dtor_ran), 1);
  assert_int_equal(atomic_load(&cb_ran), 1);
}

/* One worker. A busy actor starts a 5 ms send_after to another actor, then handles 63
 * messages of 1 ms each in what would be a single turn (the batch is 64). The timer is
 * due long before the turn ends: the turn is cut within 16 messages and the woken actor
 * runs next, ahead of the busy one. Each handler sleeps at least 1 ms, so the order
 * below follows from the durations' lower bounds alone. */
typedef struct busy_pair {
  tu_log log; /* 'w' from the busy actor, the timer's byte 'T' from the target */
  troupe_actor_id target;
} busy_pair;

static int busy_handle(troupe_actor *self, const troupe_message *m, troupe_err *err) {
  (void)err;
  busy_pair *p = troupe_actor_state(self);
  troupe_runtime *rt = troupe_actor_runtime(self);
  if (m->kind != TROUPE_MSG_USER)
    return TROUPE_CONTINUE;
  if (m->len == 2 && memcmp(m->data, "go", 2) == 0) {
    troupe_send_args a = {.to = p->target, .data = "T", .len = 1};
    int rc = troupe_send_after(rt, &a, TROUPE_MS(5), NULL);
    for (int i = 0; i < 63 && !rc; i++) /* queued behind this message: the same turn */
      rc = troupe_send(rt, troupe_self(self), troupe_self(self), "w", 1);
    return rc;
  }
  tu_sleep_ms(1);
  tu_log_add(&p->log, m);
  return TROUPE_CONTINUE;
}
static const troupe_behaviour busy_b = {"busy", NULL, busy_handle, NULL};

static void test_due_timer_cuts_long_turn(void **st) {
  (void)st;
  troupe_runtime *rt = tu_runtime(1);
  static busy_pair p;
  memset(&p, 0, sizeof p);
  tu_log_init(&p.log);
  troupe_actor_id busy;
  assert_int_equal(troupe_spawn(rt, NULL, &tu_recorder, &p.log, NULL, &p.target, NULL), 0);
  assert_int_equal(troupe_spawn(rt, NULL, &busy_b, &p, NULL, &busy, NULL), 0);
  assert_int_equal(troupe_send(rt, 0, busy, "go", 2), 0);
  assert_true(TU_WAIT(atomic_load(&p.log.n) == 64));
  int works_before = -1;
  for (int i = 0, w = 0; i < 64; i++) {
    tu_entry e = tu_log_get(&p.log, i);
    if (e.byte == 'T') {
      works_before = w;
      break;
    }
    w++;
  }
  /* before: all 63 (the timer waited for the turn, then for the busy actor's next) */
  assert_true(works_before >= 0 && works_before <= 16);
  troupe_runtime_free(rt);
}

/* Two workers. A sleeper actor starts a 2 ms callback timer and then waits inside that
 * same handler (up to 10 s) until the timer has fired: its own worker cannot fire it.
 * A keeper actor keeps the other worker busy with short turns, so that worker, and not
 * a parked one, must notice the timer and fire it. Whichever worker the sleeper lands
 * on, the keeper runs on the other one. */
typedef struct stuck {
  _Atomic int fired_on;   /* worker index + 1 of the callback, 0: not yet */
  _Atomic int slept_on;   /* worker index + 1 of the sleeper */
  _Atomic bool fired_in_time, stop_keeper;
  _Atomic int done;
} stuck;

static void stuck_cb(troupe_runtime *rt, void *arg) {
  (void)rt;
  stuck *s = arg;
  atomic_store(&s->fired_on, (int)trA_tls_worker->index + 1);
}

static int sleeper_handle(troupe_actor *self, const troupe_message *m, troupe_err *err) {
  (void)err;
  stuck *s = troupe_actor_state(self);
  if (m->kind != TROUPE_MSG_USER)
    return TROUPE_CONTINUE;
  atomic_store(&s->slept_on, (int)trA_tls_worker->index + 1);
  int rc = trA_timer_start(troupe_actor_runtime(self), TROUPE_MS(2), stuck_cb, NULL, s, false,
                           NULL);
  uint64_t end = troupe_clock_mono_ns() + TROUPE_SEC(10);
  while (!rc && !atomic_load(&s->fired_on) && troupe_clock_mono_ns() < end)
    tu_sleep_ms(1);
  atomic_store(&s->fired_in_time, atomic_load(&s->fired_on) != 0);
  atomic_store(&s->done, 1);
  return rc;
}
static const troupe_behaviour sleeper_b = {"sleeper", NULL, sleeper_handle, NULL};

static int keeper_handle(troupe_actor *self, const troupe_message *m, troupe_err *err) {
  (void)err;
  stuck *s = troupe_actor_state(self);
  if (m->kind != TROUPE_MSG_USER || atomic_load(&s->stop_keeper))
    return TROUPE_CONTINUE;
  uint64_t end = troupe_clock_mono_ns() + 200000; /* 200 us of work per message */
  while (troupe_clock_mono_ns() < end)
    ;
  return troupe_send(troupe_actor_runtime(self), troupe_self(self), troupe_self(self), "k", 1);
}
static const troupe_behaviour keeper_b = {"keeper", NULL, keeper_handle, NULL};

static void test_timer_of_blocked_worker_fires(void **st) {
  (void)st;
  troupe_runtime *rt = tu_runtime(2);
  static stuck s;
  memset(&s, 0, sizeof s);
  troupe_actor_id keeper, sleeper;
  assert_int_equal(troupe_spawn(rt, NULL, &keeper_b, &s, NULL, &keeper, NULL), 0);
  assert_int_equal(troupe_send(rt, 0, keeper, "k", 1), 0);
  assert_int_equal(troupe_spawn(rt, NULL, &sleeper_b, &s, NULL, &sleeper, NULL), 0);
  assert_int_equal(troupe_send(rt, 0, sleeper, "s", 1), 0);
  assert_true(TU_WAIT(atomic_load(&s.done)));
  atomic_store(&s.stop_keeper, true);
  /* before: the timer waited for its worker, i.e. for the sleeper's 10 s to run out */
  assert_true(atomic_load(&s.fired_in_time));
  assert_int_not_equal(atomic_load(&s.fired_on), atomic_load(&s.slept_on));
  troupe_runtime_free(rt);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_send_after_order),
      cmocka_unit_test(test_send_after_corr),
      cmocka_unit_test(test_cancel),
      cmocka_unit_test(test_timer_from_actor),
      cmocka_unit_test(test_internal_callback_timer),
      cmocka_unit_test(test_due_timer_cuts_long_turn),
      cmocka_unit_test(test_timer_of_blocked_worker_fires),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
