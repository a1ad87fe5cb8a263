/*
 * tests/actor/test_registry_churn.c: a name resolves only to an actor that can receive,
 * and stops resolving no later than its actor stops receiving (issue #9). A watcher
 * actor keeps one actor registered as "churn" alive the way a supervisor does: it
 * monitors it and, on DOWN, spawns the next incarnation under the same name. Each
 * incarnation crashes on the first message it handles. Foreign threads look the name up
 * and send to what they found, as fast as they can (a send reaches the actor when it
 * returns OK or MAILBOX_FULL: the mailbox is bounded), until the watcher has restarted the
 * actor TROUPE_CHURN_RESTARTS times (default 2,000).
 *
 * The exact check: every incarnation stores its generation into `dying[slot]` at the
 * start of its death (terminate runs before the slot is marked DEAD, and the slot's
 * generations only grow). A send that fails with NOTFOUND read the slot's gen_state
 * past ALIVE; what it read was released after `dying` was written, so `dying[slot] >=
 * gen` is visible to the sender — unless the slot was never ALIVE for that generation
 * yet, i.e. the lookup handed out an id before its spawn published it. And once a send
 * has failed that way, a later lookup must not return the same id again (the name
 * outliving its actor).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>

#include "actor/core.h"
#include "actor_util.h"

#define NAME "churn"
#define LOOKERS 2
#define SLOTS 1024

static _Atomic uint32_t dying[SLOTS]; /* the last generation that began to die, per slot */
static _Atomic uint32_t restarts, target_restarts, spawn_errors;
static _Atomic bool done;
static _Atomic uint64_t sends_ok, sends_dead, unpublished, outlived, other_errors;
static _Atomic uint64_t bad_id;

static int child_handle(troupe_actor *self, const troupe_message *m, troupe_err *err) {
  (void)self;
  if (m->kind != TROUPE_MSG_USER)
    return TROUPE_CONTINUE;
  return troupe_err_set(err, TROUPE_E_INTERNAL, "crash on the first message");
}

static void child_terminate(troupe_actor *self, const troupe_exit_reason *why) {
  (void)why;
  troupe_actor_id me = troupe_self(self);
  if (TRA_ID_IDX(me) >= SLOTS) { /* no cmocka assert off the test's thread */
    atomic_fetch_add(&other_errors, 1);
    return;
  }
  /* Release: published to senders through the death's later stores of gen_state. */
  atomic_store_explicit(&dying[TRA_ID_IDX(me)], TRA_ID_GEN(me), memory_order_release);
}

static const troupe_behaviour child_b = {"churn-child", NULL, child_handle, child_terminate};

static int spawn_child(troupe_actor *self) {
  uint64_t ref;
  /* Bounded: senders that outrun the crash fill a few places and then get MAILBOX_FULL
   * (which, like OK, means the send reached a live incarnation) instead of queueing
   * millions of nodes for the dead. */
  troupe_spawn_opts o = {.name = NAME, .flags = TROUPE_SPAWN_MONITOR, .monitor_ref = &ref,
                         .mailbox_bound = 8};
  troupe_actor_id id;
  int rc = troupe_spawn(troupe_actor_runtime(self), self, &child_b, NULL, &o, &id, NULL);
  if (rc)
    atomic_fetch_add(&spawn_errors, 1);
  return rc;
}

static int watcher_init(troupe_actor *self, void *arg, troupe_err *err) {
  (void)arg;
  (void)err;
  return spawn_child(self);
}

static int watcher_handle(troupe_actor *self, const troupe_message *m, troupe_err *err) {
  (void)err;
  if (m->kind != TROUPE_MSG_DOWN)
    return TROUPE_CONTINUE;
  if (atomic_fetch_add(&restarts, 1) + 1 >= atomic_load(&target_restarts)) {
    atomic_store(&done, true);
    return TROUPE_CONTINUE;
  }
  spawn_child(self); /* the dead child's name was removed before its DOWN was sent */
  return TROUPE_CONTINUE;
}

static const troupe_behaviour watcher_b = {"churn-watcher", watcher_init, watcher_handle, NULL};

static void *looker(void *arg) {
  troupe_runtime *rt = arg;
  while (!atomic_load_explicit(&done, memory_order_relaxed)) {
    troupe_actor_id x;
    if (troupe_registry_lookup(rt, NAME, &x) != TROUPE_OK)
      continue; /* between incarnations */
    int rc = troupe_send(rt, 0, x, "x", 1);
    if (rc == TROUPE_OK || rc == TROUPE_E_MAILBOX_FULL) {
      atomic_fetch_add_explicit(&sends_ok, 1, memory_order_relaxed);
      continue;
    }
    if (rc != TROUPE_E_NOTFOUND) {
      atomic_fetch_add(&other_errors, 1);
      continue;
    }
    /* Acquire: pairs with child_terminate's release (through the death's stores). */
    if (atomic_load_explicit(&dying[TRA_ID_IDX(x)], memory_order_acquire) < TRA_ID_GEN(x)) {
      atomic_fetch_add(&unpublished, 1);
      atomic_store(&bad_id, x);
      continue;
    }
    atomic_fetch_add_explicit(&sends_dead, 1, memory_order_relaxed);
    troupe_actor_id again;
    if (troupe_registry_lookup(rt, NAME, &again) == TROUPE_OK && again == x) {
      atomic_fetch_add(&outlived, 1);
      atomic_store(&bad_id, x);
    }
  }
  return NULL;
}

static void test_name_resolves_only_to_receivers(void **st) {
  (void)st;
  const char *env = getenv("TROUPE_CHURN_RESTARTS");
  atomic_store(&target_restarts, env ? (uint32_t)strtoul(env, NULL, 10) : 2000u);
  troupe_runtime *rt = tu_runtime(2);
  assert_non_null(rt);
  pthread_t th[LOOKERS];
  for (int i = 0; i < LOOKERS; i++)
    assert_int_equal(pthread_create(&th[i], NULL, looker, rt), 0);
  troupe_actor_id w;
  assert_int_equal(troupe_spawn(rt, NULL, &watcher_b, NULL, NULL, &w, NULL), 0);
  /* A generous bound (the run takes well under a second unsanitized). */
  uint64_t deadline = troupe_clock_mono_ns() + TROUPE_SEC(120);
  while (!atomic_load(&done) && troupe_clock_mono_ns() < deadline)
    tu_sleep_ms(5);
  bool finished = atomic_load(&done);
  atomic_store(&done, true);
  for (int i = 0; i < LOOKERS; i++)
    pthread_join(th[i], NULL);
  troupe_runtime_free(rt);
  char buf[TROUPE_ID_FORMAT_MAX];
  fprintf(stderr,
          "churn: %u restarts, sends ok %llu, to a dying incarnation %llu; unpublished ids "
          "%llu, names outliving their actor %llu (last bad id %s)\n",
          atomic_load(&restarts), (unsigned long long)atomic_load(&sends_ok),
          (unsigned long long)atomic_load(&sends_dead),
          (unsigned long long)atomic_load(&unpublished),
          (unsigned long long)atomic_load(&outlived),
          troupe_id_format(atomic_load(&bad_id), buf, sizeof buf));
  assert_true(finished);
  assert_int_equal(atomic_load(&spawn_errors), 0);
  assert_int_equal(atomic_load(&other_errors), 0);
  /* A lookup returned an id no send could reach yet. */
  assert_int_equal(atomic_load(&unpublished), 0);
  /* A lookup returned an id that had already stopped accepting messages. */
  assert_int_equal(atomic_load(&outlived), 0);
  /* The lookers did reach incarnations: the race was exercised, not avoided. */
  assert_true(atomic_load(&sends_ok) > 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_name_resolves_only_to_receivers),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
