/*
 * tests/actor/test_send_wait.c: waiting for room in a bounded mailbox instead of polling.
 * A thread blocked in troupe_send_wait queues its message once the receiver frees a
 * slot, times out, learns NOTFOUND when the target dies and STOPPED when the runtime
 * stops, and its borrowed payload is released exactly once on every path. An actor that
 * asks troupe_send_when_space and suspends on the corr is woken by one SPACE message
 * (room, timeout, target dead) without blocking a worker, even on a one-worker runtime.
 * Waiters (threads or actors) are served in FIFO order, an unused notice is passed on,
 * and with many senders of both kinds on a small mailbox no message or waiter is lost.
 * White-box: the tests read the target's count of waiters (core.h) to know a sender is
 * in line before they free a slot.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "actor/core.h"
#include "actor_util.h"

/* ---- the target: "s" suspends it (so user messages pile up), the rest is logged --- */
static _Atomic int handled; /* messages the target handled (all kinds) */
static int holder_handle(troupe_actor *self, const troupe_message *m, troupe_err *err) {
  (void)err;
  tu_log_add(troupe_actor_state(self), m);
  atomic_fetch_add(&handled, 1);
  if (m->kind == TROUPE_MSG_USER && m->len == 1 && *(const char *)m->data == 's')
    return TROUPE_SUSPEND;
  return TROUPE_CONTINUE;
}
static const troupe_behaviour holder = {"holder", NULL, holder_handle, NULL};

static uint32_t waiters_of(troupe_runtime *rt, troupe_actor_id id) {
  troupe_actor *a = trA_segtab_get(&rt->slots, TRA_ID_IDX(id));
  return atomic_load(&a->waiters);
}

/* A target with mailbox_bound `bound`, suspended, its mailbox full ("0", "1", ...). */
static troupe_actor_id full_target(troupe_runtime *rt, tu_log *log, uint32_t bound) {
  tu_log_init(log);
  troupe_spawn_opts o = {.mailbox_bound = bound};
  troupe_actor_id t;
  assert_int_equal(troupe_spawn(rt, NULL, &holder, log, &o, &t, NULL), 0);
  assert_int_equal(troupe_send(rt, 0, t, "s", 1), 0);
  assert_true(TU_WAIT(atomic_load(&log->n) == 1)); /* it suspended: nothing more handled */
  for (uint32_t i = 0; i < bound; i++) {
    unsigned char b = (unsigned char)('0' + i);
    assert_int_equal(troupe_send(rt, 0, t, &b, 1), 0);
  }
  assert_int_equal(troupe_send(rt, 0, t, "x", 1), TROUPE_E_MAILBOX_FULL);
  return t;
}

/* ---- blocking senders -------------------------------------------------------------- */
static void count_release(void *user, const void *data, size_t len) {
  (void)data;
  (void)len;
  atomic_fetch_add((_Atomic int *)user, 1);
}

typedef struct waiter {
  troupe_runtime *rt;
  troupe_actor_id to;
  unsigned char byte;
  uint64_t timeout;
  _Atomic int released;
  _Atomic int finished;
  int rc;
  uint64_t elapsed;
  pthread_t th;
} waiter;

static void *waiter_main(void *p) {
  waiter *w = p;
  troupe_send_args a = {.to = w->to, .data = &w->byte, .len = 1, .release = count_release,
                        .release_user = &w->released};
  uint64_t t0 = troupe_clock_mono_ns();
  w->rc = troupe_send_wait(w->rt, &a, w->timeout);
  w->elapsed = troupe_clock_mono_ns() - t0;
  atomic_store(&w->finished, 1);
  return NULL;
}

static void waiter_start(waiter *w, troupe_runtime *rt, troupe_actor_id to, unsigned char b,
                         uint64_t timeout) {
  w->rt = rt;
  w->to = to;
  w->byte = b;
  w->timeout = timeout;
  atomic_store(&w->released, 0);
  atomic_store(&w->finished, 0);
  w->rc = 1;
  assert_int_equal(pthread_create(&w->th, NULL, waiter_main, w), 0);
}

static void test_send_wait_queues_when_room(void **st) {
  (void)st;
  troupe_runtime *rt = tu_runtime(2);
  static tu_log log;
  troupe_actor_id t = full_target(rt, &log, 2);
  static waiter w;
  waiter_start(&w, rt, t, 'w', TROUPE_SEC(30));
  assert_true(TU_WAIT(waiters_of(rt, t) == 1)); /* in line, asleep */
  assert_int_equal(atomic_load(&w.finished), 0);
  assert_int_equal(troupe_actor_resume(rt, t, 0), 0); /* the target drains */
  pthread_join(w.th, NULL);
  assert_int_equal(w.rc, 0);
  assert_true(TU_WAIT(atomic_load(&w.released) == 1)); /* released once handled */
  assert_true(TU_WAIT(atomic_load(&log.n) == 5));    /* s, RESUME, 0, 1, w */
  assert_int_equal(tu_log_get(&log, 4).byte, 'w');
  assert_int_equal(waiters_of(rt, t), 0);
  troupe_runtime_free(rt);
  assert_int_equal(atomic_load(&w.released), 1);
}

static void test_send_wait_times_out(void **st) {
  (void)st;
  troupe_runtime *rt = tu_runtime(2);
  static tu_log log;
  troupe_actor_id t = full_target(rt, &log, 1);
  static waiter w;
  waiter_start(&w, rt, t, 'w', TROUPE_MS(50));
  pthread_join(w.th, NULL);
  assert_int_equal(w.rc, TROUPE_E_TIMEOUT);
  assert_true(w.elapsed >= TROUPE_MS(50)); /* not before the timeout ... */
  assert_true(w.elapsed < TROUPE_SEC(10)); /* ... and not forever (bounded, generous) */
  assert_int_equal(atomic_load(&w.released), 1); /* released before it returned */
  assert_int_equal(waiters_of(rt, t), 0);        /* it left the line */
  /* timeout 0: one try, no wait */
  troupe_send_args a = {.to = t, .data = "z", .len = 1, .release = count_release,
                        .release_user = &w.released};
  assert_int_equal(troupe_send_wait(rt, &a, 0), TROUPE_E_TIMEOUT);
  assert_int_equal(atomic_load(&w.released), 2);
  /* the freed slot is there for a later wait, which does not sleep */
  assert_int_equal(troupe_actor_resume(rt, t, 0), 0);
  assert_int_equal(troupe_send_wait(rt, &a, TROUPE_SEC(30)), 0);
  assert_true(TU_WAIT(atomic_load(&w.released) == 3));
  troupe_runtime_stats s;
  troupe_runtime_stats_get(rt, &s);
  assert_int_equal(s.msgs_rejected, 3); /* the full probe and the two timeouts */
  troupe_runtime_free(rt);
}

static void test_send_wait_target_dies(void **st) {
  (void)st;
  troupe_runtime *rt = tu_runtime(2);
  static tu_log log;
  troupe_actor_id t = full_target(rt, &log, 1);
  static waiter w;
  waiter_start(&w, rt, t, 'w', TROUPE_INFINITY);
  assert_true(TU_WAIT(waiters_of(rt, t) == 1));
  assert_int_equal(troupe_exit(rt, 0, t, TROUPE_EXIT_KILL, 0, NULL), 0);
  pthread_join(w.th, NULL);
  assert_int_equal(w.rc, TROUPE_E_NOTFOUND);
  assert_int_equal(atomic_load(&w.released), 1);
  /* a dead target: NOTFOUND at once, released once */
  assert_true(TU_WAIT(tu_dead(rt, t)));
  troupe_send_args a = {.to = t, .data = "z", .len = 1, .release = count_release,
                        .release_user = &w.released};
  assert_int_equal(troupe_send_wait(rt, &a, TROUPE_SEC(30)), TROUPE_E_NOTFOUND);
  assert_int_equal(atomic_load(&w.released), 2);
  troupe_runtime_free(rt);
}

static void test_send_wait_runtime_stops(void **st) {
  (void)st;
  troupe_runtime *rt = tu_runtime(2);
  static tu_log log;
  troupe_actor_id t = full_target(rt, &log, 1);
  static waiter w;
  waiter_start(&w, rt, t, 'w', TROUPE_INFINITY);
  assert_true(TU_WAIT(waiters_of(rt, t) == 1));
  assert_int_equal(troupe_runtime_stop(rt, NULL), 0);
  pthread_join(w.th, NULL);
  assert_int_equal(w.rc, TROUPE_E_STOPPED);
  assert_int_equal(atomic_load(&w.released), 1);
  troupe_send_args a = {.to = t, .data = "z", .len = 1, .release = count_release,
                        .release_user = &w.released};
  assert_int_equal(troupe_send_wait(rt, &a, TROUPE_SEC(1)), TROUPE_E_STOPPED);
  assert_int_equal(atomic_load(&w.released), 2);
  troupe_runtime_free(rt);
}

/* Called from an actor: refused (a worker must not sleep), payload released. */
static _Atomic int on_worker_rc, on_worker_released;
static int calls_wait_handle(troupe_actor *self, const troupe_message *m, troupe_err *err) {
  (void)err;
  (void)m;
  troupe_send_args a = {.to = troupe_self(self), .data = "x", .len = 1,
                        .release = count_release, .release_user = &on_worker_released};
  atomic_store(&on_worker_rc, troupe_send_wait(troupe_actor_runtime(self), &a, TROUPE_SEC(1)));
  return TROUPE_CONTINUE;
}
static const troupe_behaviour calls_wait = {"calls-wait", NULL, calls_wait_handle, NULL};

static void test_send_wait_argument_errors(void **st) {
  (void)st;
  troupe_runtime *rt = tu_runtime(1);
  atomic_store(&on_worker_rc, 1);
  atomic_store(&on_worker_released, 0);
  troupe_actor_id c;
  assert_int_equal(troupe_spawn(rt, NULL, &calls_wait, NULL, NULL, &c, NULL), 0);
  assert_int_equal(troupe_send(rt, 0, c, "go", 2), 0);
  assert_true(TU_WAIT(atomic_load(&on_worker_rc) != 1));
  assert_int_equal(atomic_load(&on_worker_rc), TROUPE_E_STATE);
  assert_int_equal(atomic_load(&on_worker_released), 1);
  _Atomic int rel = 0;
  troupe_send_args bad = {.to = c, .data = NULL, .len = 3, .release = count_release,
                          .release_user = &rel};
  assert_int_equal(troupe_send_wait(rt, &bad, TROUPE_SEC(1)), TROUPE_E_INVAL);
  assert_int_equal(atomic_load(&rel), 1);
  /* an unbounded target always has room; so do system messages */
  troupe_send_args ok = {.to = c, .data = "y", .len = 1, .release = count_release,
                         .release_user = &rel};
  assert_int_equal(troupe_send_wait(rt, &ok, 0), 0);
  assert_true(TU_WAIT(atomic_load(&rel) == 2));
  troupe_runtime_free(rt);
}

/* Several threads in line on a mailbox of one slot: served in the order they came. */
static void test_send_wait_fifo(void **st) {
  (void)st;
  enum { N = 6 };
  troupe_runtime *rt = tu_runtime(2);
  static tu_log log;
  troupe_actor_id t = full_target(rt, &log, 1);
  static waiter w[N];
  for (int i = 0; i < N; i++) {
    waiter_start(&w[i], rt, t, (unsigned char)('a' + i), TROUPE_SEC(30));
    assert_true(TU_WAIT(waiters_of(rt, t) == (uint32_t)i + 1));
  }
  assert_int_equal(troupe_actor_resume(rt, t, 0), 0);
  for (int i = 0; i < N; i++) {
    pthread_join(w[i].th, NULL);
    assert_int_equal(w[i].rc, 0);
  }
  assert_true(TU_WAIT(atomic_load(&log.n) == 3 + N)); /* s, RESUME, 0, a.. */
  for (int i = 0; i < N; i++)
    assert_int_equal(tu_log_get(&log, 3 + i).byte, 'a' + i);
  troupe_runtime_free(rt);
  for (int i = 0; i < N; i++)
    assert_int_equal(atomic_load(&w[i].released), 1);
}

/* ---- actors waiting for room --------------------------------------------------------- */
/* A sender actor: on "go" (and on each room notice) it sends `left` messages to `to`;
 * on MAILBOX_FULL it asks for room and suspends on the corr. A lazy one sends nothing
 * after a notice. Every notice is logged. */
typedef struct sender {
  troupe_actor_id to;
  uint64_t timeout;
  int left;
  bool lazy;
  unsigned char byte;
  _Atomic uint64_t corr;
  _Atomic int waits, sent, done, failed;
  tu_log log;
} sender;

static int sender_handle(troupe_actor *self, const troupe_message *m, troupe_err *err) {
  sender *s = troupe_actor_state(self);
  troupe_runtime *rt = troupe_actor_runtime(self);
  if (m->kind == TROUPE_MSG_SPACE) {
    tu_log_add(&s->log, m);
    if (m->corr != atomic_load(&s->corr))
      return troupe_err_set(err, TROUPE_E_INTERNAL, "a notice for another corr");
    if (m->status) {
      atomic_store(&s->failed, m->status);
      return TROUPE_CONTINUE;
    }
    if (s->lazy)
      return TROUPE_CONTINUE;
  } else if (m->kind != TROUPE_MSG_USER) {
    return TROUPE_CONTINUE;
  }
  while (s->left > 0) {
    int rc = troupe_send(rt, troupe_self(self), s->to, &s->byte, 1);
    if (rc == 0) {
      s->left--;
      atomic_fetch_add(&s->sent, 1);
      continue;
    }
    if (rc != TROUPE_E_MAILBOX_FULL) {
      atomic_store(&s->failed, rc);
      return TROUPE_CONTINUE;
    }
    uint64_t corr;
    if ((rc = troupe_send_when_space(self, s->to, s->timeout, &corr))) {
      atomic_store(&s->failed, rc);
      return TROUPE_CONTINUE;
    }
    atomic_store(&s->corr, corr);
    atomic_fetch_add(&s->waits, 1);
    if ((rc = troupe_actor_suspend_for(self, corr)))
      return rc;
    return TROUPE_SUSPEND;
  }
  atomic_store(&s->done, 1);
  return TROUPE_CONTINUE;
}
static const troupe_behaviour sender_b = {"sender", NULL, sender_handle, NULL};

static troupe_actor_id start_sender(troupe_runtime *rt, sender *s, troupe_actor_id to, int n,
                                    uint64_t timeout, unsigned char byte, bool lazy) {
  memset(s, 0, sizeof *s);
  tu_log_init(&s->log);
  s->lazy = lazy;
  s->to = to;
  s->left = n;
  s->timeout = timeout;
  s->byte = byte;
  troupe_actor_id id;
  assert_int_equal(troupe_spawn(rt, NULL, &sender_b, s, NULL, &id, NULL), 0);
  assert_int_equal(troupe_send(rt, 0, id, "go", 2), 0);
  return id;
}

/* One worker: the suspended sender holds no worker, so the target (same worker) runs,
 * frees a slot, and the sender is told and sends. */
static void test_actor_told_when_room_one_worker(void **st) {
  (void)st;
  troupe_runtime *rt = tu_runtime(1);
  static tu_log log;
  troupe_actor_id t = full_target(rt, &log, 1);
  static sender s;
  troupe_actor_id a = start_sender(rt, &s, t, 1, TROUPE_SEC(30), 'A', false);
  assert_true(TU_WAIT(waiters_of(rt, t) == 1));
  assert_int_equal(atomic_load(&s.sent), 0);
  assert_int_equal(troupe_actor_resume(rt, t, 0), 0);
  assert_true(TU_WAIT(atomic_load(&s.done) == 1));
  assert_true(TU_WAIT(atomic_load(&log.n) == 4)); /* s, RESUME, 0, A */
  assert_int_equal(tu_log_get(&log, 3).byte, 'A');
  assert_int_equal(tu_log_get(&log, 3).from, a);
  assert_int_equal(atomic_load(&s.log.n), 1); /* exactly one notice */
  tu_entry e = tu_log_get(&s.log, 0);
  assert_int_equal(e.kind, TROUPE_MSG_SPACE);
  assert_int_equal(e.status, 0);
  assert_int_equal(e.from, t);
  assert_true(e.corr == atomic_load(&s.corr) && e.corr != 0);
  troupe_runtime_free(rt);
}

static void test_actor_wait_times_out(void **st) {
  (void)st;
  troupe_runtime *rt = tu_runtime(2);
  static tu_log log;
  troupe_actor_id t = full_target(rt, &log, 1);
  static sender s;
  start_sender(rt, &s, t, 1, TROUPE_MS(30), 'A', false);
  assert_true(TU_WAIT(atomic_load(&s.failed) != 0));
  assert_int_equal(atomic_load(&s.failed), TROUPE_E_TIMEOUT);
  assert_int_equal(atomic_load(&s.log.n), 1);
  assert_int_equal(tu_log_get(&s.log, 0).from, t);
  assert_int_equal(waiters_of(rt, t), 0);
  tu_sleep_ms(20); /* no second notice comes, also once room appears */
  assert_int_equal(troupe_actor_resume(rt, t, 0), 0);
  assert_true(TU_WAIT(atomic_load(&log.n) == 3));
  tu_sleep_ms(20);
  assert_int_equal(atomic_load(&s.log.n), 1);
  troupe_runtime_free(rt);
}

static void test_actor_wait_target_dies(void **st) {
  (void)st;
  troupe_runtime *rt = tu_runtime(2);
  static tu_log log;
  troupe_actor_id t = full_target(rt, &log, 1);
  static sender s;
  start_sender(rt, &s, t, 1, TROUPE_INFINITY, 'A', false);
  assert_true(TU_WAIT(waiters_of(rt, t) == 1));
  assert_int_equal(troupe_exit(rt, 0, t, TROUPE_EXIT_KILL, 0, NULL), 0);
  assert_true(TU_WAIT(atomic_load(&s.failed) != 0));
  assert_int_equal(atomic_load(&s.failed), TROUPE_E_NOTFOUND);
  assert_int_equal(atomic_load(&s.log.n), 1);
  assert_int_equal(tu_log_get(&s.log, 0).from, t);
  troupe_runtime_free(rt);
}

/* The waiting actor dies: its place in line is withdrawn, nothing is told to it. */
static void test_waiting_actor_dies(void **st) {
  (void)st;
  troupe_runtime *rt = tu_runtime(2);
  static tu_log log;
  troupe_actor_id t = full_target(rt, &log, 1);
  static sender s;
  troupe_actor_id a = start_sender(rt, &s, t, 1, TROUPE_INFINITY, 'A', false);
  assert_true(TU_WAIT(waiters_of(rt, t) == 1));
  assert_int_equal(troupe_exit(rt, 0, a, TROUPE_EXIT_KILL, 0, NULL), 0);
  assert_true(TU_WAIT(tu_dead(rt, a)));
  assert_int_equal(waiters_of(rt, t), 0);
  /* a thread in line after it is served as usual */
  static waiter w;
  waiter_start(&w, rt, t, 'w', TROUPE_SEC(30));
  assert_true(TU_WAIT(waiters_of(rt, t) == 1));
  assert_int_equal(troupe_actor_resume(rt, t, 0), 0);
  pthread_join(w.th, NULL);
  assert_int_equal(w.rc, 0);
  troupe_runtime_free(rt);
}

/* A notice the first waiter does not use goes on to the next, who would otherwise wait
 * for good (nothing else frees a slot): FIFO, and no freed slot strands the line. */
static void test_unused_notice_is_passed_on(void **st) {
  (void)st;
  troupe_runtime *rt = tu_runtime(2);
  static tu_log log;
  troupe_actor_id t = full_target(rt, &log, 1);
  static sender lazy, eager;
  start_sender(rt, &lazy, t, 1, TROUPE_INFINITY, 'L', true);
  assert_true(TU_WAIT(waiters_of(rt, t) == 1));
  start_sender(rt, &eager, t, 1, TROUPE_INFINITY, 'E', false);
  assert_true(TU_WAIT(waiters_of(rt, t) == 2));
  assert_int_equal(troupe_actor_resume(rt, t, 0), 0);
  assert_true(TU_WAIT(atomic_load(&eager.done) == 1));
  assert_int_equal(atomic_load(&lazy.log.n), 1); /* told first */
  assert_int_equal(tu_log_get(&lazy.log, 0).status, 0);
  assert_int_equal(atomic_load(&lazy.sent), 0);
  assert_true(TU_WAIT(atomic_load(&log.n) == 4));
  assert_int_equal(tu_log_get(&log, 3).byte, 'E');
  troupe_runtime_free(rt);
}

/* Actors in line on a mailbox of one slot, on one worker: told in the order they
 * asked, each sends once told, so the target receives in that order. */
static void test_actor_waiters_fifo(void **st) {
  (void)st;
  enum { N = 5 };
  troupe_runtime *rt = tu_runtime(1);
  static tu_log log;
  troupe_actor_id t = full_target(rt, &log, 1);
  static sender s[N];
  for (int i = 0; i < N; i++) {
    start_sender(rt, &s[i], t, 1, TROUPE_SEC(30), (unsigned char)('a' + i), false);
    assert_true(TU_WAIT(waiters_of(rt, t) == (uint32_t)i + 1));
  }
  assert_int_equal(troupe_actor_resume(rt, t, 0), 0);
  assert_true(TU_WAIT(atomic_load(&log.n) == 3 + N)); /* s, RESUME, 0, a.. */
  for (int i = 0; i < N; i++) {
    assert_int_equal(tu_log_get(&log, 3 + i).byte, 'a' + i);
    assert_int_equal(atomic_load(&s[i].waits), 1); /* told once, and it sufficed */
    assert_int_equal(atomic_load(&s[i].log.n), 1);
  }
  troupe_runtime_free(rt);
}

/* Asks for room in the mailbox of the actor whose id it is sent (8 bytes), logs the
 * call's status (as a USER entry's status) and every notice. */
static tu_log asker_log;
static int asker_handle(troupe_actor *self, const troupe_message *m, troupe_err *err) {
  (void)err;
  troupe_message c = *m;
  if (m->kind == TROUPE_MSG_USER) {
    troupe_actor_id to;
    memcpy(&to, m->data, sizeof to);
    c.status = troupe_send_when_space(self, to, TROUPE_INFINITY, &c.corr);
  }
  tu_log_add(&asker_log, &c);
  return TROUPE_CONTINUE;
}
static const troupe_behaviour asker = {"asker", NULL, asker_handle, NULL};

/* An unbounded target always has room: told at once. A dead one: an error now and no
 * notice later. */
static void test_actor_wait_unbounded_or_dead(void **st) {
  (void)st;
  troupe_runtime *rt = tu_runtime(1);
  static tu_log log;
  tu_log_init(&log);
  tu_log_init(&asker_log);
  troupe_actor_id t, k;
  assert_int_equal(troupe_spawn(rt, NULL, &holder, &log, NULL, &t, NULL), 0);
  assert_int_equal(troupe_spawn(rt, NULL, &asker, NULL, NULL, &k, NULL), 0);
  assert_int_equal(troupe_send(rt, 0, k, &t, sizeof t), 0);
  assert_true(TU_WAIT(atomic_load(&asker_log.n) == 2));
  tu_entry call = tu_log_get(&asker_log, 0), told = tu_log_get(&asker_log, 1);
  assert_int_equal(call.status, 0);
  assert_int_equal(told.kind, TROUPE_MSG_SPACE);
  assert_int_equal(told.status, 0);
  assert_int_equal(told.from, t);
  assert_true(told.corr == call.corr);
  assert_int_equal(troupe_exit(rt, 0, t, TROUPE_EXIT_KILL, 0, NULL), 0);
  assert_true(TU_WAIT(tu_dead(rt, t)));
  assert_int_equal(troupe_send(rt, 0, k, &t, sizeof t), 0);
  assert_true(TU_WAIT(atomic_load(&asker_log.n) == 3));
  assert_int_equal(tu_log_get(&asker_log, 2).status, TROUPE_E_NOTFOUND);
  tu_sleep_ms(20);
  assert_int_equal(atomic_load(&asker_log.n), 3);
  troupe_runtime_free(rt);
}

/* ---- many senders of both kinds on one small mailbox: every message arrives ----- */
static _Atomic int sink_count;
static int sink_handle(troupe_actor *self, const troupe_message *m, troupe_err *err) {
  (void)self;
  (void)err;
  if (m->kind == TROUPE_MSG_USER && (atomic_fetch_add(&sink_count, 1) & 7) == 0) {
    struct timespec ts = {0, 20000};
    nanosleep(&ts, NULL); /* slow enough that the mailbox fills */
  }
  return TROUPE_CONTINUE;
}
static const troupe_behaviour sink = {"sink", NULL, sink_handle, NULL};

typedef struct thread_sender {
  troupe_runtime *rt;
  troupe_actor_id to;
  int n, ok;
  _Atomic int released;
  pthread_t th;
} thread_sender;

static void *thread_sender_main(void *p) {
  thread_sender *ts = p;
  for (int i = 0; i < ts->n; i++) {
    troupe_send_args a = {.to = ts->to, .data = "t", .len = 1, .release = count_release,
                          .release_user = &ts->released};
    if (troupe_send_wait(ts->rt, &a, TROUPE_SEC(30)) == 0)
      ts->ok++;
  }
  return NULL;
}

static void test_many_waiters_none_lost(void **st) {
  (void)st;
  enum { THREADS = 3, ACTORS = 3, PER = 300 };
  troupe_runtime *rt = tu_runtime(2);
  atomic_store(&sink_count, 0);
  troupe_spawn_opts o = {.mailbox_bound = 4};
  troupe_actor_id t;
  assert_int_equal(troupe_spawn(rt, NULL, &sink, NULL, &o, &t, NULL), 0);
  static thread_sender ts[THREADS];
  static sender as[ACTORS];
  for (int i = 0; i < ACTORS; i++)
    start_sender(rt, &as[i], t, PER, TROUPE_SEC(30), 'a', false);
  for (int i = 0; i < THREADS; i++) {
    ts[i] = (thread_sender){.rt = rt, .to = t, .n = PER};
    assert_int_equal(pthread_create(&ts[i].th, NULL, thread_sender_main, &ts[i]), 0);
  }
  for (int i = 0; i < THREADS; i++) {
    pthread_join(ts[i].th, NULL);
    assert_int_equal(ts[i].ok, PER);
  }
  int waits = 0;
  for (int i = 0; i < ACTORS; i++) {
    assert_true(TU_WAIT(atomic_load(&as[i].done) == 1));
    assert_int_equal(atomic_load(&as[i].failed), 0);
    waits += atomic_load(&as[i].waits);
  }
  assert_true(TU_WAIT(atomic_load(&sink_count) == (THREADS + ACTORS) * PER));
  assert_true(waits > 0); /* the mailbox was full at times: the actors did wait */
  assert_int_equal(waiters_of(rt, t), 0);
  troupe_runtime_free(rt);
  for (int i = 0; i < THREADS; i++)
    assert_int_equal(atomic_load(&ts[i].released), PER);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_send_wait_queues_when_room),
      cmocka_unit_test(test_send_wait_times_out),
      cmocka_unit_test(test_send_wait_target_dies),
      cmocka_unit_test(test_send_wait_runtime_stops),
      cmocka_unit_test(test_send_wait_argument_errors),
      cmocka_unit_test(test_send_wait_fifo),
      cmocka_unit_test(test_actor_told_when_room_one_worker),
      cmocka_unit_test(test_actor_wait_times_out),
      cmocka_unit_test(test_actor_wait_target_dies),
      cmocka_unit_test(test_waiting_actor_dies),
      cmocka_unit_test(test_unused_notice_is_passed_on),
      cmocka_unit_test(test_actor_waiters_fifo),
      cmocka_unit_test(test_actor_wait_unbounded_or_dead),
      cmocka_unit_test(test_many_waiters_none_lost),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
