/*
 * tests/actor/test_ask_here.c: troupe_ask_ex with TROUPE_ASK_RUN_HERE. A question that
 * finds its actor idle is handled on the asking thread, which then behaves as a worker
 * for the actor (troupe_self, blocking calls refused); a busy actor is the workers' as
 * before; what the caller's turn leaves (more messages, an answer given later from a
 * timer) goes on on the workers; a crash in that turn fails the ask; at most one thread
 * runs an actor at any time, however many ask at once; a stop while outside threads
 * run turns ends cleanly (the TSan build runs all of these).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "actor_util.h"

/* One actor plays every part, by the question's first byte:
 *   'e' echo: answers with the question
 *   'b' block: a user message that holds the turn until `release` is set
 *   's' self-sends: queues 10 user messages 'n' to itself, then answers
 *   'n' one of those: appended to the order log
 *   'l' later: answers from a timer message 5 ms on ('t')
 *   'x' crash: the handler fails without answering
 *   'w' blocking call: answers with the code troupe_ask gives inside the handler
 * Every handler checks that no other thread is inside it at the same time. */
typedef struct here {
  pthread_t thread;              /* who handled the last question */
  _Atomic int inside, overlaps;  /* threads in the handler now, and times it was > 1 */
  _Atomic bool release;
  _Atomic int nlog, ndone;       /* places taken in log, entries written */
  int log[64];                   /* the 'n' messages' indices, in handling order */
  uint64_t held;
} here;

static int here_handle(troupe_actor *self, const troupe_message *m, troupe_err *err) {
  (void)err;
  here *h = troupe_actor_state(self);
  troupe_runtime *rt = troupe_actor_runtime(self);
  troupe_actor_id me = troupe_self(self);
  if (atomic_fetch_add(&h->inside, 1) != 0)
    atomic_fetch_add(&h->overlaps, 1);
  int rc = TROUPE_CONTINUE;
  char c = m->len ? ((const char *)m->data)[0] : 0;
  if (m->kind == TROUPE_MSG_ASK) {
    h->thread = pthread_self();
    if (c == 's') {
      for (int i = 0; i < 10; i++) {
        char b[2] = {'n', (char)i};
        troupe_send(rt, me, me, b, 2);
      }
      troupe_reply(rt, me, m->corr, m->data, m->len);
    } else if (c == 'l') {
      h->held = m->corr;
      troupe_send_args a = {.from = me, .to = me, .data = "t", .len = 1};
      troupe_send_after(rt, &a, TROUPE_MS(5), NULL);
    } else if (c == 'x') {
      rc = TROUPE_E_INVAL;
    } else if (c == 'w') {
      troupe_reply_msg r;
      int32_t st = troupe_ask(rt, me, 0, "e", 1, TROUPE_MS(10), &r, NULL);
      troupe_reply(rt, me, m->corr, &st, sizeof st);
    } else {
      troupe_reply(rt, me, m->corr, m->data, m->len);
    }
  } else if (m->kind == TROUPE_MSG_USER) {
    if (c == 'b')
      while (!atomic_load(&h->release))
        tu_sleep_ms(1);
    else if (c == 'n' && m->len == 2) {
      h->log[atomic_fetch_add(&h->nlog, 1) % 64] = ((const char *)m->data)[1];
      atomic_fetch_add(&h->ndone, 1); /* after the entry: the test reads it once counted */
    }
    else if (c == 't')
      troupe_reply(rt, me, h->held, "later", 5);
  }
  atomic_fetch_sub(&h->inside, 1);
  return rc;
}
static const troupe_behaviour here_b = {"here", NULL, here_handle, NULL};

static int ask_here(troupe_runtime *rt, troupe_actor_id id, const char *q, troupe_reply_msg *r) {
  return troupe_ask_ex(rt, id, 0, q, strlen(q), TROUPE_SEC(10), TROUPE_ASK_RUN_HERE, r, NULL);
}

static troupe_actor_id spawn_here(troupe_runtime *rt, here *h) {
  memset(h, 0, sizeof *h);
  troupe_actor_id id = 0;
  assert_int_equal(troupe_spawn(rt, NULL, &here_b, h, NULL, &id, NULL), 0);
  /* the first turn (init) is the workers': wait until the actor is idle */
  troupe_reply_msg r;
  assert_int_equal(troupe_ask(rt, id, 0, "e", 1, TROUPE_SEC(10), &r, NULL), 0);
  troupe_reply_free(&r);
  tu_sleep_ms(5);
  return id;
}

/* An idle actor answers on the asking thread; the same question with flags 0 goes to
 * a worker; unknown flags are refused. */
static void test_idle_actor_runs_here(void **st) {
  (void)st;
  troupe_runtime *rt = tu_runtime(2);
  static here h;
  troupe_actor_id id = spawn_here(rt, &h);
  troupe_reply_msg r;
  for (int i = 0; i < 50; i++) {
    assert_int_equal(ask_here(rt, id, "echo", &r), 0);
    assert_int_equal(r.len, 4);
    assert_memory_equal(r.data, "echo", 4);
    assert_int_equal(r.from, id);
    troupe_reply_free(&r);
    assert_true(pthread_equal(h.thread, pthread_self()));
  }
  assert_int_equal(troupe_ask(rt, id, 0, "echo", 4, TROUPE_SEC(10), &r, NULL), 0);
  troupe_reply_free(&r);
  assert_false(pthread_equal(h.thread, pthread_self()));
  troupe_err err;
  assert_int_equal(troupe_ask_ex(rt, id, 0, "e", 1, TROUPE_SEC(1), 2u, &r, &err), TROUPE_E_INVAL);
  troupe_runtime_stats s;
  troupe_runtime_stats_get(rt, &s);
  assert_int_equal(s.asks, 52);
  troupe_runtime_free(rt);
}

/* Inside a turn it runs, the asking thread is the actor's: a blocking call there is
 * refused as on a worker (it would wait for itself). */
static void test_blocking_call_refused_in_turn(void **st) {
  (void)st;
  troupe_runtime *rt = tu_runtime(2);
  static here h;
  troupe_actor_id id = spawn_here(rt, &h);
  troupe_reply_msg r;
  assert_int_equal(ask_here(rt, id, "w", &r), 0);
  assert_true(pthread_equal(h.thread, pthread_self()));
  int32_t code;
  assert_int_equal(r.len, sizeof code);
  memcpy(&code, r.data, sizeof code);
  assert_int_equal(code, TROUPE_E_STATE);
  troupe_reply_free(&r);
  troupe_runtime_free(rt);
}

typedef struct asker {
  troupe_runtime *rt;
  troupe_actor_id id;
  here *h;
  int rc;
  bool here_ran; /* the question was handled on this thread */
} asker;

static void *ask_thread(void *arg) {
  asker *a = arg;
  troupe_reply_msg r;
  a->rc = ask_here(a->rt, a->id, "e", &r);
  a->here_ran = pthread_equal(a->h->thread, pthread_self());
  troupe_reply_free(&r);
  return NULL;
}

/* A busy actor (its turn runs on a worker) is not run by the asker: the question
 * waits in the mailbox and a worker answers it once the turn ends. */
static void test_busy_actor_stays_on_workers(void **st) {
  (void)st;
  troupe_runtime *rt = tu_runtime(2);
  static here h;
  troupe_actor_id id = spawn_here(rt, &h);
  assert_int_equal(troupe_send(rt, 0, id, "b", 1), 0);
  assert_true(TU_WAIT(atomic_load(&h.inside) == 1));
  asker a = {rt, id, &h, -1, true};
  pthread_t t;
  assert_int_equal(pthread_create(&t, NULL, ask_thread, &a), 0);
  tu_sleep_ms(20);
  atomic_store(&h.release, true);
  pthread_join(t, NULL);
  assert_int_equal(a.rc, 0);
  assert_false(a.here_ran);
  assert_int_equal(atomic_load(&h.overlaps), 0);
  troupe_runtime_free(rt);
}

/* Messages that arrive during the caller's turn: a few are handled in it, the rest by
 * the workers, all in order; the caller has its answer at once. */
static void test_rest_of_turn_goes_to_workers(void **st) {
  (void)st;
  troupe_runtime *rt = tu_runtime(2);
  static here h;
  troupe_actor_id id = spawn_here(rt, &h);
  troupe_reply_msg r;
  assert_int_equal(ask_here(rt, id, "s", &r), 0);
  troupe_reply_free(&r);
  assert_true(pthread_equal(h.thread, pthread_self()));
  assert_true(TU_WAIT(atomic_load(&h.ndone) == 10));
  for (int i = 0; i < 10; i++)
    assert_int_equal(h.log[i], i);
  assert_int_equal(atomic_load(&h.overlaps), 0);
  troupe_runtime_free(rt);
}

/* A question not answered in the caller's turn (the answer comes from a timer the turn
 * started) is answered later by a worker; the caller waits for it as usual. */
static void test_answer_after_the_turn(void **st) {
  (void)st;
  troupe_runtime *rt = tu_runtime(2);
  static here h;
  troupe_actor_id id = spawn_here(rt, &h);
  troupe_reply_msg r;
  assert_int_equal(ask_here(rt, id, "l", &r), 0);
  assert_true(pthread_equal(h.thread, pthread_self())); /* the question was taken here */
  assert_int_equal(r.len, 5);
  assert_memory_equal(r.data, "later", 5);
  troupe_reply_free(&r);
  troupe_runtime_free(rt);
}

/* A crash in the caller's turn: the ask fails (NOT_RUNNING), a monitor hears of it,
 * the runtime goes on. */
static int watcher_handle(troupe_actor *self, const troupe_message *m, troupe_err *err) {
  (void)err;
  tu_log *l = troupe_actor_state(self);
  if (m->kind == TROUPE_MSG_USER) {
    troupe_actor_id target;
    memcpy(&target, m->data, sizeof target);
    uint64_t ref;
    troupe_monitor(self, target, &ref);
  }
  tu_log_add(l, m);
  return TROUPE_CONTINUE;
}
static const troupe_behaviour watcher_b = {"watcher", NULL, watcher_handle, NULL};

static void test_crash_in_callers_turn(void **st) {
  (void)st;
  troupe_runtime *rt = tu_runtime(2);
  static here h;
  static tu_log log;
  tu_log_init(&log);
  troupe_actor_id id = spawn_here(rt, &h), w;
  assert_int_equal(troupe_spawn(rt, NULL, &watcher_b, &log, NULL, &w, NULL), 0);
  assert_int_equal(troupe_send(rt, 0, w, &id, sizeof id), 0);
  assert_true(TU_WAIT(atomic_load(&log.n) == 1));
  tu_sleep_ms(5);
  troupe_reply_msg r;
  assert_int_equal(ask_here(rt, id, "x", &r), TROUPE_E_NOT_RUNNING);
  assert_true(pthread_equal(h.thread, pthread_self()));
  assert_true(TU_WAIT(atomic_load(&log.n) == 2));
  assert_int_equal(log.e[1].kind, TROUPE_MSG_DOWN);
  assert_int_equal(log.e[1].from, id);
  assert_int_equal(log.e[1].reason, TROUPE_EXIT_CRASH);
  assert_int_equal(ask_here(rt, id, "e", &r), TROUPE_E_NOTFOUND);
  troupe_runtime_free(rt);
}

/* Many threads asking a few actors at once, with and without the flag: every answer
 * right, no actor ever run by two threads at once. */
#define N_THREADS 4
#define N_ACTORS 2
#define N_ASKS 2000

typedef struct storm {
  troupe_runtime *rt;
  troupe_actor_id ids[N_ACTORS];
  int seed;
  int bad;
} storm;

static void *storm_thread(void *arg) {
  storm *s = arg;
  for (int i = 0; i < N_ASKS; i++) {
    char q[16];
    int n = snprintf(q, sizeof q, "e%d.%d", s->seed, i);
    troupe_reply_msg r;
    unsigned flags = (i % 3) ? TROUPE_ASK_RUN_HERE : 0;
    int rc = troupe_ask_ex(s->rt, s->ids[(i + s->seed) % N_ACTORS], 0, q, (size_t)n,
                           TROUPE_SEC(10), flags, &r, NULL);
    if (rc || r.len != (size_t)n || memcmp(r.data, q, (size_t)n))
      s->bad++;
    troupe_reply_free(&r);
  }
  return NULL;
}

static void test_concurrent_askers(void **st) {
  (void)st;
  troupe_runtime *rt = tu_runtime(2);
  static here h[N_ACTORS];
  storm s[N_THREADS];
  for (int k = 0; k < N_ACTORS; k++)
    s[0].ids[k] = spawn_here(rt, &h[k]);
  pthread_t t[N_THREADS];
  for (int i = 0; i < N_THREADS; i++) {
    s[i] = s[0];
    s[i].rt = rt;
    s[i].seed = i;
    s[i].bad = 0;
    assert_int_equal(pthread_create(&t[i], NULL, storm_thread, &s[i]), 0);
  }
  for (int i = 0; i < N_THREADS; i++) {
    pthread_join(t[i], NULL);
    assert_int_equal(s[i].bad, 0);
  }
  for (int k = 0; k < N_ACTORS; k++)
    assert_int_equal(atomic_load(&h[k].overlaps), 0);
  troupe_runtime_stats st2;
  troupe_runtime_stats_get(rt, &st2);
  assert_int_equal(st2.replies, (uint64_t)N_THREADS * N_ASKS + N_ACTORS);
  troupe_runtime_free(rt);
}

/* A stop while outside threads ask with the flag: it waits for their turns, they get
 * answers or STOPPED / NOTFOUND / NOT_RUNNING, nothing hangs or leaks. */
typedef struct stopper {
  troupe_runtime *rt;
  troupe_actor_id id;
  _Atomic bool *quit;
  int odd, odd_rc; /* answers that were none of the above, and the last such */
} stopper;

static void *stop_asker(void *arg) {
  stopper *s = arg;
  while (!atomic_load(s->quit)) {
    troupe_reply_msg r;
    int rc = ask_here(s->rt, s->id, "e", &r);
    troupe_reply_free(&r);
    if (rc == TROUPE_E_STOPPED || rc == TROUPE_E_NOTFOUND || rc == TROUPE_E_NOT_RUNNING)
      break;
    if (rc) {
      s->odd++;
      s->odd_rc = rc;
    }
  }
  return NULL;
}

static void test_stop_while_asking_here(void **st) {
  (void)st;
  for (int round = 0; round < 5; round++) {
    troupe_runtime *rt = tu_runtime(2);
    static here h;
    troupe_actor_id id = spawn_here(rt, &h);
    _Atomic bool quit = false;
    stopper s[3];
    pthread_t t[3];
    for (int i = 0; i < 3; i++) {
      s[i] = (stopper){rt, id, &quit, 0, 0};
      assert_int_equal(pthread_create(&t[i], NULL, stop_asker, &s[i]), 0);
    }
    tu_sleep_ms(10);
    assert_int_equal(troupe_runtime_stop(rt, NULL), 0);
    atomic_store(&quit, true);
    for (int i = 0; i < 3; i++) {
      pthread_join(t[i], NULL);
      if (s[i].odd)
        print_message("asker %d: %d odd answers, the last %s\n", i, s[i].odd,
                      troupe_err_name(s[i].odd_rc));
      assert_int_equal(s[i].odd, 0);
    }
    assert_int_equal(atomic_load(&h.overlaps), 0);
    troupe_runtime_free(rt);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_idle_actor_runs_here),
      cmocka_unit_test(test_blocking_call_refused_in_turn),
      cmocka_unit_test(test_busy_actor_stays_on_workers),
      cmocka_unit_test(test_rest_of_turn_goes_to_workers),
      cmocka_unit_test(test_answer_after_the_turn),
      cmocka_unit_test(test_crash_in_callers_turn),
      cmocka_unit_test(test_concurrent_askers),
      cmocka_unit_test(test_stop_while_asking_here),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
