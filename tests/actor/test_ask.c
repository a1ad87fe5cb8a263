/*
 * tests/actor/test_ask.c: ask/reply. A blocking ask from a foreign thread gets its
 * reply; one that times out gets TIMEOUT and the late reply is dropped and counted,
 * never delivered to the next ask; a reply made after the deadline is a timeout even
 * before the timeout has fired; an ask to an actor that dies unanswered fails with
 * NOT_RUNNING; actors use async asks (REPLY or ASK_FAILED message).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "actor_util.h"

/* Echo: answers asks at once with the request bytes, except "hold" (remembers the
 * corr), "late" (answers the remembered corr with "old"), "die" (stops unanswered). */
typedef struct echo {
  uint64_t held;
  _Atomic int late_rc;
} echo;

static int echo_handle(troupe_actor *self, const troupe_message *m, troupe_err *err) {
  echo *e = troupe_actor_state(self);
  troupe_runtime *rt = troupe_actor_runtime(self);
  if (m->kind == TROUPE_MSG_ASK) {
    if (m->len == 4 && memcmp(m->data, "hold", 4) == 0) {
      e->held = m->corr;
      return TROUPE_CONTINUE;
    }
    if (m->len == 3 && memcmp(m->data, "die", 3) == 0)
      return TROUPE_STOP;
    troupe_reply(rt, troupe_self(self), m->corr, m->data, m->len);
  } else if (m->kind == TROUPE_MSG_USER && m->len == 4 && memcmp(m->data, "late", 4) == 0) {
    atomic_store(&e->late_rc, troupe_reply(rt, troupe_self(self), e->held, "old", 3) + 1000);
  }
  return TROUPE_CONTINUE;
}
static const troupe_behaviour echo_b = {"echo", NULL, echo_handle, NULL};

static void test_blocking_ask(void **st) {
  (void)st;
  troupe_runtime *rt = tu_runtime(2);
  static echo e;
  troupe_actor_id id;
  assert_int_equal(troupe_spawn(rt, NULL, &echo_b, &e, NULL, &id, NULL), 0);
  for (int i = 0; i < 100; i++) {
    troupe_reply_msg r;
    char q[16];
    int n = snprintf(q, sizeof q, "q%d", i);
    assert_int_equal(troupe_ask(rt, id, 0, q, (size_t)n, TROUPE_SEC(10), &r, NULL), 0);
    assert_int_equal(r.len, (size_t)n);
    assert_memory_equal(r.data, q, (size_t)n);
    assert_int_equal(r.from, id);
    troupe_reply_free(&r);
  }
  troupe_runtime_stats s;
  troupe_runtime_stats_get(rt, &s);
  assert_int_equal(s.asks, 100);
  assert_int_equal(s.replies, 100);
  troupe_runtime_free(rt);
}

static void test_timeout_and_late_reply(void **st) {
  (void)st;
  troupe_runtime *rt = tu_runtime(2);
  static echo e;
  atomic_store(&e.late_rc, 0);
  troupe_actor_id id;
  assert_int_equal(troupe_spawn(rt, NULL, &echo_b, &e, NULL, &id, NULL), 0);
  troupe_reply_msg r;
  troupe_err err;
  assert_int_equal(troupe_ask(rt, id, 0, "hold", 4, TROUPE_MS(30), &r, &err), TROUPE_E_TIMEOUT);
  assert_null(r.data);
  /* the late reply fails and is counted, and does not reach the next ask (which reuses
   * the same ask record with a new generation) */
  assert_int_equal(troupe_send(rt, 0, id, "late", 4), 0);
  assert_true(TU_WAIT(atomic_load(&e.late_rc) != 0));
  assert_int_equal(atomic_load(&e.late_rc) - 1000, TROUPE_E_TIMEOUT);
  assert_int_equal(troupe_ask(rt, id, 0, "new", 3, TROUPE_SEC(10), &r, NULL), 0);
  assert_memory_equal(r.data, "new", 3);
  troupe_reply_free(&r);
  troupe_runtime_stats s;
  troupe_runtime_stats_get(rt, &s);
  assert_int_equal(s.ask_timeouts, 1);
  assert_int_equal(s.late_replies, 1);
  assert_int_equal(s.replies, 1);
  troupe_runtime_free(rt);
}

static void test_ask_dead_or_dying(void **st) {
  (void)st;
  troupe_runtime *rt = tu_runtime(2);
  static echo e;
  troupe_actor_id id;
  assert_int_equal(troupe_spawn(rt, NULL, &echo_b, &e, NULL, &id, NULL), 0);
  troupe_reply_msg r;
  /* dies while holding our ask: NOT_RUNNING, long before the 60 s timeout */
  assert_int_equal(troupe_ask(rt, id, 0, "die", 3, TROUPE_SEC(60), &r, NULL), TROUPE_E_NOT_RUNNING);
  assert_true(TU_WAIT(tu_dead(rt, id)));
  assert_int_equal(troupe_ask(rt, id, 0, "x", 1, TROUPE_SEC(1), &r, NULL), TROUPE_E_NOTFOUND);
  troupe_runtime_free(rt);
}

/* Async asks from an actor; and a blocking ask on a worker is refused. */
typedef struct asker {
  tu_log log;
  troupe_actor_id echo, silent;
  _Atomic int blocking_rc;
  uint64_t c1, c2;
} asker;

static int asker_handle(troupe_actor *self, const troupe_message *m, troupe_err *err) {
  asker *a = troupe_actor_state(self);
  tu_log_add(&a->log, m);
  if (m->kind == TROUPE_MSG_USER) {
    troupe_reply_msg r;
    atomic_store(&a->blocking_rc,
                 troupe_ask(troupe_actor_runtime(self), a->echo, 0, "x", 1, TROUPE_MS(10), &r, NULL));
    int rc = troupe_ask_async(self, a->echo, 3, "hi", 2, TROUPE_SEC(10), &a->c1, err);
    if (rc)
      return rc;
    return troupe_ask_async(self, a->silent, 4, "hi", 2, TROUPE_MS(20), &a->c2, err);
  }
  return TROUPE_CONTINUE;
}
static const troupe_behaviour asker_b = {"asker", NULL, asker_handle, NULL};

static void test_async_ask(void **st) {
  (void)st;
  troupe_runtime *rt = tu_runtime(2);
  static echo e1, e2;
  static asker a;
  memset(&a, 0, sizeof a);
  tu_log_init(&a.log);
  assert_int_equal(troupe_spawn(rt, NULL, &echo_b, &e1, NULL, &a.echo, NULL), 0);
  assert_int_equal(troupe_spawn(rt, NULL, &tu_recorder, &e2, NULL, &a.silent, NULL), 0);
  static tu_log silent_log; /* the recorder needs a log as state */
  tu_log_init(&silent_log);
  troupe_actor_id s2;
  assert_int_equal(troupe_spawn(rt, NULL, &tu_recorder, &silent_log, NULL, &s2, NULL), 0);
  a.silent = s2;
  troupe_actor_id id;
  assert_int_equal(troupe_spawn(rt, NULL, &asker_b, &a, NULL, &id, NULL), 0);
  assert_int_equal(troupe_send(rt, 0, id, "go", 2), 0);
  assert_true(TU_WAIT(atomic_load(&a.log.n) == 3));
  assert_int_equal(atomic_load(&a.blocking_rc), TROUPE_E_STATE);
  bool got_reply = false, got_timeout = false;
  for (int i = 1; i < 3; i++) {
    tu_entry x = tu_log_get(&a.log, i);
    if (x.kind == TROUPE_MSG_REPLY) {
      got_reply = x.corr == a.c1 && x.byte == 'h';
    } else if (x.kind == TROUPE_MSG_ASK_FAILED) {
      got_timeout = x.corr == a.c2 && x.status == TROUPE_E_TIMEOUT;
    }
  }
  assert_true(got_reply);
  assert_true(got_timeout);
  troupe_runtime_free(rt);
}

/* A reply made after the ask's deadline is a timeout even when the timeout has not run
 * yet. One worker, and the responder sleeps past the deadline inside its handler before
 * replying, so the timer (on that same worker) cannot have fired: the deadline check
 * where the reply meets the ask is all that decides. The asker gets ASK_FAILED with
 * TIMEOUT (never the REPLY), troupe_reply returns TIMEOUT, the reply counts as late. */
typedef struct late_pair {
  troupe_actor_id responder;
  uint64_t corr;
  _Atomic int reply_rc; /* troupe_reply's result + 1000 (0: not yet) */
  tu_log log;           /* what the asker got */
} late_pair;

static int sleepy_handle(troupe_actor *self, const troupe_message *m, troupe_err *err) {
  (void)err;
  late_pair *p = troupe_actor_state(self);
  if (m->kind != TROUPE_MSG_ASK)
    return TROUPE_CONTINUE;
  tu_sleep_ms(60); /* the deadline is 20 ms after the ask */
  atomic_store(&p->reply_rc,
               troupe_reply(troupe_actor_runtime(self), troupe_self(self), m->corr, "y", 1) +
                   1000);
  return TROUPE_CONTINUE;
}
static const troupe_behaviour sleepy_b = {"sleepy", NULL, sleepy_handle, NULL};

static int late_asker_handle(troupe_actor *self, const troupe_message *m, troupe_err *err) {
  late_pair *p = troupe_actor_state(self);
  if (m->kind == TROUPE_MSG_USER)
    return troupe_ask_async(self, p->responder, 0, "q", 1, TROUPE_MS(20), &p->corr, err);
  tu_log_add(&p->log, m);
  return TROUPE_CONTINUE;
}
static const troupe_behaviour late_asker_b = {"late-asker", NULL, late_asker_handle, NULL};

static void test_reply_after_deadline_is_timeout(void **st) {
  (void)st;
  troupe_runtime *rt = tu_runtime(1);
  static late_pair p;
  memset(&p, 0, sizeof p);
  tu_log_init(&p.log);
  troupe_actor_id asker_id;
  assert_int_equal(troupe_spawn(rt, NULL, &sleepy_b, &p, NULL, &p.responder, NULL), 0);
  assert_int_equal(troupe_spawn(rt, NULL, &late_asker_b, &p, NULL, &asker_id, NULL), 0);
  assert_int_equal(troupe_send(rt, 0, asker_id, "go", 2), 0);
  assert_true(TU_WAIT(atomic_load(&p.log.n) == 1 && atomic_load(&p.reply_rc) != 0));
  tu_entry got = tu_log_get(&p.log, 0);
  assert_int_equal(got.kind, TROUPE_MSG_ASK_FAILED);
  assert_int_equal(got.status, TROUPE_E_TIMEOUT);
  assert_true(got.corr == p.corr);
  assert_int_equal(atomic_load(&p.reply_rc) - 1000, TROUPE_E_TIMEOUT);
  tu_sleep_ms(50); /* the timer's own deadline passes too: it must not add a second end */
  assert_int_equal(atomic_load(&p.log.n), 1);
  troupe_runtime_stats s;
  troupe_runtime_stats_get(rt, &s);
  assert_int_equal(s.asks, 1);
  assert_int_equal(s.replies, 0);
  assert_int_equal(s.ask_timeouts, 1);
  assert_int_equal(s.late_replies, 1);
  troupe_runtime_free(rt);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_blocking_ask),
      cmocka_unit_test(test_timeout_and_late_reply),
      cmocka_unit_test(test_reply_after_deadline_is_timeout),
      cmocka_unit_test(test_ask_dead_or_dying),
      cmocka_unit_test(test_async_ask),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
