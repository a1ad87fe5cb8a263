/*
 * tests/actor/test_links.c: monitors deliver DOWN with the exit reason (normal,
 * shutdown, crash with its message, killed, noproc); links propagate abnormal exits,
 * a trapping actor receives them as EXIT messages instead, `kill` cannot be trapped,
 * normal exits do not propagate, demonitor and unlink stop the notifications.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "actor_util.h"

/* Controller: commands arrive as USER messages with tag = command and an 8-byte id:
 * 1 monitor, 2 link, 3 demonitor last ref, 4 unlink, 5 spawn_link a recorder (the new
 * id is published in `spawned`). Everything received is logged. */
typedef struct ctl {
  tu_log log;
  uint64_t last_ref;
  _Atomic uint64_t spawned;
  tu_log child_log;
} ctl;

static int bad_init_fn(troupe_actor *self, void *arg, troupe_err *err) {
  return troupe_err_set(err, TROUPE_E_INVAL, "no config");
}
static const troupe_behaviour bad_init = {"bad", bad_init_fn, tu_rec_handle, NULL};

static int ctl_handle(troupe_actor *self, const troupe_message *m, troupe_err *err) {
  ctl *c = troupe_actor_state(self);
  tu_log_add(&c->log, m);
  if (m->kind != TROUPE_MSG_USER || m->tag == 0)
    return TROUPE_CONTINUE;
  troupe_actor_id target = 0;
  if (m->len == 8)
    memcpy(&target, m->data, 8);
  switch (m->tag) {
  case 1: return troupe_monitor(self, target, &c->last_ref);
  case 2: return troupe_link(self, target);
  case 3: return troupe_demonitor(self, c->last_ref);
  case 4: return troupe_unlink(self, target);
  case 6: { /* spawn with ACK: one that starts, one whose init fails */
    troupe_spawn_opts o = {.flags = TROUPE_SPAWN_ACK | TROUPE_SPAWN_MONITOR,
                           .parent = troupe_self(self), .monitor_ref = &c->last_ref};
    troupe_actor_id id;
    int rc = troupe_spawn(troupe_actor_runtime(self), self, &tu_recorder, &c->child_log, &o, &id, err);
    if (rc)
      return rc;
    rc = troupe_spawn(troupe_actor_runtime(self), self, &bad_init, NULL, &o, &id, err);
    atomic_store(&c->spawned, id);
    return rc;
  }
  case 5: {
    troupe_spawn_opts o = {.flags = TROUPE_SPAWN_LINK, .parent = troupe_self(self)};
    troupe_actor_id id;
    int rc = troupe_spawn(troupe_actor_runtime(self), self, &tu_recorder, &c->child_log, &o, &id, err);
    atomic_store(&c->spawned, id);
    return rc;
  }
  }
  return TROUPE_CONTINUE;
}
static const troupe_behaviour ctl_b = {"ctl", NULL, ctl_handle, NULL};

static void cmd(troupe_runtime *rt, troupe_actor_id to, uint32_t tag, troupe_actor_id target) {
  troupe_send_args a = {.to = to, .tag = tag, .data = &target, .len = 8};
  assert_int_equal(troupe_send_ex(rt, &a), 0);
}

static troupe_actor_id spawn_ctl(troupe_runtime *rt, ctl *c, bool trap) {
  memset(c, 0, sizeof *c);
  tu_log_init(&c->log);
  tu_log_init(&c->child_log);
  troupe_spawn_opts o = {.flags = trap ? TROUPE_SPAWN_TRAP_EXIT : 0};
  troupe_actor_id id;
  assert_int_equal(troupe_spawn(rt, NULL, &ctl_b, c, &o, &id, NULL), 0);
  return id;
}

static tu_log tlogs[8];
static troupe_actor_id spawn_target(troupe_runtime *rt, int i) {
  tu_log_init(&tlogs[i]);
  troupe_actor_id id;
  assert_int_equal(troupe_spawn(rt, NULL, &tu_recorder, &tlogs[i], NULL, &id, NULL), 0);
  return id;
}

static int find_kind(tu_log *l, int kind, troupe_actor_id from, tu_entry *out) {
  int n = atomic_load(&l->n);
  for (int i = 0; i < n; i++) {
    tu_entry e = tu_log_get(l, i);
    if (e.kind == kind && e.from == from) {
      *out = e;
      return 1;
    }
  }
  return 0;
}

static void test_monitor_down_reasons(void **st) {
  (void)st;
  troupe_runtime *rt = tu_runtime(2);
  static ctl c;
  troupe_actor_id w = spawn_ctl(rt, &c, false);
  troupe_actor_id t[5];
  for (int i = 0; i < 5; i++) {
    t[i] = spawn_target(rt, i);
    cmd(rt, w, 1, t[i]);
  }
  assert_true(TU_WAIT(atomic_load(&c.log.n) == 5));
  tu_sleep_ms(10); /* monitors are set up by signals; let them land */
  assert_int_equal(troupe_send(rt, 0, t[0], "stop", 4), 0);
  assert_int_equal(troupe_send(rt, 0, t[1], "crash", 5), 0);
  assert_int_equal(troupe_exit(rt, 0, t[2], TROUPE_EXIT_KILL, 0, NULL), 0);
  assert_int_equal(troupe_exit(rt, 0, t[3], TROUPE_EXIT_SHUTDOWN, 0, "bye"), 0);
  assert_true(TU_WAIT(tu_dead(rt, t[0]) && tu_dead(rt, t[1]) && tu_dead(rt, t[2]) && tu_dead(rt, t[3])));
  cmd(rt, w, 1, t[0]); /* monitoring a dead actor: noproc */
  assert_true(TU_WAIT(atomic_load(&c.log.n) == 5 + 4 + 1 + 1));
  const troupe_exit_kind expect[4] = {TROUPE_EXIT_NORMAL, TROUPE_EXIT_CRASH, TROUPE_EXIT_KILLED,
                                      TROUPE_EXIT_SHUTDOWN};
  for (int i = 0; i < 4; i++) {
    tu_entry e;
    assert_true(find_kind(&c.log, TROUPE_MSG_DOWN, t[i], &e));
    assert_int_equal(e.reason, expect[i]);
    if (i == 1) {
      assert_string_equal(e.text, "asked to crash");
      assert_int_equal(e.code, TROUPE_E_INTERNAL);
    }
    if (i == 3)
      assert_string_equal(e.text, "bye");
  }
  int noproc = 0, n = atomic_load(&c.log.n);
  for (int i = 0; i < n; i++) {
    tu_entry e = tu_log_get(&c.log, i);
    noproc += e.kind == TROUPE_MSG_DOWN && e.reason == TROUPE_EXIT_NOPROC && e.from == t[0];
  }
  assert_int_equal(noproc, 1);
  /* demonitor: no DOWN afterwards */
  troupe_actor_id t5 = spawn_target(rt, 5);
  cmd(rt, w, 1, t5);
  cmd(rt, w, 3, 0);
  int before = 0;
  assert_true(TU_WAIT((before = atomic_load(&c.log.n)) == 13));
  assert_int_equal(troupe_send(rt, 0, t5, "stop", 4), 0);
  assert_true(TU_WAIT(tu_dead(rt, t5)));
  tu_sleep_ms(20);
  assert_int_equal(atomic_load(&c.log.n), 13);
  troupe_runtime_free(rt);
}

static void test_links_propagate(void **st) {
  (void)st;
  troupe_runtime *rt = tu_runtime(2);
  static ctl plain, trapper, normal;
  troupe_actor_id p = spawn_ctl(rt, &plain, false);
  troupe_actor_id tr = spawn_ctl(rt, &trapper, true);
  troupe_actor_id nm = spawn_ctl(rt, &normal, false);
  troupe_actor_id a = spawn_target(rt, 0), b = spawn_target(rt, 1), c = spawn_target(rt, 2);
  cmd(rt, p, 2, a);
  cmd(rt, tr, 2, b);
  cmd(rt, nm, 2, c);
  assert_true(TU_WAIT(atomic_load(&plain.log.n) == 1 && atomic_load(&trapper.log.n) == 1 &&
                      atomic_load(&normal.log.n) == 1));
  tu_sleep_ms(10);
  assert_int_equal(troupe_send(rt, 0, a, "crash", 5), 0);
  assert_int_equal(troupe_send(rt, 0, b, "crash", 5), 0);
  assert_int_equal(troupe_send(rt, 0, c, "stop", 4), 0);
  /* the plain actor dies with the crash; the trapping one gets EXIT and lives */
  assert_true(TU_WAIT(tu_dead(rt, p)));
  tu_entry e;
  assert_true(TU_WAIT(find_kind(&trapper.log, TROUPE_MSG_EXIT, b, &e)));
  assert_int_equal(e.reason, TROUPE_EXIT_CRASH);
  assert_string_equal(e.text, "asked to crash");
  assert_true(troupe_actor_alive(rt, tr));
  /* a normal exit does not take the linked actor down */
  assert_true(TU_WAIT(tu_dead(rt, c)));
  tu_sleep_ms(20);
  assert_true(troupe_actor_alive(rt, nm));
  /* link to a dead actor: noproc; trapped here */
  cmd(rt, tr, 2, a);
  assert_true(TU_WAIT(find_kind(&trapper.log, TROUPE_MSG_EXIT, a, &e)));
  assert_int_equal(e.reason, TROUPE_EXIT_NOPROC);
  troupe_runtime_free(rt);
}

static void test_kill_untrappable_and_spawn_link(void **st) {
  (void)st;
  troupe_runtime *rt = tu_runtime(2);
  static ctl sup, watcher;
  troupe_actor_id s = spawn_ctl(rt, &sup, true);
  troupe_actor_id w = spawn_ctl(rt, &watcher, false);
  cmd(rt, s, 5, 0); /* spawn_link a child */
  assert_true(TU_WAIT(atomic_load(&sup.spawned) != 0));
  troupe_actor_id child = atomic_load(&sup.spawned);
  troupe_actor_info info;
  assert_int_equal(troupe_registry_info(rt, child, &info), 0);
  assert_int_equal(info.parent, s);
  troupe_actor_info_clear(&info);
  cmd(rt, w, 1, s);
  assert_true(TU_WAIT(atomic_load(&watcher.log.n) == 1));
  tu_sleep_ms(10);
  /* the child crashes: the trapping supervisor gets EXIT */
  assert_int_equal(troupe_send(rt, 0, child, "crash", 5), 0);
  tu_entry e;
  assert_true(TU_WAIT(find_kind(&sup.log, TROUPE_MSG_EXIT, child, &e)));
  /* normal exit signal is ignored by a non-trapping actor, shutdown is trapped here */
  assert_int_equal(troupe_exit(rt, 0, w, TROUPE_EXIT_NORMAL, 0, NULL), 0);
  assert_int_equal(troupe_exit(rt, 0, s, TROUPE_EXIT_SHUTDOWN, 0, NULL), 0);
  assert_true(TU_WAIT(find_kind(&sup.log, TROUPE_MSG_EXIT, 0, &e)));
  assert_true(troupe_actor_alive(rt, s));
  /* kill cannot be trapped: the supervisor dies with `killed` */
  assert_int_equal(troupe_exit(rt, 0, s, TROUPE_EXIT_KILL, 0, NULL), 0);
  assert_true(TU_WAIT(find_kind(&watcher.log, TROUPE_MSG_DOWN, s, &e)));
  assert_int_equal(e.reason, TROUPE_EXIT_KILLED);
  assert_true(troupe_actor_alive(rt, w));
  troupe_runtime_free(rt);
}

/* TROUPE_SPAWN_ACK: the spawner learns the outcome of init (a supervisor's synchronous
 * start); the failing child's monitor reports the crash. */
static void test_spawn_ack(void **st) {
  (void)st;
  troupe_runtime *rt = tu_runtime(2);
  static ctl c;
  troupe_actor_id s = spawn_ctl(rt, &c, false);
  cmd(rt, s, 6, 0);
  assert_true(TU_WAIT(atomic_load(&c.spawned) != 0));
  troupe_actor_id bad = atomic_load(&c.spawned);
  int ok = 0, failed = 0;
  tu_entry e;
  assert_true(TU_WAIT(find_kind(&c.log, TROUPE_MSG_DOWN, bad, &e)));
  assert_int_equal(e.reason, TROUPE_EXIT_CRASH);
  assert_string_equal(e.text, "no config");
  assert_true(TU_WAIT(atomic_load(&c.log.n) == 4));
  for (int i = 0; i < 4; i++) {
    e = tu_log_get(&c.log, i);
    if (e.kind == TROUPE_MSG_STARTED) {
      ok += e.status == 0;
      failed += e.status == TROUPE_E_INVAL && e.from == bad;
    }
  }
  assert_int_equal(ok, 1);
  assert_int_equal(failed, 1);
  troupe_runtime_free(rt);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_monitor_down_reasons),
      cmocka_unit_test(test_links_propagate),
      cmocka_unit_test(test_kill_untrappable_and_spawn_link),
      cmocka_unit_test(test_spawn_ack),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
