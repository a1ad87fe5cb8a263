/*
 * tests/supervisor/test_sup_async.c: the run-time API's _async forms, used as the
 * component layer will: an actor issues a request, suspends with
 * troupe_actor_suspend_for(self, corr) and is woken by exactly one answer carrying that
 * corr, which troupe_sup_answer_read turns into what the blocking call returns. Every
 * call on a one-worker runtime, where the supervisor and the asking actor share the
 * only worker (an answer can only arrive if the asker blocked nothing), also from an
 * actor that is the supervisor's own child; errors (EXISTS, NOTFOUND, START_FAILED with
 * its message, STATE); the supervisor dead before, during (queued) and with the request
 * still unseen in its mailbox; a timeout, and no second answer when the supervisor
 * carries the request out later.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_sup_util.h"

/* ---- the asking actor ------------------------------------------------------------ */
enum { OP_START = 1, OP_DYNAMIC, OP_TERMINATE, OP_RESTART, OP_DELETE, OP_WHICH, OP_COUNT,
       OP_START_THEN_KILL_SUP };

typedef struct drv_op {
  int kind;
  troupe_actor_id sup;
  troupe_child_spec spec;
  const char *id;
  troupe_actor_id child;
  int extra;
  uint64_t timeout_ns;
} drv_op;

typedef struct drv {
  drv_op op;                  /* written by the test before "go" */
  _Atomic int done;           /* answers received (or call failures) */
  _Atomic int answers;        /* answer messages received, any corr */
  _Atomic int issued;         /* requests sent (the _async call returned 0) */
  _Atomic troupe_actor_id self;
  int call_rc;                /* the _async call's own status */
  uint64_t corr;
  /* the decoded answer */
  bool was_suspended, corr_ok;
  int status;
  char msg[TROUPE_ERR_MSG_MAX];
  troupe_actor_id child;
  troupe_child_counts counts;
  size_t nchildren;
  char ids[8][16];
  troupe_actor_id pids[8];
} drv;

static int issue(troupe_actor *self, drv *d) {
  drv_op *o = &d->op;
  troupe_err e;
  troupe_err_clear(&e);
  int rc = TROUPE_E_INVAL;
  switch (o->kind) {
  case OP_START:
  case OP_START_THEN_KILL_SUP:
    rc = troupe_sup_start_child_async(self, o->sup, &o->spec, o->timeout_ns, &d->corr, &e);
    if (rc == 0 && o->kind == OP_START_THEN_KILL_SUP) /* one worker: the sup has not run */
      troupe_exit(troupe_actor_runtime(self), 0, o->sup, TROUPE_EXIT_KILL, 0, NULL);
    break;
  case OP_DYNAMIC:
    rc = troupe_sup_start_dynamic_async(self, o->sup, &o->extra, sizeof o->extra, o->timeout_ns,
                                        &d->corr, &e);
    break;
  case OP_TERMINATE:
    rc = troupe_sup_terminate_child_async(self, o->sup, o->id, o->child, o->timeout_ns, &d->corr,
                                          &e);
    break;
  case OP_RESTART:
    rc = troupe_sup_restart_child_async(self, o->sup, o->id, o->timeout_ns, &d->corr, &e);
    break;
  case OP_DELETE:
    rc = troupe_sup_delete_child_async(self, o->sup, o->id, o->timeout_ns, &d->corr, &e);
    break;
  case OP_WHICH:
    rc = troupe_sup_which_children_async(self, o->sup, o->timeout_ns, &d->corr, &e);
    break;
  case OP_COUNT:
    rc = troupe_sup_count_children_async(self, o->sup, o->timeout_ns, &d->corr, &e);
    break;
  default:
    break;
  }
  if (rc) {
    d->corr = 0;
    snprintf(d->msg, sizeof d->msg, "%s", e.msg);
  }
  return rc;
}

static int drv_init(troupe_actor *self, void *arg, troupe_err *err) {
  (void)err;
  drv *d = arg;
  atomic_store(&d->self, troupe_self(self));
  return 0;
}

static int drv_handle(troupe_actor *self, const troupe_message *m, troupe_err *err) {
  (void)err;
  drv *d = troupe_actor_state(self);
  if (m->kind == TROUPE_MSG_USER && m->len == 2 && !memcmp(m->data, "go", 2)) {
    d->call_rc = issue(self, d);
    if (d->call_rc) {
      atomic_fetch_add(&d->done, 1);
      return TROUPE_CONTINUE;
    }
    assert_int_equal(troupe_actor_suspend_for(self, d->corr), 0);
    atomic_fetch_add(&d->issued, 1);
    return TROUPE_SUSPEND;
  }
  if (!troupe_sup_is_answer(m))
    return TROUPE_CONTINUE;
  atomic_fetch_add(&d->answers, 1);
  d->was_suspended = troupe_actor_suspended(self);
  d->corr_ok = m->corr == d->corr;
  troupe_sup_answer a;
  troupe_err e;
  troupe_err_clear(&e);
  d->status = troupe_sup_answer_read(m, &a, &e);
  assert_int_equal(a.status, d->status);
  snprintf(d->msg, sizeof d->msg, "%s", d->status ? e.msg : "");
  d->child = a.child;
  d->counts = a.counts;
  d->nchildren = a.nchildren;
  for (size_t i = 0; i < a.nchildren && i < 8; i++) {
    snprintf(d->ids[i], sizeof d->ids[i], "%s", a.children[i].id ? a.children[i].id : "");
    d->pids[i] = a.children[i].child;
  }
  troupe_sup_children_free(a.children, a.nchildren);
  atomic_fetch_add(&d->done, 1);
  return TROUPE_CONTINUE;
}

static const troupe_behaviour drv_beh = {"driver", drv_init, drv_handle, NULL};

static troupe_actor_id drv_spawn(troupe_runtime *rt, drv *d) {
  memset(d, 0, sizeof *d);
  troupe_actor_id id = 0;
  assert_int_equal(troupe_spawn(rt, NULL, &drv_beh, d, NULL, &id, NULL), 0);
  return id;
}

/* Run one request through the driver and wait for its outcome; returns the status
 * (the call's own, or the answer's). */
static int drv_run(troupe_runtime *rt, troupe_actor_id a, drv *d, drv_op op) {
  int before = atomic_load(&d->done);
  if (op.timeout_ns == 0)
    op.timeout_ns = TROUPE_INFINITY;
  d->op = op;
  assert_int_equal(troupe_send(rt, 0, a, "go", 2), 0);
  assert_true(TU_WAIT(atomic_load(&d->done) == before + 1));
  if (d->call_rc)
    return d->call_rc;
  assert_true(d->was_suspended); /* woken from its suspension by the answer */
  assert_true(d->corr_ok);
  return d->status;
}

static troupe_runtime *rt_workers(unsigned n) {
  troupe_runtime_config cfg;
  troupe_runtime_config_init(&cfg);
  cfg.workers = n;
  cfg.shutdown_timeout_ns = TROUPE_SEC(5);
  troupe_runtime *rt = NULL;
  assert_int_equal(troupe_runtime_new(&cfg, &rt, NULL), 0);
  return rt;
}

/* ---- every call, one worker ------------------------------------------------------- */
static void every_call_from_a_suspended_actor(unsigned workers) {
  troupe_runtime *rt = rt_workers(workers);
  ts_journal j;
  ts_journal_init(&j);
  static ts_child k[3];
  ts_child_init(&k[0], "a", &j);
  ts_child_init(&k[1], "b", &j);
  ts_child_init(&k[2], "c", &j);
  troupe_child_spec sa = ts_spec(&k[0], TROUPE_PERMANENT);
  troupe_sup_config cfg = ts_cfg(TROUPE_ONE_FOR_ONE, 5, 60000);
  troupe_actor_id sup;
  assert_int_equal(troupe_sup_start(rt, &cfg, &sa, 1, &sup, NULL), 0);
  static drv d;
  troupe_actor_id a = drv_spawn(rt, &d);

  /* start_child: the child id is the started process */
  drv_op op = {.kind = OP_START, .sup = sup, .spec = ts_spec(&k[1], TROUPE_PERMANENT)};
  assert_int_equal(drv_run(rt, a, &d, op), 0);
  assert_true(d.child != 0);
  assert_int_equal(d.child, atomic_load(&k[1].pid));
  /* EXISTS through the async path, with the blocking call's message */
  assert_int_equal(drv_run(rt, a, &d, op), TROUPE_E_EXISTS);
  assert_non_null(strstr(d.msg, "'b' already present"));
  /* START_FAILED with its message; the spec is discarded */
  atomic_store(&k[2].fail_startfn, 1);
  op.spec = ts_spec(&k[2], TROUPE_PERMANENT);
  assert_int_equal(drv_run(rt, a, &d, op), TROUPE_E_START_FAILED);
  assert_non_null(strstr(d.msg, "failed to start child 'c'"));
  assert_non_null(strstr(d.msg, "start function of c refused"));
  /* which_children: start order, ids and pids */
  assert_int_equal(drv_run(rt, a, &d, (drv_op){.kind = OP_WHICH, .sup = sup}), 0);
  assert_int_equal(d.nchildren, 2);
  assert_string_equal(d.ids[0], "a");
  assert_string_equal(d.ids[1], "b");
  assert_int_equal(d.pids[1], atomic_load(&k[1].pid));
  /* count_children */
  assert_int_equal(drv_run(rt, a, &d, (drv_op){.kind = OP_COUNT, .sup = sup}), 0);
  assert_int_equal(d.counts.specs, 2);
  assert_int_equal(d.counts.active, 2);
  assert_int_equal(d.counts.workers, 2);
  /* terminate_child keeps the spec; restart_child of a running child is STATE */
  assert_int_equal(drv_run(rt, a, &d, (drv_op){.kind = OP_RESTART, .sup = sup, .id = "b"}),
                   TROUPE_E_STATE);
  assert_int_equal(drv_run(rt, a, &d, (drv_op){.kind = OP_TERMINATE, .sup = sup, .id = "b"}), 0);
  assert_int_equal(atomic_load(&k[1].last_reason), TROUPE_EXIT_SHUTDOWN);
  assert_int_equal(drv_run(rt, a, &d, (drv_op){.kind = OP_RESTART, .sup = sup, .id = "b"}), 0);
  assert_true(d.child != 0);
  assert_int_equal(d.child, atomic_load(&k[1].pid));
  /* delete_child: STATE while running, NOTFOUND for an unknown id */
  assert_int_equal(drv_run(rt, a, &d, (drv_op){.kind = OP_DELETE, .sup = sup, .id = "b"}),
                   TROUPE_E_STATE);
  assert_int_equal(drv_run(rt, a, &d, (drv_op){.kind = OP_TERMINATE, .sup = sup, .id = "b"}), 0);
  assert_int_equal(drv_run(rt, a, &d, (drv_op){.kind = OP_DELETE, .sup = sup, .id = "b"}), 0);
  assert_int_equal(drv_run(rt, a, &d, (drv_op){.kind = OP_DELETE, .sup = sup, .id = "b"}),
                   TROUPE_E_NOTFOUND);
  assert_non_null(strstr(d.msg, "no child 'b'"));
  assert_int_equal(drv_run(rt, a, &d, (drv_op){.kind = OP_TERMINATE, .sup = sup, .id = "zz"}),
                   TROUPE_E_NOTFOUND);
  /* start_dynamic on a static supervisor: UNSUPPORTED, like the blocking call */
  assert_int_equal(drv_run(rt, a, &d, (drv_op){.kind = OP_DYNAMIC, .sup = sup}),
                   TROUPE_E_UNSUPPORTED);
  /* the blocking calls still work, and refuse workers (shown from the driver below) */
  troupe_child_counts kc;
  assert_int_equal(troupe_sup_count_children(rt, sup, &kc, NULL), 0);
  assert_int_equal(kc.specs, 1);
  /* exactly one answer per request */
  assert_int_equal(atomic_load(&d.answers), atomic_load(&d.done));
  troupe_runtime_free(rt);
}

static void test_every_call_one_worker(void **st) {
  (void)st;
  every_call_from_a_suspended_actor(1);
}

static void test_every_call_two_workers(void **st) {
  (void)st;
  every_call_from_a_suspended_actor(2);
}

/* ---- simple_one_for_one -------------------------------------------------------- */
typedef struct dslots {
  _Atomic troupe_actor_id pid[4];
} dslots;

static int dn_init(troupe_actor *self, void *arg, troupe_err *err) {
  (void)arg;
  (void)self;
  (void)err;
  return 0;
}

static int dn_handle(troupe_actor *self, const troupe_message *m, troupe_err *err) {
  (void)self;
  (void)m;
  (void)err;
  return TROUPE_CONTINUE;
}

static const troupe_behaviour dn_beh = {"dyn", dn_init, dn_handle, NULL};

static int dn_start(troupe_actor *sup, const troupe_spawn_opts *opts, void *arg, const void *extra,
                    size_t extra_len, troupe_actor_id *out, troupe_err *err) {
  dslots *s = arg;
  int idx;
  if (extra_len != sizeof idx)
    return troupe_err_set(err, TROUPE_E_INVAL, "bad extra");
  memcpy(&idx, extra, sizeof idx);
  if (idx < 0)
    return troupe_err_set(err, TROUPE_E_INVAL, "negative index %d", idx);
  int rc = troupe_spawn(troupe_actor_runtime(sup), sup, &dn_beh, NULL, opts, out, err);
  if (rc == 0)
    atomic_store(&s->pid[idx], *out);
  return rc;
}

static void test_dynamic_one_worker(void **st) {
  (void)st;
  troupe_runtime *rt = rt_workers(1);
  static dslots slots;
  memset(&slots, 0, sizeof slots);
  troupe_child_spec t = {.id = "dyn", .start = dn_start, .arg = &slots, .shutdown_ms = 2000};
  troupe_sup_config cfg = ts_cfg(TROUPE_SIMPLE_ONE_FOR_ONE, 5, 60000);
  troupe_actor_id sup;
  assert_int_equal(troupe_sup_start(rt, &cfg, &t, 1, &sup, NULL), 0);
  static drv d;
  troupe_actor_id a = drv_spawn(rt, &d);
  assert_int_equal(drv_run(rt, a, &d, (drv_op){.kind = OP_DYNAMIC, .sup = sup, .extra = 2}), 0);
  assert_int_equal(d.child, atomic_load(&slots.pid[2]));
  troupe_actor_id p2 = d.child;
  assert_int_equal(drv_run(rt, a, &d, (drv_op){.kind = OP_DYNAMIC, .sup = sup, .extra = -1}),
                   TROUPE_E_START_FAILED);
  assert_non_null(strstr(d.msg, "negative index -1"));
  assert_int_equal(drv_run(rt, a, &d, (drv_op){.kind = OP_WHICH, .sup = sup}), 0);
  assert_int_equal(d.nchildren, 1);
  assert_string_equal(d.ids[0], ""); /* dynamic children have no id */
  assert_int_equal(d.pids[0], p2);
  assert_int_equal(
      drv_run(rt, a, &d, (drv_op){.kind = OP_TERMINATE, .sup = sup, .child = p2}), 0);
  assert_true(TU_WAIT(tu_dead(rt, p2)));
  assert_int_equal(drv_run(rt, a, &d, (drv_op){.kind = OP_COUNT, .sup = sup}), 0);
  assert_int_equal(d.counts.specs, 0);
  troupe_runtime_free(rt);
}

/* ---- the asker is the supervisor's own child ----------------------------------------- */
static int drv_child_start(troupe_actor *sup, const troupe_spawn_opts *opts, void *arg,
                           const void *extra, size_t extra_len, troupe_actor_id *out,
                           troupe_err *err) {
  (void)extra;
  (void)extra_len;
  return troupe_spawn(troupe_actor_runtime(sup), sup, &drv_beh, arg, opts, out, err);
}

static void test_child_asks_its_own_supervisor(void **st) {
  (void)st;
  troupe_runtime *rt = rt_workers(1);
  ts_journal j;
  ts_journal_init(&j);
  static drv d;
  memset(&d, 0, sizeof d);
  static ts_child k;
  ts_child_init(&k, "sibling", &j);
  troupe_child_spec spec = {.id = "asker", .start = drv_child_start, .arg = &d};
  troupe_sup_config cfg = ts_cfg(TROUPE_ONE_FOR_ONE, 5, 60000);
  troupe_actor_id sup;
  assert_int_equal(troupe_sup_start(rt, &cfg, &spec, 1, &sup, NULL), 0);
  troupe_actor_id a = atomic_load(&d.self);
  assert_true(a != 0);
  drv_op op = {.kind = OP_START, .sup = sup, .spec = ts_spec(&k, TROUPE_TEMPORARY)};
  assert_int_equal(drv_run(rt, a, &d, op), 0);
  assert_int_equal(d.child, atomic_load(&k.pid));
  assert_int_equal(drv_run(rt, a, &d, (drv_op){.kind = OP_WHICH, .sup = sup}), 0);
  assert_int_equal(d.nchildren, 2);
  assert_string_equal(d.ids[0], "asker");
  assert_int_equal(d.pids[0], a); /* it sees itself among the children */
  assert_int_equal(
      drv_run(rt, a, &d, (drv_op){.kind = OP_TERMINATE, .sup = sup, .id = "sibling"}), 0);
  assert_int_equal(drv_run(rt, a, &d, (drv_op){.kind = OP_COUNT, .sup = sup}), 0);
  assert_int_equal(d.counts.specs, 1); /* the temporary sibling's spec went */
  troupe_runtime_free(rt);
}

/* ---- a blocking call on a worker is refused; _async from another actor too -------- */
typedef struct misuse {
  troupe_actor_id sup;
  _Atomic int blocking_rc, async_rc, done;
  troupe_actor *other;
} misuse;

static int mis_handle(troupe_actor *self, const troupe_message *m, troupe_err *err) {
  (void)err;
  (void)m;
  misuse *u = troupe_actor_state(self);
  troupe_child_counts kc;
  atomic_store(&u->blocking_rc,
               troupe_sup_count_children(troupe_actor_runtime(self), u->sup, &kc, NULL));
  uint64_t corr = 1;
  atomic_store(&u->async_rc, troupe_sup_count_children_async(NULL, u->sup, TROUPE_INFINITY,
                                                             &corr, NULL));
  assert_int_equal(corr, 0);
  atomic_store(&u->done, 1);
  return TROUPE_CONTINUE;
}

static const troupe_behaviour mis_beh = {"misuse", NULL, mis_handle, NULL};

static void test_blocking_refused_on_a_worker(void **st) {
  (void)st;
  troupe_runtime *rt = rt_workers(1);
  troupe_sup_config cfg = ts_cfg(TROUPE_ONE_FOR_ONE, 5, 60000);
  static misuse u;
  memset(&u, 0, sizeof u);
  assert_int_equal(troupe_sup_start(rt, &cfg, NULL, 0, &u.sup, NULL), 0);
  troupe_actor_id a;
  assert_int_equal(troupe_spawn(rt, NULL, &mis_beh, &u, NULL, &a, NULL), 0);
  assert_int_equal(troupe_send(rt, 0, a, "x", 1), 0);
  assert_true(TU_WAIT(atomic_load(&u.done) == 1));
  assert_int_equal(atomic_load(&u.blocking_rc), TROUPE_E_STATE);
  assert_int_equal(atomic_load(&u.async_rc), TROUPE_E_INVAL);
  /* _async from a thread that is not running that actor */
  troupe_err e;
  uint64_t corr;
  troupe_actor *fake = (troupe_actor *)&u; /* never dereferenced: refused first */
  assert_int_equal(troupe_sup_count_children_async(fake, u.sup, TROUPE_INFINITY, &corr, &e),
                   TROUPE_E_STATE);
  troupe_runtime_free(rt);
}

/* ---- the supervisor gone ------------------------------------------------------------- */
static void test_supervisor_dead_before(void **st) {
  (void)st;
  troupe_runtime *rt = rt_workers(1);
  troupe_sup_config cfg = ts_cfg(TROUPE_ONE_FOR_ONE, 5, 60000);
  troupe_actor_id sup;
  assert_int_equal(troupe_sup_start(rt, &cfg, NULL, 0, &sup, NULL), 0);
  assert_int_equal(troupe_exit(rt, 0, sup, TROUPE_EXIT_KILL, 0, NULL), 0);
  assert_true(TU_WAIT(tu_dead(rt, sup)));
  static drv d;
  troupe_actor_id a = drv_spawn(rt, &d);
  /* the send fails at once: an error return, and no message follows */
  assert_int_equal(drv_run(rt, a, &d, (drv_op){.kind = OP_COUNT, .sup = sup}), TROUPE_E_NOTFOUND);
  assert_int_equal(d.corr, 0);
  troupe_child_counts kc;
  assert_int_equal(troupe_sup_count_children(rt, sup, &kc, NULL), TROUPE_E_NOTFOUND);
  troupe_runtime_free(rt);
  assert_int_equal(atomic_load(&d.answers), 0);
}

/* The request is in the supervisor's mailbox, unseen, when it is killed: dropped with it,
 * answered NOT_RUNNING (one worker: the supervisor cannot run while the asker does). */
static void test_supervisor_dies_with_request_unseen(void **st) {
  (void)st;
  troupe_runtime *rt = rt_workers(1);
  troupe_sup_config cfg = ts_cfg(TROUPE_ONE_FOR_ONE, 5, 60000);
  troupe_actor_id sup;
  assert_int_equal(troupe_sup_start(rt, &cfg, NULL, 0, &sup, NULL), 0);
  ts_journal j;
  ts_journal_init(&j);
  static ts_child k;
  ts_child_init(&k, "never", &j);
  static drv d;
  troupe_actor_id a = drv_spawn(rt, &d);
  drv_op op = {.kind = OP_START_THEN_KILL_SUP, .sup = sup, .spec = ts_spec(&k, TROUPE_PERMANENT)};
  assert_int_equal(drv_run(rt, a, &d, op), TROUPE_E_NOT_RUNNING);
  assert_non_null(strstr(d.msg, "no supervisor handled the request"));
  assert_int_equal(atomic_load(&k.starts), 0);
  troupe_runtime_free(rt);
  assert_int_equal(atomic_load(&d.answers), 1);
}

/* A request sent to an actor that is not a supervisor: answered, not left hanging. */
static void test_not_a_supervisor(void **st) {
  (void)st;
  troupe_runtime *rt = rt_workers(1);
  static drv d, other;
  troupe_actor_id a = drv_spawn(rt, &d);
  troupe_actor_id b = drv_spawn(rt, &other);
  assert_int_equal(drv_run(rt, a, &d, (drv_op){.kind = OP_COUNT, .sup = b}),
                   TROUPE_E_NOT_RUNNING);
  troupe_child_counts kc;
  assert_int_equal(troupe_sup_count_children(rt, b, &kc, NULL), TROUPE_E_NOT_RUNNING);
  troupe_runtime_free(rt);
}

/* A busy supervisor (stopping a child that ignores shutdown, shutdown infinity): a
 * request with a timeout is answered TIMEOUT; the supervisor still carries it out later,
 * and that answer is not delivered (exactly one). Then a queued request when the
 * supervisor is killed: answered NOT_RUNNING. */
static void test_timeout_then_supervisor_killed(void **st) {
  (void)st;
  troupe_runtime *rt = rt_workers(2);
  ts_journal j;
  ts_journal_init(&j);
  static ts_child stub, late;
  ts_child_init(&stub, "stubborn", &j);
  ts_child_init(&late, "late", &j);
  atomic_store(&stub.trap, true);
  troupe_child_spec s = ts_spec(&stub, TROUPE_PERMANENT);
  s.shutdown = TROUPE_SHUTDOWN_INFINITY;
  troupe_sup_config cfg = ts_cfg(TROUPE_ONE_FOR_ONE, 5, 60000);
  troupe_actor_id sup;
  assert_int_equal(troupe_sup_start(rt, &cfg, &s, 1, &sup, NULL), 0);
  static drv d1, d2, d3;
  troupe_actor_id a1 = drv_spawn(rt, &d1), a2 = drv_spawn(rt, &d2), a3 = drv_spawn(rt, &d3);
  /* d1: terminate the stubborn child: the supervisor now waits for its EXIT */
  d1.op = (drv_op){.kind = OP_TERMINATE, .sup = sup, .id = "stubborn",
                   .timeout_ns = TROUPE_INFINITY};
  assert_int_equal(troupe_send(rt, 0, a1, "go", 2), 0);
  assert_true(TU_WAIT(atomic_load(&d1.issued) == 1)); /* in the mailbox before d2's */
  /* d2: start "late" with a short timeout: queued behind the job, times out */
  drv_op op = {.kind = OP_START, .sup = sup, .spec = ts_spec(&late, TROUPE_PERMANENT),
               .timeout_ns = TROUPE_MS(50)};
  assert_int_equal(drv_run(rt, a2, &d2, op), TROUPE_E_TIMEOUT);
  assert_int_equal(atomic_load(&late.starts), 0);
  /* release the supervisor: the terminate finishes, then the queued start is made */
  assert_int_equal(troupe_exit(rt, 0, atomic_load(&stub.pid), TROUPE_EXIT_KILL, 0, NULL), 0);
  assert_true(TU_WAIT(atomic_load(&d1.done) == 1));
  assert_int_equal(d1.status, 0);
  troupe_child_counts kc;
  assert_int_equal(troupe_sup_count_children(rt, sup, &kc, NULL), 0); /* after the start */
  assert_int_equal(kc.specs, 2);
  assert_int_equal(atomic_load(&late.starts), 1);
  assert_int_equal(atomic_load(&d2.answers), 1); /* the late answer was not delivered */
  /* Busy again, and a second request behind it, when the supervisor is killed: each
   * is answered NOT_RUNNING, whichever point it had reached (the job's request, queued
   * in the supervisor, or still unseen in its mailbox). */
  assert_int_equal(troupe_sup_restart_child(rt, sup, "stubborn", NULL, NULL), 0);
  d1.op = (drv_op){.kind = OP_TERMINATE, .sup = sup, .id = "stubborn",
                   .timeout_ns = TROUPE_INFINITY};
  assert_int_equal(troupe_send(rt, 0, a1, "go", 2), 0);
  assert_true(TU_WAIT(atomic_load(&d1.issued) == 2)); /* ahead of d3's */
  d3.op = (drv_op){.kind = OP_COUNT, .sup = sup, .timeout_ns = TROUPE_INFINITY};
  assert_int_equal(troupe_send(rt, 0, a3, "go", 2), 0);
  assert_true(TU_WAIT(atomic_load(&d1.issued) == 2 && atomic_load(&d3.issued) == 1));
  assert_int_equal(troupe_exit(rt, 0, sup, TROUPE_EXIT_KILL, 0, NULL), 0);
  assert_true(TU_WAIT(atomic_load(&d1.done) == 2));
  assert_true(TU_WAIT(atomic_load(&d3.done) == 1));
  assert_int_equal(d1.status, TROUPE_E_NOT_RUNNING);
  assert_int_equal(d3.status, TROUPE_E_NOT_RUNNING);
  troupe_runtime_free(rt);
  assert_int_equal(atomic_load(&d1.answers), 2);
  assert_int_equal(atomic_load(&d3.answers), 1);
}

/* A request still pending (its timeout armed, the message deferred by a suspended
 * target) when the runtime is freed: released with everything else, no leak (ASan). */
static int sleeper_init(troupe_actor *self, void *arg, troupe_err *err) {
  (void)self;
  (void)arg;
  (void)err;
  return TROUPE_SUSPEND; /* defers every USER message */
}

static const troupe_behaviour sleeper_beh = {"sleeper", sleeper_init, dn_handle, NULL};

static _Atomic int pending_freed;

static void count_free(void *arg) {
  (void)arg;
  atomic_fetch_add(&pending_freed, 1);
}

static void test_pending_at_runtime_free(void **st) {
  (void)st;
  ts_journal j;
  ts_journal_init(&j);
  static ts_child k;
  ts_child_init(&k, "k", &j);
  troupe_runtime *rt = rt_workers(2);
  troupe_actor_id target;
  assert_int_equal(troupe_spawn(rt, NULL, &sleeper_beh, NULL, NULL, &target, NULL), 0);
  static drv d;
  troupe_actor_id a = drv_spawn(rt, &d);
  d.op = (drv_op){.kind = OP_START, .sup = target, .spec = ts_spec(&k, TROUPE_PERMANENT),
                  .timeout_ns = TROUPE_SEC(30)};
  d.op.spec.arg_free = count_free;
  assert_int_equal(troupe_send(rt, 0, a, "go", 2), 0);
  assert_true(TU_WAIT(atomic_load(&d.issued) == 1));
  assert_int_equal(atomic_load(&pending_freed), 0);
  troupe_runtime_free(rt);
  assert_true(atomic_load(&d.answers) <= 1);
  assert_int_equal(atomic_load(&pending_freed), 1); /* the request was dropped, its arg freed */
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_every_call_one_worker),
      cmocka_unit_test(test_every_call_two_workers),
      cmocka_unit_test(test_dynamic_one_worker),
      cmocka_unit_test(test_child_asks_its_own_supervisor),
      cmocka_unit_test(test_blocking_refused_on_a_worker),
      cmocka_unit_test(test_supervisor_dead_before),
      cmocka_unit_test(test_supervisor_dies_with_request_unseen),
      cmocka_unit_test(test_not_a_supervisor),
      cmocka_unit_test(test_timeout_then_supervisor_killed),
      cmocka_unit_test(test_pending_at_runtime_free),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
