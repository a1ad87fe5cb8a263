/*
 * tests/actor/test_link_set.c: an actor with hundreds of links (a dynamic supervisor)
 * keeps an indexed link set: every child's exit reaches it exactly once whatever the
 * order, and its own death still reaches exactly the children that are left. Also the
 * internal exit hooks (trA_runtime_on_exit): one call per death, with the reason.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "actor/core.h"
#include "actor_util.h"

#include <stdlib.h>

#define NKIDS 300

typedef struct parent {
  troupe_actor_id kids[NKIDS];
  _Atomic int spawned;
  _Atomic int exits;        /* EXIT messages from a child */
  _Atomic int strangers;    /* EXIT messages from anyone else */
  unsigned char seen[NKIDS];
  _Atomic int dupes;
} parent;

static int kid_handle(troupe_actor *self, const troupe_message *m, troupe_err *err) {
  (void)self;
  (void)m;
  (void)err;
  return TROUPE_CONTINUE;
}
static const troupe_behaviour kid_b = {.name = "kid", .handle = kid_handle};

static int par_init(troupe_actor *self, void *arg, troupe_err *err) {
  parent *p = arg;
  troupe_spawn_opts o = {.flags = TROUPE_SPAWN_LINK};
  for (int i = 0; i < NKIDS; i++) {
    int rc = troupe_spawn(troupe_actor_runtime(self), self, &kid_b, NULL, &o, &p->kids[i], err);
    if (rc)
      return rc;
  }
  atomic_store(&p->spawned, 1);
  return TROUPE_OK;
}

static int par_handle(troupe_actor *self, const troupe_message *m, troupe_err *err) {
  (void)err;
  parent *p = troupe_actor_state(self);
  if (m->kind != TROUPE_MSG_EXIT)
    return TROUPE_CONTINUE;
  for (int i = 0; i < NKIDS; i++)
    if (p->kids[i] == m->from) {
      if (p->seen[i]++)
        atomic_fetch_add(&p->dupes, 1);
      atomic_fetch_add(&p->exits, 1);
      return TROUPE_CONTINUE;
    }
  atomic_fetch_add(&p->strangers, 1);
  return TROUPE_CONTINUE;
}
static const troupe_behaviour par_b = {.name = "par", .init = par_init, .handle = par_handle};

static void test_many_links(void **st) {
  (void)st;
  troupe_runtime *rt = tu_runtime(2);
  assert_non_null(rt);
  parent *p = calloc(1, sizeof *p);
  assert_non_null(p);
  troupe_spawn_opts o = {.flags = TROUPE_SPAWN_TRAP_EXIT};
  troupe_actor_id pid;
  assert_int_equal(troupe_spawn(rt, NULL, &par_b, p, &o, &pid, NULL), 0);
  assert_true(TU_WAIT(atomic_load(&p->spawned)));
  /* Crash 200 children in a scrambled order (a stride coprime with NKIDS). */
  int order[NKIDS];
  for (int i = 0; i < NKIDS; i++)
    order[i] = (i * 7 + 3) % NKIDS;
  for (int i = 0; i < 200; i++)
    assert_int_equal(troupe_exit(rt, 0, p->kids[order[i]], TROUPE_EXIT_CRASH, 1, "boom"), 0);
  assert_true(TU_WAIT(atomic_load(&p->exits) == 200));
  assert_int_equal(atomic_load(&p->dupes), 0);
  assert_int_equal(atomic_load(&p->strangers), 0);
  for (int i = 0; i < 200; i++)
    assert_int_equal(p->seen[order[i]], 1);
  /* The parent dies: exactly the 100 children left die through their links. */
  assert_int_equal(troupe_exit(rt, 0, pid, TROUPE_EXIT_KILL, 0, NULL), 0);
  for (int i = 200; i < NKIDS; i++)
    assert_true(TU_WAIT(!troupe_actor_alive(rt, p->kids[order[i]])));
  assert_int_equal(atomic_load(&p->dupes), 0);
  assert_int_equal(troupe_runtime_stop(rt, NULL), 0);
  troupe_runtime_free(rt);
  free(p);
}

typedef struct hook_log {
  _Atomic int deaths, crashes;
  _Atomic uint64_t last;
} hook_log;

static void on_exit_hook(troupe_runtime *rt, troupe_actor_id id, troupe_exit_kind why,
                         void *user) {
  (void)rt;
  hook_log *h = user;
  /* `last` and `crashes` before `deaths`: the test waits on deaths, then reads them */
  atomic_store(&h->last, id);
  if (why == TROUPE_EXIT_CRASH)
    atomic_fetch_add(&h->crashes, 1);
  atomic_fetch_add(&h->deaths, 1);
}

static void test_exit_hooks(void **st) {
  (void)st;
  troupe_runtime *rt = tu_runtime(2);
  assert_non_null(rt);
  hook_log h = {0};
  assert_int_equal(trA_runtime_on_exit(rt, NULL, NULL), TROUPE_E_INVAL);
  assert_int_equal(trA_runtime_on_exit(rt, on_exit_hook, &h), 0);
  troupe_actor_id a, b;
  assert_int_equal(troupe_spawn(rt, NULL, &kid_b, NULL, NULL, &a, NULL), 0);
  assert_int_equal(troupe_spawn(rt, NULL, &kid_b, NULL, NULL, &b, NULL), 0);
  assert_int_equal(troupe_exit(rt, 0, a, TROUPE_EXIT_CRASH, 1, "boom"), 0);
  assert_true(TU_WAIT(atomic_load(&h.deaths) == 1));
  assert_int_equal(atomic_load(&h.crashes), 1);
  assert_int_equal(atomic_load(&h.last), a);
  for (int i = 1; i < TRA_EXIT_HOOKS_MAX; i++)
    assert_int_equal(trA_runtime_on_exit(rt, on_exit_hook, &h), 0);
  assert_int_equal(trA_runtime_on_exit(rt, on_exit_hook, &h), TROUPE_E_RANGE);
  assert_int_equal(troupe_exit(rt, 0, b, TROUPE_EXIT_KILL, 0, NULL), 0);
  assert_true(TU_WAIT(atomic_load(&h.deaths) == 1 + TRA_EXIT_HOOKS_MAX));
  assert_int_equal(atomic_load(&h.last), b);
  assert_int_equal(troupe_runtime_stop(rt, NULL), 0);
  troupe_runtime_free(rt);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_many_links),
      cmocka_unit_test(test_exit_hooks),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
