/*
 * tests/actor/test_kill_order.c: troupe_exit(KILL) and what is sent after it. Once the
 * call returns the target counts as dead to everyone: troupe_actor_alive is false and
 * sends, signals and further kills to it are refused, so it never handles anything sent
 * after the kill (OTP: the kill from A arrives before A's later message); it still dies
 * of the kill, and a kill through a stale id dooms no later actor of the slot. Drop hooks
 * see exactly the accepted messages the runtime discards unhandled, each once.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "actor/core.h"
#include "actor_util.h"

/* ---- a counting actor (payload "stop" stops it) ------------------------------------ */
static _Atomic int last_reason = -1;

static int count_handle(troupe_actor *self, const troupe_message *m, troupe_err *err) {
  (void)err;
  atomic_fetch_add((_Atomic int *)troupe_actor_state(self), 1);
  if (m->kind == TROUPE_MSG_USER && m->len == 4 && memcmp(m->data, "stop", 4) == 0)
    return TROUPE_STOP;
  return TROUPE_CONTINUE;
}
static void count_terminate(troupe_actor *self, const troupe_exit_reason *why) {
  (void)self;
  atomic_store(&last_reason, (int)why->kind);
}
static const troupe_behaviour counting = {"counting", NULL, count_handle, count_terminate};

static int sleep_init(troupe_actor *self, void *arg, troupe_err *err) {
  (void)self, (void)arg, (void)err;
  return TROUPE_SUSPEND; /* everything sent waits in the deferred list */
}
static const troupe_behaviour sleeper = {"sleeper", sleep_init, count_handle, NULL};

static _Atomic int released;
static void on_release(void *user, const void *data, size_t len) {
  (void)user, (void)data, (void)len;
  atomic_fetch_add(&released, 1);
}

/* ---- nothing sent after the kill is accepted ---------------------------------------- */
static void test_nothing_after_kill(void **st) {
  (void)st;
  troupe_runtime *rt = tu_runtime(2);
  assert_non_null(rt);
  static _Atomic int n[400];
  for (int i = 0; i < 400; i++) {
    troupe_actor_id a;
    assert_int_equal(troupe_spawn(rt, NULL, &counting, &n[i], NULL, &a, NULL), 0);
    for (int k = 0; k < 3; k++) /* before the kill: may or may not be handled */
      assert_int_equal(troupe_send(rt, 0, a, "x", 1), 0);
    assert_int_equal(troupe_exit(rt, 0, a, TROUPE_EXIT_KILL, 0, "test"), 0);
    /* from here on, for anyone: */
    assert_false(troupe_actor_alive(rt, a));
    assert_int_equal(troupe_send(rt, 0, a, "late", 4), TROUPE_E_NOTFOUND);
    atomic_store(&released, 0);
    troupe_send_args sa = {.to = a, .data = "late", .len = 4, .release = on_release};
    assert_int_equal(troupe_send_ex(rt, &sa), TROUPE_E_NOTFOUND);
    assert_int_equal(atomic_load(&released), 1); /* refused, released at once */
    assert_int_equal(troupe_exit(rt, 0, a, TROUPE_EXIT_SHUTDOWN, 0, NULL), TROUPE_E_NOTFOUND);
    assert_int_equal(troupe_exit(rt, 0, a, TROUPE_EXIT_KILL, 0, NULL), TROUPE_E_NOTFOUND);
    assert_true(TU_WAIT(tu_dead(rt, a)));
    assert_true(atomic_load(&n[i]) <= 3);
    assert_int_equal(atomic_load(&last_reason), TROUPE_EXIT_KILLED); /* still the kill */
    atomic_store(&last_reason, -1);
  }
  /* A kill through a stale id dooms no later actor of the slot. The slot of the last
   * actor is free and the next spawn takes it, with a newer generation. */
  troupe_actor_id old = 0, b;
  static _Atomic int nb;
  assert_int_equal(troupe_spawn(rt, NULL, &counting, &nb, NULL, &old, NULL), 0);
  assert_int_equal(troupe_send(rt, 0, old, "stop", 4), 0);
  assert_true(TU_WAIT(tu_dead(rt, old)));
  assert_int_equal(troupe_spawn(rt, NULL, &counting, &nb, NULL, &b, NULL), 0);
  assert_int_equal(TRA_ID_IDX(b), TRA_ID_IDX(old));
  assert_int_equal(troupe_exit(rt, 0, old, TROUPE_EXIT_KILL, 0, NULL), TROUPE_E_NOTFOUND);
  assert_true(troupe_actor_alive(rt, b));
  assert_int_equal(troupe_send(rt, 0, b, "x", 1), 0);
  assert_true(TU_WAIT(atomic_load(&nb) == 2));
  /* every message accepted was handled or dropped, none lost */
  assert_int_equal(troupe_runtime_stop(rt, NULL), 0);
  troupe_runtime_stats s;
  troupe_runtime_stats_get(rt, &s);
  assert_int_equal(s.msgs_sent, s.msgs_received + s.msgs_dropped);
  troupe_runtime_free(rt);
}

/* ---- drop hooks -------------------------------------------------------------------- */
typedef struct drops {
  _Atomic int all, mine; /* mine: borrowed with on_release and tag 77 */
  _Atomic int released_first; /* a hook found its message already released */
  _Atomic troupe_actor_id last_to;
} drops;

/* Runs on a worker: records, the test thread asserts. */
static void on_drop(troupe_runtime *rt, const trA_dropped *d, void *user) {
  (void)rt;
  drops *k = user;
  atomic_fetch_add(&k->all, 1);
  if (d->release == on_release && d->tag == 77) {
    if (atomic_load(&released) != atomic_load(&k->mine)) /* one release per earlier drop */
      atomic_store(&k->released_first, 1);
    atomic_fetch_add(&k->mine, 1);
    atomic_store(&k->last_to, d->to);
  }
}

static void nop_drop(troupe_runtime *rt, const trA_dropped *d, void *user) {
  (void)rt, (void)d, (void)user;
}

static void test_drop_hooks(void **st) {
  (void)st;
  troupe_runtime *rt = tu_runtime(2);
  static drops k;
  memset(&k, 0, sizeof k);
  atomic_store(&released, 0);
  assert_int_equal(trA_runtime_on_drop(rt, on_drop, &k), 0);
  assert_int_equal(trA_runtime_on_drop(rt, on_drop, &k), 0); /* the same pair: once */
  static char users[TRA_DROP_HOOKS_MAX];
  for (int i = 1; i < TRA_DROP_HOOKS_MAX; i++)
    assert_int_equal(trA_runtime_on_drop(rt, nop_drop, &users[i]), 0);
  assert_int_equal(trA_runtime_on_drop(rt, nop_drop, &users[0]), TROUPE_E_RANGE);

  /* handled messages are not drops */
  static _Atomic int handled;
  troupe_actor_id a;
  assert_int_equal(troupe_spawn(rt, NULL, &counting, &handled, NULL, &a, NULL), 0);
  for (int i = 0; i < 10; i++)
    assert_int_equal(troupe_send(rt, 0, a, "x", 1), 0);
  assert_int_equal(troupe_send(rt, 0, a, "stop", 4), 0);
  assert_true(TU_WAIT(tu_dead(rt, a)));
  assert_int_equal(atomic_load(&handled), 11);
  assert_int_equal(atomic_load(&k.all), 0);

  /* accepted, then discarded when the actor dies: each one reported once */
  static _Atomic int asleep;
  troupe_actor_id s;
  assert_int_equal(troupe_spawn(rt, NULL, &sleeper, &asleep, NULL, &s, NULL), 0);
  static const char borrowed[8] = "payload";
  for (int i = 0; i < 5; i++) {
    troupe_send_args sa = {.to = s, .tag = 77, .data = borrowed, .len = sizeof borrowed,
                           .release = on_release};
    assert_int_equal(troupe_send_ex(rt, &sa), 0);
  }
  for (int i = 0; i < 3; i++)
    assert_int_equal(troupe_send(rt, 0, s, "copied", 6), 0);
  /* the deferred messages wait: nothing reported while the actor lives */
  tu_sleep_ms(20);
  assert_int_equal(atomic_load(&k.all), 0);
  assert_int_equal(troupe_exit(rt, 0, s, TROUPE_EXIT_KILL, 0, NULL), 0);
  assert_true(TU_WAIT(tu_dead(rt, s)));
  assert_true(TU_WAIT(atomic_load(&k.all) == 8));
  assert_int_equal(atomic_load(&k.mine), 5);
  assert_int_equal(atomic_load(&k.last_to), s);
  assert_int_equal(atomic_load(&released), 5);
  assert_int_equal(atomic_load(&k.released_first), 0); /* told before the release */
  assert_int_equal(atomic_load(&asleep), 0);
  assert_int_equal(troupe_runtime_stop(rt, NULL), 0);
  troupe_runtime_stats rs;
  troupe_runtime_stats_get(rt, &rs);
  assert_int_equal(rs.msgs_dropped, (uint64_t)atomic_load(&k.all)); /* the same set */
  troupe_runtime_free(rt);
}

/* ---- a killed actor's name resolves no more ---------------------------------------- */
/* The name must resolve only to an actor that can receive: once troupe_exit(KILL)
 * returns, the incarnation refuses every send, so the lookup must not hand it out, even
 * while the death itself (which removes the entry) has not run yet. A suspended target
 * keeps the death pending as long as possible: the kill waits in its queue. */
static void test_name_gone_after_kill(void **st) {
  (void)st;
  troupe_runtime *rt = tu_runtime(2);
  assert_non_null(rt);
  static _Atomic int n;
  for (int i = 0; i < 200; i++) {
    troupe_spawn_opts o = {.name = "victim"};
    troupe_actor_id a, found = 0;
    assert_int_equal(troupe_spawn(rt, NULL, i % 2 ? &sleeper : &counting, &n, &o, &a, NULL), 0);
    assert_true(TU_WAIT(troupe_registry_lookup(rt, "victim", &found) == TROUPE_OK));
    assert_int_equal(found, a);
    assert_int_equal(troupe_exit(rt, 0, a, TROUPE_EXIT_KILL, 0, "test"), 0);
    assert_int_equal(troupe_registry_lookup(rt, "victim", &found), TROUPE_E_NOTFOUND);
    assert_true(TU_WAIT(tu_dead(rt, a)));
  }
  assert_int_equal(troupe_runtime_stop(rt, NULL), 0);
  troupe_runtime_free(rt);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_nothing_after_kill),
      cmocka_unit_test(test_drop_hooks),
      cmocka_unit_test(test_name_gone_after_kill),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
