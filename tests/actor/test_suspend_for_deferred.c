/*
 * tests/actor/test_suspend_for_deferred.c: troupe_actor_suspend_for and the messages it
 * defers (include/troupe/actor.h): while an actor waits for one correlation id, every
 * other message -- RESUME included -- stays deferred in order; the awaited one wakes it
 * whatever its lane; a message with the id of a later wait, already deferred, is
 * delivered at once when the actor then waits for it; and after the waits the deferred
 * messages come, those of one lane in their original order. corr 0 is refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "actor_util.h"

#define FIRST 1001u
#define SECOND 2002u

typedef struct waiter {
  tu_log log;
  _Atomic int zero_rc;
} waiter;

/* "g": wait for FIRST. FIRST: wait for SECOND. Anything else: carry on. */
static int w_handle(troupe_actor *self, const troupe_message *m, troupe_err *err) {
  (void)err;
  waiter *w = troupe_actor_state(self);
  tu_log_add(&w->log, m);
  if (m->kind == TROUPE_MSG_USER && m->len == 1 && *(const char *)m->data == 'g') {
    atomic_store(&w->zero_rc, troupe_actor_suspend_for(self, 0));
    int rc = troupe_actor_suspend_for(self, FIRST);
    return rc ? rc : TROUPE_SUSPEND;
  }
  if (m->corr == FIRST) {
    int rc = troupe_actor_suspend_for(self, SECOND);
    return rc ? rc : TROUPE_SUSPEND;
  }
  return TROUPE_CONTINUE;
}
static const troupe_behaviour waiter_b = {"waiter", NULL, w_handle, NULL};

static int send_corr(troupe_runtime *rt, troupe_actor_id to, char byte, uint64_t corr,
                     unsigned flags) {
  troupe_send_args a = {.to = to, .data = &byte, .len = 1, .corr = corr, .flags = flags};
  return troupe_send_ex(rt, &a);
}

static void test_deferred_message_for_a_later_wait(void **st) {
  (void)st;
  troupe_runtime *rt = tu_runtime(2);
  assert_non_null(rt);
  waiter w;
  memset(&w, 0, sizeof w);
  tu_log_init(&w.log);
  atomic_store(&w.zero_rc, 1);
  troupe_actor_id id = 0;
  troupe_err err;
  assert_int_equal(troupe_spawn(rt, NULL, &waiter_b, &w, NULL, &id, &err), 0);

  assert_int_equal(troupe_send(rt, 0, id, "g", 1), 0);
  assert_true(TU_WAIT(atomic_load(&w.log.n) == 1)); /* it is waiting for FIRST now */
  assert_int_equal(atomic_load(&w.zero_rc), TROUPE_E_INVAL);
  /* all deferred: a plain message, the answer to the wait that comes next, a RESUME */
  assert_int_equal(troupe_send(rt, 0, id, "x", 1), 0);
  assert_int_equal(send_corr(rt, id, 's', SECOND, 0), 0);
  assert_int_equal(troupe_actor_resume(rt, id, 7), 0);
  assert_int_equal(troupe_send(rt, 0, id, "y", 1), 0);
  tu_sleep_ms(20); /* not a timing assertion: only gives a wrong wake-up its chance */
  assert_int_equal(atomic_load(&w.log.n), 1);
  /* the awaited one, on the priority lane, behind all of them */
  assert_int_equal(send_corr(rt, id, 'f', FIRST, TROUPE_SEND_SYSTEM), 0);

  assert_true(TU_WAIT(atomic_load(&w.log.n) == 6));
  tu_entry e[6];
  for (int i = 0; i < 6; i++)
    e[i] = tu_log_get(&w.log, i);
  assert_int_equal(e[0].byte, 'g');
  assert_int_equal(e[1].corr, FIRST);  /* woke the first wait */
  assert_int_equal(e[1].byte, 'f');
  assert_int_equal(e[2].corr, SECOND); /* already deferred: delivered at once */
  assert_int_equal(e[2].byte, 's');
  /* then the rest: the plain messages in the order they came; the RESUME, from the
   * priority lane, among them (lanes are not ordered with each other) */
  int x = -1, y = -1, resume = -1;
  for (int i = 3; i < 6; i++) {
    if (e[i].kind == TROUPE_MSG_RESUME && e[i].tag == 7)
      resume = i;
    else if (e[i].byte == 'x')
      x = i;
    else if (e[i].byte == 'y')
      y = i;
  }
  assert_true(x >= 0 && y >= 0 && resume >= 0);
  assert_true(x < y);
  tu_sleep_ms(20);
  assert_int_equal(atomic_load(&w.log.n), 6);

  assert_int_equal(troupe_runtime_stop(rt, NULL), 0);
  troupe_runtime_free(rt);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_deferred_message_for_a_later_wait),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
